/* spec_default.h: the config.json written by the `spec` command. */
#ifndef SBX_SPEC_DEFAULT_H
#define SBX_SPEC_DEFAULT_H

#include <stdbool.h>

/* The default config.json, field for field what `runc spec` (1.1.5) writes
 * except ociVersion "1.2.0" and hostname "agentsbx"; pretty-printed with a
 * 2-space indent and a final newline.  With rootless: a user namespace
 * mapping root to the caller's euid/egid, no network namespace, /sys bound
 * from the host, no gid= option on /dev/pts and no linux.resources, as
 * `runc spec --rootless` does.  malloc'd; NULL only when out of memory. */
char *sbx_spec_default_json(bool rootless);

#endif
