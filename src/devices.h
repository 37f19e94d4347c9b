/* devices.h: the container's /dev: the default device nodes, the config's
 * linux.devices, and the standard symlinks.  In a new user namespace nodes
 * cannot be created, so the host's nodes are bind-mounted instead. */
#ifndef SBX_DEVICES_H
#define SBX_DEVICES_H

#include <stdbool.h>

#include "error.h"
#include "oci_spec.h"

int sbx_devices_populate(int rootfd, const struct oci_config *c, bool in_userns,
                         struct sbx_error *err);

#endif
