/* netdevices.h: linux.netDevices (runtime-spec 1.3): network devices of
 * the runtime's network namespace moved into the container's, renamed as
 * the config says, at create; moved back under their own names at delete
 * (and when create fails), while the container's namespace still exists. */
#ifndef SBX_NETDEVICES_H
#define SBX_NETDEVICES_H

#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

/* Names and the network namespace they need, before anything exists. */
int sbx_netdev_check(const struct oci_linux *l, struct sbx_error *err);
/* Into the network namespace of pid. */
int sbx_netdev_move_in(pid_t pid, const struct oci_linux *l, struct sbx_error *err);
/* From the network namespace netns_fd back into the runtime's; a device
 * no longer there (its namespace died) is skipped. */
int sbx_netdev_move_out(int netns_fd, const struct oci_linux *l, struct sbx_error *err);

#endif
