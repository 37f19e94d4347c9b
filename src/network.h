/* network.h: the policy's network modes on a container's network namespace.
 *
 * - Identity: a namespace file given by path is compared with the runtime's
 *   own (/proc/self/ns/net) and the host's (/proc/1/ns/net) by st_dev and
 *   st_ino, never by path.  Under a mode that restricts the network (none,
 *   allowlist) such a namespace is never changed: the container gets a
 *   namespace of its own (none: only lo; allowlist: pasta as its way out,
 *   network_pasta.c).
 * - Rules: one nftables table per container in the container's network
 *   namespace (nftables.c), installed by the runtime after the createRuntime
 *   hooks (engines plumb their veths then), before the container's process
 *   runs; they cover every interface, also one added later.  Removed by
 *   delete or a failed create when the namespace outlives the container.
 *   Not needed (and not paid for) under none in a namespace the runtime made
 *   that no hook is told of: it holds only lo, which init brings up. 
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
 * the path is dropped (the container gets a namespace of its own; *note
 * says so, malloc'd).
 * Any other mode leaves l alone. */
int sbx_network_claim_namespace(enum sbx_net_mode mode, struct oci_linux *l, char **note,
                                struct sbx_error *err);

/* The container whose namespace gets the rules. */
struct sbx_network_target {
  const char *id;                /* the container id (names the nft table) */
  pid_t pid;                     /* its init, in its network namespace */
  enum sbx_net_mode mode;        /* unrestricted: nothing to do */
  const char *persistent_path;   /* the config's namespace path (an engine's namespace,
                                  * outliving the container), or NULL */
  const char *record_file;       /* where to note the table for delete when persistent */
  const struct sbx_policy *policy; /* allowlist: the entries */
  uint16_t dns_port;             /* allowlist: the resolver's port on the container's
                                  * loopback, 0 when none runs (DNS then refused) */
};

/* After the createRuntime hooks, before the container's process runs:
 * install the mode's table in /proc/PID/ns/net, checked (by identity) to
 * be neither the runtime's nor the host's.  With a persistent namespace
 * the record is written first, so a crash at any later point still leaves
 * delete -f what it needs. */
int sbx_network_enforce(const struct sbx_network_target *t, struct sbx_error *err);

/* delete, delete -f and a failed create: remove the table recorded in
 * record_file when that very namespace (same identity) still exists, then
 * the record.  No record: nothing to do. */
int sbx_network_release(const char *record_file, struct sbx_error *err);

/* In a network namespace the runtime made (no path in the config), as runc
 * does: loopback up.  Called by init, inside it. */
int sbx_network_loopback_up(struct sbx_error *err);

#endif
