/* cgroup_devices_bpf.c: linux.resources.devices: the rule list (the
 * config's, then runc's default allowed devices), the table the v1 devices
 * controller builds from it, the v1 writes that set that table, and the
 * equivalent BPF_PROG_TYPE_CGROUP_DEVICE program for cgroup v2. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cgroup_resources.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "utils.h"

/* ---- rules ---- */

int sbx_dev_parse_access(const char *s)
{
  int bits = 0;

  if (s == NULL)
    return SBX_DEV_RWM;
  if (*s == '\0')
    return -1;
  for (; *s; s++) {
    switch (*s) {
    case 'r': bits |= SBX_DEV_READ; break;
    case 'w': bits |= SBX_DEV_WRITE; break;
    case 'm': bits |= SBX_DEV_MKNOD; break;
    default: return -1;
    }
  }
  return bits;
}

/* runc's AllowedDevices (libcontainer/specconv), in its order. */
static const struct {
  const char *path;
  struct sbx_dev_rule rule;
} default_rules[] = {
  { NULL, { 'c', -1, -1, SBX_DEV_MKNOD, true } },
  { NULL, { 'b', -1, -1, SBX_DEV_MKNOD, true } },
  { "/dev/null", { 'c', 1, 3, SBX_DEV_RWM, true } },
  { "/dev/random", { 'c', 1, 8, SBX_DEV_RWM, true } },
  { "/dev/full", { 'c', 1, 7, SBX_DEV_RWM, true } },
  { "/dev/tty", { 'c', 5, 0, SBX_DEV_RWM, true } },
  { "/dev/zero", { 'c', 1, 5, SBX_DEV_RWM, true } },
  { "/dev/urandom", { 'c', 1, 9, SBX_DEV_RWM, true } },
  { NULL, { 'c', 136, -1, SBX_DEV_RWM, true } },   /* /dev/pts/N */
  { NULL, { 'c', 5, 2, SBX_DEV_RWM, true } },      /* /dev/ptmx */
  { NULL, { 'c', 10, 200, SBX_DEV_RWM, true } },   /* /dev/net/tun */
};

int sbx_dev_rules_from_spec(const struct oci_resources *r, const struct oci_device *devs,
                            size_t devs_len, struct sbx_dev_rule **out, size_t *out_len,
                            struct sbx_error *err)
{
  size_t nspec = r ? r->devices_len : 0;
  size_t ndef = sizeof default_rules / sizeof default_rules[0];
  struct sbx_dev_rule *v = calloc(nspec + ndef + 1, sizeof *v);
  size_t n = 0;

  if (v == NULL)
    return sbx_fail(err, ENOMEM, "linux.resources.devices");
  for (size_t i = 0; i < nspec; i++) {
    const struct oci_device_cgroup *d = &r->devices[i];
    const char *t = d->type ? d->type : "a";
    int acc = sbx_dev_parse_access(d->access);
    if (strcmp(t, "a") != 0 && strcmp(t, "b") != 0 && strcmp(t, "c") != 0) {
      free(v);
      return sbx_invalid(err, "linux.resources.devices[%zu].type: invalid cgroup device type `%s`",
                      i, t);
    }
    if (acc < 0) {
      free(v);
      return sbx_invalid(err, "linux.resources.devices[%zu].access: invalid access `%s` (a non-empty subset of \"rwm\")",
                      i, d->access);
    }
    v[n++] = (struct sbx_dev_rule){ .type = t[0],
                                    .major = d->has_major ? d->major : -1,
                                    .minor = d->has_minor ? d->minor : -1,
                                    .access = (unsigned)acc,
                                    .allow = d->allow };
  }
  for (size_t i = 0; i < ndef; i++) {
    bool replaced = false;
    for (size_t j = 0; default_rules[i].path && j < devs_len; j++)
      if (devs[j].path && strcmp(devs[j].path, default_rules[i].path) == 0)
        replaced = true;
    if (!replaced)
      v[n++] = default_rules[i].rule;
  }
  *out = v;
  *out_len = n;
  return 0;
}

char *sbx_dev_rule_string(const struct sbx_dev_rule *r)
{
  char maj[24], min[24], acc[4];
  size_t k = 0;

  if (r->type == 'a')
    return strdup("a");
  if (r->major < 0)
    strcpy(maj, "*");
  else
    snprintf(maj, sizeof maj, "%lld", (long long)r->major);
  if (r->minor < 0)
    strcpy(min, "*");
  else
    snprintf(min, sizeof min, "%lld", (long long)r->minor);
  if (r->access & SBX_DEV_READ)
    acc[k++] = 'r';
  if (r->access & SBX_DEV_WRITE)
    acc[k++] = 'w';
  if (r->access & SBX_DEV_MKNOD)
    acc[k++] = 'm';
  acc[k] = '\0';
  return sbx_strdup_printf("%c %s:%s %s", r->type, maj, min, acc);
}

/* ---- the v1 table (kernel security/device_cgroup.c semantics) ---- */

