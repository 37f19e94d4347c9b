/* network_pasta.h: the way out of a network.mode allowlist container that
 * has a network namespace of its own and nothing else in it (plain
 * `agentsbx run` without an engine, or `--network host` replaced by a
 * namespace of its own): Debian's `pasta` (package passt), started by
 * create in the runtime's namespace and attached to the container's, gives
 * it an interface with the runtime's addresses and routes and carries its
 * TCP, UDP and ICMP out through ordinary sockets.  Everything the container
 * sends still crosses the allowlist's rules in its own namespace first.
 * No port is forwarded in either direction; the gateway is not mapped to
 * the host's loopback (--no-map-gw). */
#ifndef SBX_NETWORK_PASTA_H
#define SBX_NETWORK_PASTA_H

#include <stdbool.h>
#include <sys/types.h>

#include "context.h"
#include "error.h"

#define SBX_PASTA "pasta"        /* looked up in PATH */

/* Does the network namespace of pid hold nothing but loopback? */
int sbx_pasta_needed(pid_t pid, bool *needed, struct sbx_error *err);
/* Start pasta for the namespace of pid and wait (3 s at most) until the
 * container's interface is up; its pid goes to the state directory. */
int sbx_pasta_spawn(const struct sbx_context *ctx, const char *id, pid_t pid,
                    struct sbx_error *err);
/* delete, a failed create: stop it (nothing when there is none). */
void sbx_pasta_stop(const struct sbx_context *ctx, const char *id);

#endif
