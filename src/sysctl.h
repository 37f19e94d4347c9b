/* sysctl.h: linux.sysctl, written through the container's /proc/sys. */
#ifndef SBX_SYSCTL_H
#define SBX_SYSCTL_H

#include "error.h"
#include "oci_spec.h"

/* Refuse keys that would change the host: net.* needs a new network
 * namespace, IPC keys a new ipc namespace, kernel.{host,domain}name a new
 * uts namespace; anything else is not namespaced at all. */
int sbx_sysctl_validate(const struct oci_linux *l, struct sbx_error *err);
int sbx_sysctl_apply(const struct oci_linux *l, struct sbx_error *err);

#endif