static bool same_dev(const struct sbx_dev_rule *a, const struct sbx_dev_rule *b)
{
  return a->type == b->type && a->major == b->major && a->minor == b->minor;
}

int sbx_dev_emulate(const struct sbx_dev_rule *rules, size_t n, struct sbx_dev_state *st)
{
  /* A fresh cgroup under a default-allow parent allows everything. */
  st->default_allow = true;
  st->exc = calloc(n + 1, sizeof *st->exc);
  st->n = 0;
  if (st->exc == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    const struct sbx_dev_rule *r = &rules[i];
    if (r->type == 'a') {
      /* "a" resets the default and drops every exception */
      st->default_allow = r->allow;
      st->n = 0;
      continue;
    }
    if (r->allow != st->default_allow) {
      /* an exception to the default: add, merging access of the same dev */
      size_t j;
      for (j = 0; j < st->n; j++)
        if (same_dev(&st->exc[j], r))
          break;
      if (j < st->n) {
        st->exc[j].access |= r->access;
      } else {
        st->exc[st->n] = *r;
        st->exc[st->n].allow = !st->default_allow;
        st->n++;
      }
    } else {
      /* agrees with the default: remove those bits from an exact exception */
      for (size_t j = 0; j < st->n;) {
        if (same_dev(&st->exc[j], r)) {
          st->exc[j].access &= ~r->access;
          if (st->exc[j].access == 0) {
            memmove(&st->exc[j], &st->exc[j + 1], (st->n - j - 1) * sizeof *st->exc);
            st->n--;
            continue;
          }
        }
        j++;
      }
    }
  }
  return 0;
}

void sbx_dev_state_free(struct sbx_dev_state *st)
{
  free(st->exc);
  st->exc = NULL;
  st->n = 0;
}

static bool exc_matches(const struct sbx_dev_rule *e, char type, int64_t major, int64_t minor)
{
  return e->type == type && (e->major < 0 || e->major == major) &&
         (e->minor < 0 || e->minor == minor);
}

bool sbx_dev_state_permits(const struct sbx_dev_state *st, char type, int64_t major,
                           int64_t minor, unsigned access)
{
  for (size_t i = 0; i < st->n; i++) {
    const struct sbx_dev_rule *e = &st->exc[i];
    if (!exc_matches(e, type, major, minor))
      continue;
    if (st->default_allow && (e->access & access) != 0)
      return false;   /* a denial covering part of the request */
    if (!st->default_allow && (e->access & access) == access)
      return true;    /* an allowance covering all of it */
  }
  return st->default_allow;
}

size_t sbx_dev_v1_writes(const struct sbx_dev_state *st, const char ***files, char ***lines)
{
  size_t n = st->n + 1;
  const char **f = calloc(n, sizeof *f);
  char **l = calloc(n, sizeof *l);

  if (f == NULL || l == NULL) {
    free(f);
    free(l);
    *files = NULL;
    *lines = NULL;
    return 0;
  }
  f[0] = st->default_allow ? "devices.allow" : "devices.deny";
  l[0] = strdup("a");
  for (size_t i = 0; i < st->n; i++) {
    f[i + 1] = st->default_allow ? "devices.deny" : "devices.allow";
    l[i + 1] = sbx_dev_rule_string(&st->exc[i]);
  }
  *files = f;
  *lines = l;
  return n;
}

void sbx_dev_v1_writes_free(const char **files, char **lines, size_t n)
{
  for (size_t i = 0; lines && i < n; i++)
    free(lines[i]);
  free(lines);
  free((void *)files);
}

/* ---- the v2 program ---- */

