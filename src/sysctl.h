/* sysctl.h: linux.sysctl, written through the container's /proc/sys. */
#ifndef SBX_SYSCTL_H
#define SBX_SYSCTL_H

#include "error.h"
#include "oci_spec.h"

int sbx_sysctl_apply(const struct oci_linux *l, struct sbx_error *err);

#endif
