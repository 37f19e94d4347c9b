/* capabilities.h: Linux capabilities for the container process: names <->
 * numbers, the five OCI sets as bit masks, and the two-step apply sequence
 * around the uid/gid switch. */
#ifndef SBX_CAPABILITIES_H
#define SBX_CAPABILITIES_H

#include <stdint.h>
#include <sys/capability.h>

#include "error.h"
#include "oci_spec.h"

/* The five sets of process.capabilities; bit n is capability n. */
struct sbx_caps {
  uint64_t bounding;
  uint64_t effective;
  uint64_t inheritable;
  uint64_t permitted;
  uint64_t ambient;
  int last_cap;   /* the running kernel's highest capability, kept so that
                     the apply steps need no /proc inside the container */
};

/* Highest capability number the running kernel knows
 * (/proc/sys/kernel/cap_last_cap, or probed with PR_CAPBSET_READ). */
int sbx_cap_last_cap(void);

/* "CAP_NET_ADMIN" -> CAP_NET_ADMIN.  Like runc, the match is exact: upper
 * case with the CAP_ prefix.  Returns -1 for names we do not know and for
 * capabilities above the running kernel's last one. */
int sbx_cap_from_name(const char *name, cap_value_t *out);

/* CAP_NET_ADMIN -> "CAP_NET_ADMIN"; NULL when the number has no name. */
const char *sbx_cap_name(cap_value_t cap);

/* The names of every capability the running kernel knows, in numeric order,
 * as a NULL-terminated array of static strings (free only the array). */
const char **sbx_cap_list_known(size_t *count, struct sbx_error *err);

/* Translate the OCI sets.  c may be NULL (no capabilities object: every set
 * is empty, as in runc); an absent set is empty.  Unknown or unavailable
 * names are skipped, as runc 1.1.5 does; when some were, *warning (if not
 * NULL) receives a malloc'd message for the caller to log:
 *   "ignoring unknown or unavailable capabilities: [CAP_BAR CAP_FOO]"
 * otherwise it is set to NULL. */
int sbx_caps_from_oci(const struct oci_capabilities *c, struct sbx_caps *out,
                      char **warning, struct sbx_error *err);

/* The permitted, effective and ambient sets must be held by the runtime
 * itself, or the container could not get them: an error naming the first
 * one that is not. */
int sbx_caps_check_available(const struct sbx_caps *c, struct sbx_error *err);

/* Step 1, while still uid 0 with CAP_SETPCAP: drop from the bounding set
 * every capability not in c->bounding. */
int sbx_caps_drop_bounding(const struct sbx_caps *c, struct sbx_error *err);

/* The caller then does prctl(PR_SET_KEEPCAPS, 1), setgroups, setresgid,
 * setresuid, prctl(PR_SET_KEEPCAPS, 0). */

/* Step 2: set effective, permitted and inheritable exactly (capset), then
 * clear the ambient set and raise each ambient capability.  Like runc, an
 * ambient capability the kernel refuses (not in permitted and inheritable)
 * is silently left out. */
int sbx_caps_apply(const struct sbx_caps *c, struct sbx_error *err);

/* Only the capset of step 2: to drop capabilities held on purpose between
 * step 2 and execve (CAP_SYS_ADMIN for a seccomp filter without
 * no_new_privs).  Ambient capabilities outside the new sets go with them. */
int sbx_caps_set_proc(const struct sbx_caps *c, struct sbx_error *err);

#endif
