/* network.h: the policy's network modes on a container's network namespace.
 *
 * - Identity: a namespace file given by path is compared with the runtime's
 *   own (/proc/self/ns/net) and the host's (/proc/1/ns/net) by st_dev and
 *   st_ino, never by path.  Under a mode that restricts the network (none,
 *   allowlist) such a namespace is never changed: `none` gives the container
 *   a namespace of its own (only lo), `allowlist` fails create naming the
 *   conflict (it has no way out of its own yet).
 */
#ifndef SBX_NETWORK_H
#define SBX_NETWORK_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"
#include "policy.h"

/* Whom a network namespace file belongs to. */
enum sbx_netns_owner {
  SBX_NETNS_OTHER,     /* neither the runtime's nor the host's: the container's or an engine's */
  SBX_NETNS_RUNTIME,   /* the namespace agentsbx itself runs in */
  SBX_NETNS_HOST,      /* the namespace of pid 1 (the host's) */
};

/* Classify the namespace file at path (or the open fd when path is NULL). */
int sbx_netns_owner(const char *path, int fd, enum sbx_netns_owner *out, struct sbx_error *err);

/* Before create spawns anything: under mode none or allowlist, a network
 * namespace path in l that is the runtime's or the host's is never joined:
 * none drops the path (the container gets a namespace of its own, *note
 * says so, malloc'd), allowlist fails naming the entry and the conflict.
 * Any other mode leaves l alone. */
int sbx_network_claim_namespace(enum sbx_net_mode mode, struct oci_linux *l, char **note,
                                struct sbx_error *err);

/* Interim (until the rules replace it): every interface but lo down in the
 * current namespace. */
int sbx_network_isolate(struct sbx_error *err);

#endif
