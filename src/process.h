/* process.h: the container process's own settings, applied by init just
 * before execve: rlimits, personality, supplementary groups, uid/gid,
 * capabilities, no_new_privs, umask, cwd, environment and the executable. */
#ifndef SBX_PROCESS_H
#define SBX_PROCESS_H

#include "capabilities.h"
#include "error.h"
#include "oci_spec.h"

int sbx_process_set_rlimits(const struct oci_process *p, struct sbx_error *err);
int sbx_process_set_personality(const struct oci_linux *l, struct sbx_error *err);
/* Groups, gid, uid, then capabilities (bounding dropped first, the rest
 * kept across the uid change), no_new_privs, umask. */
int sbx_process_set_identity(const struct oci_process *p, const struct sbx_caps *caps,
                             struct sbx_error *err);
/* process.apparmorProfile, process.selinuxLabel, linux.mountLabel: an
 * error when the host lacks the LSM (never silently unconfined). */
int sbx_process_check_lsm(const struct oci_config *c, struct sbx_error *err);
/* Ask the LSM to confine the next execve with the configured label. */
int sbx_process_set_exec_label(const struct oci_process *p, struct sbx_error *err);

/* chdir(cwd), creating it as runc does when it is missing. */
int sbx_process_enter_cwd(const struct oci_process *p, struct sbx_error *err);
/* The environment to exec with: the config's, plus HOME from the
 * container's /etc/passwd when it is unset.  NULL-terminated, malloc'd. */
char **sbx_process_environ(const struct oci_process *p);
/* Keep fds 0..2+preserve_fds (and LISTEN_FDS ones); all others close on exec. */
int sbx_process_close_fds(int preserve_fds, struct sbx_error *err);

#endif
