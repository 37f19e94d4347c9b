/* network_resolver.h: the per-container DNS resolver process of
 * network.mode allowlist.  create starts it after the createRuntime hooks
 * and before the rules: a detached process, outside the container's mount
 * and pid namespaces, that enters the container's network namespace, binds
 * 127.0.0.1:SBX_NETWORK_DNS_PORT and [::1]:SBX_NETWORK_DNS_PORT (UDP and
 * TCP), and runs the resolver loop (dns_resolver.c) with the policy's
 * callbacks (network_dns.c) until the container's init exits or delete
 * stops it.  The same process reads the packets the rules refuse (NFLOG,
 * nflog.c) and writes a `network_denied` audit line for each (address,
 * port, protocol, reason); it runs for every allowlist container, the
 * resolver part only when the policy allows names.  create returns only
 * once it listens. */
#ifndef SBX_NETWORK_RESOLVER_H
#define SBX_NETWORK_RESOLVER_H

#include <stdbool.h>
#include <sys/types.h>

#include "audit.h"
#include "context.h"
#include "error.h"
#include "oci_spec.h"
#include "policy.h"

struct sbx_resolver_spec {
  const char *id;
  pid_t init_pid;                      /* in the container's network namespace */
  const struct sbx_policy *policy;     /* the effective policy (allowlist) */
  const struct oci_config *config;     /* its resolv.conf mount, for the upstreams */
  const char *rootfs;
  bool names;                          /* the policy allows names: run the resolver */
  struct sbx_audit_target audit;       /* network_denied lines */
};

/* Start it and wait until it listens (or failed, with its error). */
int sbx_resolver_spawn(const struct sbx_context *ctx, const struct sbx_resolver_spec *s,
                       struct sbx_error *err);
/* delete: stop it (nothing when there is none). */
void sbx_resolver_stop(const struct sbx_context *ctx, const char *id);

#endif
