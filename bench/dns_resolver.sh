#!/usr/bin/env bash
# What agentsbx's DNS resolver adds to one lookup, on loopback in a network
# namespace of its own: N UDP lookups straight to a fake upstream, then N
# through the resolver (parse, policy callbacks, forward, rewrite, allow).
#   bench/dns_resolver.sh [N]      (default 2000; builds the unit test)
set -euo pipefail
cd "$(dirname "$0")/.."
make -s tests/unit/test-dns-resolver
tests/unit/test-dns-resolver --bench "${1:-2000}"
