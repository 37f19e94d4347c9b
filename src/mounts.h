/* mounts.h: the container's root filesystem: propagation, the config's
 * mounts (resolved inside the rootfs), pivot_root or chroot, masked and
 * read-only paths, a read-only root. */
#ifndef SBX_MOUNTS_H
#define SBX_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

struct sbx_mount_options {
  unsigned long flags;          /* MS_* for mount(2) */
  unsigned long propagation[4]; /* MS_SHARED/... (| MS_REC), applied in order */
  size_t propagation_len;
  uint64_t attr_set, attr_clr;  /* MOUNT_ATTR_* applied recursively */
  bool bind, recursive_bind;
  char *data;                   /* unrecognised options, comma-joined */
};

int sbx_mount_options_parse(char *const *opts, size_t n, struct sbx_mount_options *out,
                            struct sbx_error *err);
void sbx_mount_options_release(struct sbx_mount_options *o);
/* NULL-terminated list of the option names understood (for `features`). */
const char *const *sbx_mount_option_names(void);

struct sbx_rootfs_setup {
  const struct oci_config *config;
  const char *rootfs;    /* absolute, on the host */
  const char *bundle;    /* absolute, for relative bind sources */
  bool in_userns;        /* a new user namespace: devices are bind-mounted */
  bool new_cgroupns;     /* a new cgroup namespace rooted at cgroup_path */
  const char *cgroup_path; /* the container's cgroup in every hierarchy */
  const int *bind_fds;   /* per mount: its bind source opened by the runtime
                            (in a user namespace), or -1; NULL: none */
};

/* In a user namespace the container's root may not reach a bind source
 * that the host's root can (a 0700 parent): the runtime opens every bind
 * source in the container's mount namespace, before init mounts anything,
 * and passes the fds on the sync socket (SYNC_MOUNT_FD), as runc does.
 * The bind mounts keep the flags the kernel locked on their sources. */
int sbx_bind_sources_send(pid_t init_pid, const struct oci_config *c, const char *bundle,
                          int sync_fd, struct sbx_error *err);
/* init's side: *fds has one entry per mount (-1: none). */
int sbx_bind_sources_recv(int sync_fd, const struct oci_config *c, int **fds,
                          struct sbx_error *err);
/* Close and free what sbx_bind_sources_recv gave (NULL is fine). */
void sbx_bind_sources_close(int *fds, const struct oci_config *c);

/* A config without a mount namespace runs in the runtime's own (runc
 * does so): the runtime binds the rootfs privately on itself first
 * (sbx_rootfs_bind_private), every mount goes under that bind, and init
 * chroots into it instead of pivot_root, which would move the host's root.
 * delete detaches the bind, if it is still the one recorded. */
bool sbx_mounts_in_host_namespace(const struct oci_config *c);
int sbx_rootfs_bind_private(const char *rootfs, int *mnt_id, struct sbx_error *err);
int sbx_rootfs_unbind(const char *rootfs, int mnt_id, struct sbx_error *err);
int sbx_rootfs_chroot(const char *rootfs, struct sbx_error *err);

/* In the container's mount namespace, before pivot_root. */
int sbx_rootfs_prepare(const struct sbx_rootfs_setup *s, struct sbx_error *err);
/* Make rootfs the root: pivot_root, or MS_MOVE + chroot with no_pivot. */
int sbx_rootfs_enter(const char *rootfs, bool no_pivot, struct sbx_error *err);
/* After the pivot: masked and read-only paths, read-only root,
 * rootfsPropagation. */
int sbx_rootfs_finish(const struct oci_config *c, struct sbx_error *err);

#endif
