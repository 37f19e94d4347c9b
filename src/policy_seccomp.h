/* policy_seccomp.h: the policy's seccomp layers, stacked on top of the
 * config's filter (which still applies): "default" denies what a container
 * escape needs; "strict" allows only a vetted list of common syscalls. */
#ifndef SBX_POLICY_SECCOMP_H
#define SBX_POLICY_SECCOMP_H

#include <stdbool.h>

#include "error.h"
#include "seccomp_filter.h"

enum sbx_policy_seccomp { SBX_POLICY_SECCOMP_CONFIG, SBX_POLICY_SECCOMP_DEFAULT,
                          SBX_POLICY_SECCOMP_STRICT,
                          /* config's only, but the filesystem policy is in
                           * force: what gets around its mounts denied
                           * (mount, umount, pivot_root, the new mount API,
                           * open_by_handle_at, mknod of block devices), as
                           * in default */
                          SBX_POLICY_SECCOMP_FILES };

/* The layer for a policy's seccomp mode, given whether its filesystem rules
 * are enforced. */
enum sbx_policy_seccomp sbx_policy_seccomp_layer(int mode, bool fs_enforced);

/* CONFIG without network: out->bpf stays NULL (nothing added).  network
 * (mode none or allowlist): socket(AF_PACKET), raw IPv4/IPv6 sockets and
 * io_uring fail with EPERM in every layer (strict: socket only for unix,
 * TCP/UDP and netlink kinds). */
int sbx_policy_seccomp_compile(enum sbx_policy_seccomp level, bool network,
                               struct sbx_seccomp_program *out, struct sbx_error *err);

#endif
