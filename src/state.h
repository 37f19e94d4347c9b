/* state.h: the per-container state directory under --root/ID: state.json
 * (written atomically), the config copy, exec.fifo, and the status derived
 * from the container process (a recycled pid is never taken for it). */
#ifndef SBX_STATE_H
#define SBX_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "context.h"
#include "error.h"

enum sbx_status { SBX_CREATING, SBX_CREATED, SBX_RUNNING, SBX_PAUSED, SBX_STOPPED };

struct sbx_state {
  char *id;
  pid_t pid;                        /* in the runtime's pid namespace */
  unsigned long long start_time;    /* /proc/PID/stat field 22, to spot pid reuse */
  char *bundle;
  char *rootfs;
  char *created;                    /* RFC 3339 */
  char *owner;
  char *cgroup_path;                /* as resolved at create; NULL: none */
  bool systemd_cgroup;
  char *policy;                     /* name of the effective policy; NULL: none */
  char *audit_path;                 /* the policy's audit log; NULL: none */
  char *policy_digest;              /* the effective policy's digest; NULL: none */
  int64_t audit_max_bytes;          /* the log's rotation size; 0: the default */
  bool audit_commands;              /* the command trail runs (command_trail.h) */
  int policy_seccomp;               /* enum sbx_seccomp_mode of the policy */
};

const char *sbx_status_name(enum sbx_status s);

/* ID is a single path segment of [A-Za-z0-9_+.-] as runc allows. */
int sbx_validate_id(const char *id, struct sbx_error *err);

char *sbx_state_dir(const struct sbx_context *ctx, const char *id);
char *sbx_state_file(const struct sbx_context *ctx, const char *id, const char *name);
/* Create --root (0700) and --root/ID, locked (see sbx_state_lock) until
 * the returned fd is closed: create holds it to the end.  EEXIST names the
 * container; EBUSY says another create or delete of ID is under way. */
int sbx_state_create_dir(const struct sbx_context *ctx, const char *id, struct sbx_error *err);
int sbx_state_remove_dir(const struct sbx_context *ctx, const char *id, struct sbx_error *err);

int sbx_state_save(const struct sbx_context *ctx, const struct sbx_state *st,
                   struct sbx_error *err);
/* ENOENT with "container `ID` does not exist" when there is none. */
int sbx_state_load(const struct sbx_context *ctx, const char *id, struct sbx_state *st,
                   struct sbx_error *err);
void sbx_state_release(struct sbx_state *st);

/* The file `cgroup` records the container's cgroup path before the cgroup
 * exists, so a container whose state.json is missing (a create killed half
 * way) or unreadable can still be found and removed.  Load: malloc'd, NULL
 * when there is no valid record. */
int sbx_state_save_cgroup(const struct sbx_context *ctx, const char *id, const char *cgroup_path,
                          struct sbx_error *err);
char *sbx_state_load_cgroup(const struct sbx_context *ctx, const char *id);
/* The file `rootfs-mount`: "MOUNT_ID ROOTFS" of the rootfs bind a container
 * without a mount namespace has in the host's (see mounts.h).  Load: -1
 * when there is none. */
int sbx_state_save_rootfs_mount(const struct sbx_context *ctx, const char *id,
                                const char *rootfs, int mnt_id, struct sbx_error *err);
int sbx_state_load_rootfs_mount(const struct sbx_context *ctx, const char *id, char **rootfs,
                                int *mnt_id);

/* The live status: stopped when the process is gone, a zombie, or another
 * process reusing the pid; created while exec.fifo exists; else running
 * (or paused when its freezer says so). */
enum sbx_status sbx_state_status(const struct sbx_context *ctx, const struct sbx_state *st);
bool sbx_state_process_alive(const struct sbx_state *st);

/* A pidfd of the container's init, verified to be that very process. */
int sbx_state_pidfd(const struct sbx_state *st, struct sbx_error *err);

/* An exclusive flock on the state directory: serialises create, start,
 * delete, pause of one container.  Waits for another holder, except for a
 * create or delete under way (locked, no state.json): EBUSY "is being
 * created or deleted".  ENOENT when the directory is (or went) away.
 * Returns the fd to close, or -1. */
int sbx_state_lock(const struct sbx_context *ctx, const char *id, struct sbx_error *err);

#endif