#define INSN(c, d, s, o, i) \
  ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV_REG(dst, src) INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm) INSN(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm) INSN(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE32(dst, imm, off) INSN(BPF_JMP32 | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JEQ32(dst, imm, off) INSN(BPF_JMP32 | BPF_JEQ | BPF_K, dst, 0, off, imm)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers: r2 device type, r3 requested access, r4 major, r5 minor;
 * r1 is scratch once the context is read.  Exceptions are tested in order;
 * the first that decides returns, else the default. */
int sbx_dev_bpf_program(const struct sbx_dev_state *st, struct bpf_insn **insns, size_t *n)
{
  size_t cap = 8 + st->n * 8, k = 0;
  struct bpf_insn *p = calloc(cap, sizeof *p);

  if (p == NULL)
    return -1;
  p[k++] = LDX_W(BPF_REG_2, BPF_REG_1, 0);   /* access_type = access << 16 | type */
  p[k++] = MOV_REG(BPF_REG_3, BPF_REG_2);
  p[k++] = AND_IMM(BPF_REG_2, 0xffff);
  p[k++] = RSH_IMM(BPF_REG_3, 16);
  p[k++] = LDX_W(BPF_REG_4, BPF_REG_1, 4);
  p[k++] = LDX_W(BPF_REG_5, BPF_REG_1, 8);
  for (size_t i = 0; i < st->n; i++) {
    const struct sbx_dev_rule *e = &st->exc[i];
    struct bpf_insn blk[8];
    int bn = 0, njumps;
    int dtype = e->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    /* jumps get their offsets once the block length is known */
    blk[bn++] = JNE32(BPF_REG_2, dtype, 0);
    blk[bn++] = MOV_REG(BPF_REG_1, BPF_REG_3);
    if (st->default_allow) {
      /* a denial: applies when the request shares a bit with it */
      blk[bn++] = AND_IMM(BPF_REG_1, (int32_t)e->access);
      blk[bn++] = JEQ32(BPF_REG_1, 0, 0);
    } else {
      /* an allowance: applies when it covers every requested bit */
      blk[bn++] = AND_IMM(BPF_REG_1, (int32_t)(~e->access & SBX_DEV_RWM));
      blk[bn++] = JNE32(BPF_REG_1, 0, 0);
    }
    if (e->major >= 0)
      blk[bn++] = JNE32(BPF_REG_4, (int32_t)(uint32_t)e->major, 0);
    if (e->minor >= 0)
      blk[bn++] = JNE32(BPF_REG_5, (int32_t)(uint32_t)e->minor, 0);
    njumps = bn;
    blk[bn++] = MOV_IMM(BPF_REG_0, st->default_allow ? 0 : 1);
    blk[bn++] = EXIT();
    for (int j = 0; j < njumps; j++)
      if (BPF_CLASS(blk[j].code) == BPF_JMP32)
        blk[j].off = (int16_t)(bn - (j + 1));
    memcpy(&p[k], blk, bn * sizeof *blk);
    k += bn;
  }
  p[k++] = MOV_IMM(BPF_REG_0, st->default_allow ? 1 : 0);
  p[k++] = EXIT();
  *insns = p;
  *n = k;
  return 0;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
  return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

int sbx_dev_bpf_apply(const char *dir, const struct sbx_dev_state *st, struct sbx_error *err)
{
  cleanup_free struct bpf_insn *insns = NULL;
  cleanup_close int dirfd = -1;
  cleanup_close int prog = -1;
  char log[4096] = "";
  uint32_t old_ids[64];
  uint32_t old_flags = 0, old_cnt = 64;
  size_t n;
  union bpf_attr a;

  if (sbx_dev_bpf_program(st, &insns, &n) < 0)
    return sbx_fail(err, ENOMEM, "linux.resources.devices");
  dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return sbx_fail(err, errno, "linux.resources.devices: open `%s`", dir);

  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uintptr_t)insns;
  a.insn_cnt = (uint32_t)n;
  a.license = (uintptr_t) "Apache";
  a.log_buf = (uintptr_t)log;
  a.log_size = sizeof log;
  a.log_level = 1;
  prog = (int)sys_bpf(BPF_PROG_LOAD, &a);
  if (prog < 0 && errno != ENOSPC) {
    int e = errno;
    return sbx_fail(err, e, "linux.resources.devices: load the device BPF program%s%s",
                    *log ? " (verifier: " : "", *log ? log : "");
  }
  if (prog < 0) {   /* the log was too small: load again without it */
    a.log_buf = 0;
    a.log_size = 0;
    a.log_level = 0;
    prog = (int)sys_bpf(BPF_PROG_LOAD, &a);
    if (prog < 0)
      return sbx_fail(err, errno, "linux.resources.devices: load the device BPF program");
  }

  memset(&a, 0, sizeof a);
  a.query.target_fd = dirfd;
  a.query.attach_type = BPF_CGROUP_DEVICE;
  a.query.prog_ids = (uintptr_t)old_ids;
  a.query.prog_cnt = old_cnt;
  if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
    return sbx_fail(err, errno, "linux.resources.devices: query the BPF programs of `%s`", dir);
  old_cnt = a.query.prog_cnt;
  old_flags = a.query.attach_flags;

  memset(&a, 0, sizeof a);
  a.target_fd = dirfd;
  a.attach_bpf_fd = prog;
  a.attach_type = BPF_CGROUP_DEVICE;
  /* a single non-multi program is replaced by attaching without the flag */
  a.attach_flags = (old_cnt > 0 && !(old_flags & BPF_F_ALLOW_MULTI)) ? 0 : BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
    return sbx_fail(err, errno, "linux.resources.devices: attach the device BPF program to `%s`", dir);
  if (!(a.attach_flags & BPF_F_ALLOW_MULTI))
    return 0;
  for (uint32_t i = 0; i < old_cnt; i++) {
    union bpf_attr g;
    int fd;
    memset(&g, 0, sizeof g);
    g.prog_id = old_ids[i];
    fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
    if (fd < 0)
      continue;   /* already gone */
    memset(&a, 0, sizeof a);
    a.target_fd = dirfd;
    a.attach_bpf_fd = fd;
    a.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT) {
      int e = errno;
      close(fd);
      return sbx_fail(err, e, "linux.resources.devices: detach the old device BPF program of `%s`", dir);
    }
    close(fd);
  }
  return 0;
}
