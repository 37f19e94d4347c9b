/* capabilities.c: capability names, the OCI sets as masks, and applying
 * them to the container process (see capabilities.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "capabilities.h"

#include <errno.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* The names are the kernel's own macro names, so the table is indexed by
 * the macro values from <linux/capability.h>. */
#define CAP_ENTRY(c) [c] = #c
static const char *const cap_names[] = {
  CAP_ENTRY(CAP_CHOWN),
  CAP_ENTRY(CAP_DAC_OVERRIDE),
  CAP_ENTRY(CAP_DAC_READ_SEARCH),
  CAP_ENTRY(CAP_FOWNER),
  CAP_ENTRY(CAP_FSETID),
  CAP_ENTRY(CAP_KILL),
  CAP_ENTRY(CAP_SETGID),
  CAP_ENTRY(CAP_SETUID),
  CAP_ENTRY(CAP_SETPCAP),
  CAP_ENTRY(CAP_LINUX_IMMUTABLE),
  CAP_ENTRY(CAP_NET_BIND_SERVICE),
  CAP_ENTRY(CAP_NET_BROADCAST),
  CAP_ENTRY(CAP_NET_ADMIN),
  CAP_ENTRY(CAP_NET_RAW),
  CAP_ENTRY(CAP_IPC_LOCK),
  CAP_ENTRY(CAP_IPC_OWNER),
  CAP_ENTRY(CAP_SYS_MODULE),
  CAP_ENTRY(CAP_SYS_RAWIO),
  CAP_ENTRY(CAP_SYS_CHROOT),
  CAP_ENTRY(CAP_SYS_PTRACE),
  CAP_ENTRY(CAP_SYS_PACCT),
  CAP_ENTRY(CAP_SYS_ADMIN),
  CAP_ENTRY(CAP_SYS_BOOT),
  CAP_ENTRY(CAP_SYS_NICE),
  CAP_ENTRY(CAP_SYS_RESOURCE),
  CAP_ENTRY(CAP_SYS_TIME),
  CAP_ENTRY(CAP_SYS_TTY_CONFIG),
  CAP_ENTRY(CAP_MKNOD),
  CAP_ENTRY(CAP_LEASE),
  CAP_ENTRY(CAP_AUDIT_WRITE),
  CAP_ENTRY(CAP_AUDIT_CONTROL),
  CAP_ENTRY(CAP_SETFCAP),
  CAP_ENTRY(CAP_MAC_OVERRIDE),
  CAP_ENTRY(CAP_MAC_ADMIN),
  CAP_ENTRY(CAP_SYSLOG),
  CAP_ENTRY(CAP_WAKE_ALARM),
  CAP_ENTRY(CAP_BLOCK_SUSPEND),
  CAP_ENTRY(CAP_AUDIT_READ),
  CAP_ENTRY(CAP_PERFMON),
  CAP_ENTRY(CAP_BPF),
  CAP_ENTRY(CAP_CHECKPOINT_RESTORE),
};
#undef CAP_ENTRY

#define N_CAP_NAMES ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

/* Probe the bounding set: PR_CAPBSET_READ fails with EINVAL past the last
 * capability.  Used when /proc is not mounted (inside the container). */
static int probe_last_cap(void)
{
  int cap = 0;

  while (cap < 63 && prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0)
    cap++;
  return cap;
}

static int read_last_cap(void)
{
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int cap = -1;

  if (f == NULL)
    return probe_last_cap();
  if (fscanf(f, "%d", &cap) != 1 || cap < 0 || cap > 63)
    cap = probe_last_cap();
  fclose(f);
  return cap;
}

int sbx_cap_last_cap(void)
{
  static int last_cap = -1;   /* the kernel does not change under us */

  if (last_cap < 0)
    last_cap = read_last_cap();
  return last_cap;
}

const char *sbx_cap_name(cap_value_t cap)
{
  if (cap < 0 || cap >= N_CAP_NAMES)
    return NULL;
  return cap_names[cap];
}

