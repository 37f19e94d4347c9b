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
/* Create --root (0700) and --root/ID; EEXIST names the container. */
int sbx_state_create_dir(const struct sbx_context *ctx, const char *id, struct sbx_error *err);
int sbx_state_remove_dir(const struct sbx_context *ctx, const char *id, struct sbx_error *err);

int sbx_state_save(const struct sbx_context *ctx, const struct sbx_state *st,
                   struct sbx_error *err);
/* ENOENT with "container `ID` does not exist" when there is none. */
int sbx_state_load(const struct sbx_context *ctx, const char *id, struct sbx_state *st,
                   struct sbx_error *err);
void sbx_state_release(struct sbx_state *st);

/* The live status: stopped when the process is gone, a zombie, or another
 * process reusing the pid; created while exec.fifo exists; else running
 * (or paused when its freezer says so). */
enum sbx_status sbx_state_status(const struct sbx_context *ctx, const struct sbx_state *st);
bool sbx_state_process_alive(const struct sbx_state *st);

/* A pidfd of the container's init, verified to be that very process. */
int sbx_state_pidfd(const struct sbx_state *st, struct sbx_error *err);

/* An exclusive flock on the state directory: serialises start, kill,
 * delete of one container.  Returns the fd to close, or -1. */
int sbx_state_lock(const struct sbx_context *ctx, const char *id, struct sbx_error *err);

#endif