int sbx_cap_from_name(const char *name, cap_value_t *out)
{
  int last = sbx_cap_last_cap();

  if (name == NULL)
    return -1;
  for (int i = 0; i < N_CAP_NAMES && i <= last; i++) {
    if (cap_names[i] != NULL && strcmp(cap_names[i], name) == 0) {
      *out = i;
      return 0;
    }
  }
  return -1;
}

const char **sbx_cap_list_known(size_t *count, struct sbx_error *err)
{
  int last = sbx_cap_last_cap();
  const char **list;
  size_t n = 0;

  /* A kernel newer than our table knows capabilities we cannot name. */
  if (last >= N_CAP_NAMES)
    last = N_CAP_NAMES - 1;
  list = calloc((size_t)last + 2, sizeof(*list));
  if (list == NULL) {
    sbx_fail(err, errno, "list capabilities");
    return NULL;
  }
  for (int i = 0; i <= last; i++)
    if (cap_names[i] != NULL)
      list[n++] = cap_names[i];
  if (count != NULL)
    *count = n;
  return list;
}

/* ---- OCI sets -> masks ---- */

/* Unknown names seen so far, kept sorted and without duplicates because
 * runc reports them that way. */
struct unknown_names {
  const char **names;
  size_t len;
};

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int remember_unknown(struct unknown_names *u, const char *name)
{
  const char **grown;

  for (size_t i = 0; i < u->len; i++)
    if (strcmp(u->names[i], name) == 0)
      return 0;
  grown = realloc(u->names, (u->len + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  u->names = grown;
  u->names[u->len++] = name;
  return 0;
}

static int set_to_mask(const struct oci_string_list *set, bool present, uint64_t *mask,
                       struct unknown_names *unknown)
{
  *mask = 0;
  if (!present)
    return 0;
  for (size_t i = 0; i < set->len; i++) {
    cap_value_t cap;

    if (sbx_cap_from_name(set->items[i], &cap) == 0)
      *mask |= UINT64_C(1) << cap;
    else if (remember_unknown(unknown, set->items[i]) < 0)
      return -1;
  }
  return 0;
}

/* "ignoring unknown or unavailable capabilities: [A B]" */
static char *format_unknown(struct unknown_names *u)
{
  size_t size = 64;
  char *msg, *p;

  qsort(u->names, u->len, sizeof(*u->names), cmp_str);
  for (size_t i = 0; i < u->len; i++)
    size += strlen(u->names[i]) + 1;
  msg = malloc(size);
  if (msg == NULL)
    return NULL;
  p = stpcpy(msg, "ignoring unknown or unavailable capabilities: [");
  for (size_t i = 0; i < u->len; i++) {
    if (i > 0)
      *p++ = ' ';
    p = stpcpy(p, u->names[i]);
  }
  strcpy(p, "]");
  return msg;
}

int sbx_caps_from_oci(const struct oci_capabilities *c, struct sbx_caps *out,
                      char **warning, struct sbx_error *err)
{
  struct unknown_names unknown = { NULL, 0 };
  int ret = -1;

  memset(out, 0, sizeof(*out));
  out->last_cap = sbx_cap_last_cap();
  if (warning != NULL)
    *warning = NULL;
  if (c == NULL)
    return 0;
  if (set_to_mask(&c->bounding, c->has_bounding, &out->bounding, &unknown) < 0
      || set_to_mask(&c->effective, c->has_effective, &out->effective, &unknown) < 0
      || set_to_mask(&c->inheritable, c->has_inheritable, &out->inheritable, &unknown) < 0
      || set_to_mask(&c->permitted, c->has_permitted, &out->permitted, &unknown) < 0
      || set_to_mask(&c->ambient, c->has_ambient, &out->ambient, &unknown) < 0) {
    sbx_fail(err, ENOMEM, "capabilities");
    goto out;
  }
  if (unknown.len > 0 && warning != NULL) {
    *warning = format_unknown(&unknown);
    if (*warning == NULL) {
      sbx_fail(err, ENOMEM, "capabilities");
      goto out;
    }
  }
  ret = 0;
out:
  free(unknown.names);
  return ret;
}

/* ---- applying ---- */

static bool has_cap(uint64_t mask, int cap)
{
  return (mask >> cap) & 1;
}

int sbx_caps_drop_bounding(const struct sbx_caps *c, struct sbx_error *err)
{
  for (int cap = 0; cap <= c->last_cap; cap++) {
    if (has_cap(c->bounding, cap))
      continue;
    /* EINVAL: the kernel does not know this one, nothing to drop. */
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return sbx_fail(err, errno, "drop capability %s from the bounding set",
                      sbx_cap_name(cap) ? sbx_cap_name(cap) : "(unnamed)");
  }
  return 0;
}

/* Add every capability of mask to one flag set of caps. */
static int add_flags(cap_t caps, cap_flag_t flag, uint64_t mask, int last_cap)
{
  for (int cap = 0; cap <= last_cap; cap++) {
    cap_value_t v = cap;

    if (has_cap(mask, cap) && cap_set_flag(caps, flag, 1, &v, CAP_SET) < 0)
      return -1;
  }
  return 0;
}

static int set_proc_caps(const struct sbx_caps *c, struct sbx_error *err)
{
  cap_t caps = cap_init();   /* every flag clear */
  int ret = -1;

  if (caps == NULL)
    return sbx_fail(err, errno, "cap_init");
  if (add_flags(caps, CAP_EFFECTIVE, c->effective, c->last_cap) < 0
      || add_flags(caps, CAP_PERMITTED, c->permitted, c->last_cap) < 0
      || add_flags(caps, CAP_INHERITABLE, c->inheritable, c->last_cap) < 0)
    sbx_fail(err, errno, "build capability sets");
  else if (cap_set_proc(caps) < 0)
    sbx_fail(err, errno, "apply capabilities (effective %#llx, permitted %#llx, inheritable %#llx)",
             (unsigned long long)c->effective, (unsigned long long)c->permitted,
             (unsigned long long)c->inheritable);
  else
    ret = 0;
  cap_free(caps);
  return ret;
}

static int set_ambient(const struct sbx_caps *c, struct sbx_error *err)
{
  /* EINVAL: a kernel without ambient capabilities (< 4.3); nothing to do. */
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return errno == EINVAL ? 0 : sbx_fail(err, errno, "clear ambient capabilities");
  for (int cap = 0; cap <= c->last_cap; cap++) {
    /* runc 1.1.5 ignores a refused raise (EPERM: the capability is not in
     * both permitted and inheritable), and so do we. */
    if (has_cap(c->ambient, cap))
      (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  }
  return 0;
}

int sbx_caps_set_proc(const struct sbx_caps *c, struct sbx_error *err)
{
  return set_proc_caps(c, err);
}

int sbx_caps_apply(const struct sbx_caps *c, struct sbx_error *err)
{
  if (set_proc_caps(c, err) < 0)
    return -1;
  return set_ambient(c, err);
}

/* Our own permitted set as a mask, from capget(2). */
static int own_permitted(uint64_t *mask, struct sbx_error *err)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct d[2];

  if (syscall(SYS_capget, &h, d) < 0)
    return sbx_fail(err, errno, "capget");
  *mask = (uint64_t)d[0].permitted | ((uint64_t)d[1].permitted << 32);
  return 0;
}

int sbx_caps_check_available(const struct sbx_caps *c, struct sbx_error *err)
{
  uint64_t have = 0, missing;

  if (own_permitted(&have, err) < 0)
    return -1;
  /* The kernel refuses to grant what the runtime itself does not hold;
   * say so at create instead of failing in the container after start. */
  missing = (c->permitted | c->effective | c->ambient) & ~have;
  for (int cap = 0; cap < 64; cap++)
    if (missing & (1ULL << cap)) {
      const char *name = sbx_cap_name(cap);
      return sbx_invalid(err, "process.capabilities: %s is not held by the runtime, so it "
                         "cannot be granted", name ? name : "an unknown capability");
    }
  return 0;
}
