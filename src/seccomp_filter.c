/* seccomp_filter.c: linux.seccomp (see seccomp_filter.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "utils.h"

#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

#define SECCOMP_PATH "linux.seccomp"
#define MAX_ARGS 6

/* ---- the closed sets of names ---- */

struct action_name {
  const char *name;
  uint32_t action;      /* for ERRNO/TRACE: without the errno */
  bool takes_errno;
};

static const struct action_name actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const struct {
  const char *name;
  enum scmp_compare op;
} operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },   { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },   { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },   { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The runtime-spec's architectures.  token 0: known to the spec but not to
 * the libseccomp we are built with. */
static const struct {
  const char *name;
  uint32_t token;
} archs[] = {
  { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
  { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
  { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
  { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
  { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
  { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
  { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
  { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
  { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
  { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
  { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
  { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
  { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
  { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
  { "SCMP_ARCH_S390", SCMP_ARCH_S390 },
  { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
  { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
  { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
  { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#ifdef SCMP_ARCH_LOONGARCH64
  { "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#else
  { "SCMP_ARCH_LOONGARCH64", 0 },
#endif
#ifdef SCMP_ARCH_M68K
  { "SCMP_ARCH_M68K", SCMP_ARCH_M68K },
#else
  { "SCMP_ARCH_M68K", 0 },
#endif
#ifdef SCMP_ARCH_SH
  { "SCMP_ARCH_SH", SCMP_ARCH_SH },
  { "SCMP_ARCH_SHEB", SCMP_ARCH_SHEB },
#else
  { "SCMP_ARCH_SH", 0 },
  { "SCMP_ARCH_SHEB", 0 },
#endif
};

static const struct {
  const char *name;
  unsigned long flag;   /* 0: accepted and ignored */
} flag_names[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", 0 },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Syscalls that must not be SCMP_ACT_NOTIFY: the init still makes them
 * after the filter is on and before the agent has the listener, so they
 * would block forever.  runc refuses `write` for the same reason. */
static const char *const notify_forbidden[] = { "write", "sendmsg" };

/* ---- validation ---- */

/* Resolve an action name with its errno into a libseccomp action.  path
 * names the action field, errno_key the errno field beside it. */
static int resolve_action(const char *name, bool has_errno, unsigned errno_ret,
                          const char *path, const char *errno_path, uint32_t *out,
                          struct sbx_error *err)
{
  if (name == NULL || *name == '\0')
    return sbx_invalid(err, "%s: missing seccomp action", path);
  for (size_t i = 0; i < N_ELEMS(actions); i++) {
    if (strcmp(actions[i].name, name) != 0)
      continue;
    if (!actions[i].takes_errno) {
      *out = actions[i].action;  /* errnoRet is ignored, as runc does */
      return 0;
    }
    if (has_errno && errno_ret > 0xffff)
      return sbx_invalid(err, "%s: value out of range (max 65535)", errno_path);
    *out = actions[i].action | (has_errno ? errno_ret : EPERM);
    return 0;
  }
  return sbx_invalid(err, "%s: unknown seccomp action \"%s\"", path, name);
}

static int resolve_op(const char *name, const char *path, enum scmp_compare *out,
                      struct sbx_error *err)
{
  if (name == NULL || *name == '\0')
    return sbx_invalid(err, "%s: missing seccomp operator", path);
  for (size_t i = 0; i < N_ELEMS(operators); i++) {
    if (strcmp(operators[i].name, name) == 0) {
      *out = operators[i].op;
      return 0;
    }
  }
  return sbx_invalid(err, "%s: unknown seccomp operator \"%s\"", path, name);
}

/* Does the kernel accept these seccomp(2) flags?  With a NULL program a
 * kernel that knows the flags fails with EFAULT (copying the program), one
 * that does not with EINVAL; nothing is ever installed. */
static bool kernel_has_flags(unsigned long flags)
{
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);

  /* Anything but EINVAL (EFAULT; or ENOSYS/EPERM under some outer filter,
   * which install will report) is not a verdict on the flags. */
  return !(r < 0 && errno == EINVAL);
}

/* ---- compile ---- */

struct compiler {
  scmp_filter_ctx ctx;
  uint32_t default_action;
  bool notify;
  uint32_t arches[N_ELEMS(archs) + 1];   /* in the filter: native first */
  size_t n_arches;
};

static void note_arch(struct compiler *c, uint32_t token)
{
  for (size_t i = 0; i < c->n_arches; i++)
    if (c->arches[i] == token)
      return;
  if (c->n_arches < N_ELEMS(c->arches))
    c->arches[c->n_arches++] = token;
}

static int add_rule(struct compiler *c, int nr, uint32_t act, unsigned n,
                    const struct scmp_arg_cmp *conds, size_t rule, const char *name,
                    struct sbx_error *err)
{
  int rc = seccomp_rule_add_array(c->ctx, act, nr, n, conds);

  if (rc < 0)
    return sbx_fail(err, -rc, SECCOMP_PATH ".syscalls[%zu]: add a rule for `%s`", rule, name);
  return 0;
}

static int compile_rule(struct compiler *c, const struct oci_syscall *sc, size_t i,
                        struct sbx_error *err)
{
  struct scmp_arg_cmp conds[MAX_ARGS * 4];
  unsigned per_index[MAX_ARGS] = { 0 };
  bool split = false;
  uint32_t act;
  char path[96], epath[96];

  snprintf(path, sizeof(path), SECCOMP_PATH ".syscalls[%zu].action", i);
  snprintf(epath, sizeof(epath), SECCOMP_PATH ".syscalls[%zu].errnoRet", i);
  if (resolve_action(sc->action, sc->has_errno_ret, sc->errno_ret, path, epath, &act, err) < 0)
    return -1;
  if (sc->args_len > N_ELEMS(conds))
    return sbx_invalid(err, SECCOMP_PATH ".syscalls[%zu].args: %zu conditions, at most %zu",
                    i, sc->args_len, N_ELEMS(conds));
  for (size_t j = 0; j < sc->args_len; j++) {
    const struct oci_seccomp_arg *a = &sc->args[j];
    enum scmp_compare op = SCMP_CMP_EQ;

    snprintf(path, sizeof(path), SECCOMP_PATH ".syscalls[%zu].args[%zu].op", i, j);
    if (resolve_op(a->op, path, &op, err) < 0)
      return -1;
    if (a->index >= MAX_ARGS)
      return sbx_invalid(err,
                      SECCOMP_PATH ".syscalls[%zu].args[%zu].index: value out of range (max 5)",
                      i, j);
    if (++per_index[a->index] > 1)
      split = true;
    /* MASKED_EQ: datum_a is the mask (value), datum_b the expected value
     * (valueTwo); the other operators only look at datum_a. */
    conds[j] = (struct scmp_arg_cmp){ .arg = a->index, .op = op, .datum_a = a->value,
                                      .datum_b = a->value_two };
  }
  if (act == SCMP_ACT_NOTIFY)
    c->notify = true;

  for (size_t k = 0; k < sc->names_len; k++) {
    const char *name = sc->names[k];
    int nr;

    if (name == NULL || *name == '\0')
      return sbx_invalid(err, SECCOMP_PATH ".syscalls[%zu].names[%zu]: empty syscall name",
                      i, k);
    if (act == SCMP_ACT_NOTIFY) {
      for (size_t f = 0; f < N_ELEMS(notify_forbidden); f++)
        if (strcmp(name, notify_forbidden[f]) == 0)
          return sbx_invalid(err,
                          SECCOMP_PATH ".syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY cannot be "
                          "used for the %s syscall", i, k, name);
    }
    /* libseccomp refuses a rule with the default action: it is redundant. */
    if (act == c->default_action)
      continue;
    /* Unknown here (a newer syscall, another architecture's): skipped. */
    nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
      continue;
    if (sc->args_len == 0 || !split) {
      if (add_rule(c, nr, act, (unsigned)sc->args_len, conds, i, name, err) < 0)
        return -1;
      continue;
    }
    /* Several conditions on one argument: libseccomp cannot express them
     * in one rule; like runc, each condition gets a rule of its own. */
    for (size_t j = 0; j < sc->args_len; j++)
      if (add_rule(c, nr, act, 1, &conds[j], i, name, err) < 0)
        return -1;
  }
  return 0;
}

/* ---- the -ENOSYS stub ----
 *
 * As runc does: with a non-permissive default action, a syscall newer than
 * every syscall the profile names (for the calling architecture) fails
 * with ENOSYS instead of getting the default action, so that programs fall
 * back from syscalls the profile's author did not know (clone3, ...)
 * rather than seeing EPERM or being killed.  The stub runs before
 * libseccomp's program and falls through to it for everything else.
 * Skipped when the default is ALLOW, LOG or TRACE, or its errno is
 * already ENOSYS.  Not generated for s390/s390x (syscall multiplexing)
 * nor for an architecture the profile names no syscall of. */

#define X32_SYSCALL_BIT 0x40000000U
#define STUB_MAX 64

/* The highest real syscall number of arch among the profile's names; -1: none. */
static long max_syscall(const struct oci_seccomp *s, uint32_t arch)
{
  long max = -1;

  for (size_t i = 0; i < s->syscalls_len; i++)
    for (size_t k = 0; k < s->syscalls[i].names_len; k++) {
      const char *name = s->syscalls[i].names[k];
      int nr = name && *name ? seccomp_syscall_resolve_name_arch(arch, name) : -1;

      if (nr >= 0 && nr > max)
        max = nr;
    }
  return max;
}

static bool wants_enosys_stub(const struct oci_seccomp *s, uint32_t def)
{
  uint32_t kind = def & 0xffff0000U;

  if (def == SCMP_ACT_ALLOW || def == SCMP_ACT_LOG || kind == SCMP_ACT_TRACE(0))
    return false;
  if (def == SCMP_ACT_ERRNO(ENOSYS))
    return false;
  return !(s->has_default_errno_ret && s->default_errno_ret == ENOSYS);
}

/* Two passes: with out == NULL only counts the block instructions. */
static size_t emit_stub(const struct oci_seccomp *s, const struct compiler *c,
                        struct sock_filter *out, size_t blocks_len)
{
  size_t n = 0;
  bool has_x32 = false;
  const size_t enosys_at = blocks_len + 1, main_at = blocks_len + 2;

#define EMIT(insn) do { if (out) out[n] = (struct sock_filter)insn; n++; } while (0)
#define TO(target) ((unsigned char)((target) - (n + 1)))
  for (size_t i = 0; i < c->n_arches; i++)
    if (c->arches[i] == SCMP_ARCH_X32)
      has_x32 = true;
  for (size_t i = 0; i < c->n_arches; i++) {
    uint32_t arch = c->arches[i];
    long max = max_syscall(s, arch), max32 = -1;
    size_t block_end;

    if (arch == SCMP_ARCH_X32 || arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X)
      continue;
    if (arch == SCMP_ARCH_X86_64 && has_x32)
      max32 = max_syscall(s, SCMP_ARCH_X32);
    if (max < 0 && max32 < 0)
      continue;
    /* ld arch; jeq ARCH ? go on : next block */
    block_end = n + 4 + (arch == SCMP_ARCH_X86_64 ? (has_x32 ? 2 : 1) : 0);
    EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
    EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, TO(block_end)));
    EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
    if (arch == SCMP_ARCH_X86_64 && has_x32) {
      /* x32 calls (same AUDIT_ARCH) are told apart by __X32_SYSCALL_BIT */
      EMIT(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 1, 0));
      EMIT(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)(max < 0 ? 0xffffffffL : max),
                    TO(enosys_at), TO(main_at)));
      EMIT(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)(max32 < 0 ? 0xffffffffL : max32),
                    TO(enosys_at), TO(main_at)));
    } else if (arch == SCMP_ARCH_X86_64) {
      /* x32 not in the filter: libseccomp's program deals with x32 calls */
      EMIT(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, TO(main_at), 0));
      EMIT(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max, TO(enosys_at), TO(main_at)));
    } else {
      EMIT(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max, TO(enosys_at), TO(main_at)));
    }
  }
#undef TO
#undef EMIT
  return n;
}

/* The stub (malloc'd) or NULL with *len 0 when none is needed. */
static int enosys_stub(const struct oci_seccomp *s, const struct compiler *c,
                       struct sock_filter **stub, size_t *len, struct sbx_error *err)
{
  size_t blocks;

  *stub = NULL;
  *len = 0;
  if (!wants_enosys_stub(s, c->default_action))
    return 0;
  blocks = emit_stub(s, c, NULL, 0);
  if (blocks == 0)
    return 0;
  if (blocks + 2 > STUB_MAX)   /* keeps every jump within 8 bits */
    return 0;
  *stub = calloc(blocks + 2, sizeof(struct sock_filter));
  if (*stub == NULL)
    return sbx_fail(err, ENOMEM, SECCOMP_PATH ": -ENOSYS stub");
  emit_stub(s, c, *stub, blocks);
  /* no architecture matched: on to the main program */
  (*stub)[blocks] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA | BPF_K, 1, 0, 0);
  (*stub)[blocks + 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(ENOSYS));
  *len = blocks + 2;
  return 0;
}

static int export_program(scmp_filter_ctx ctx, const struct sock_filter *stub, size_t n_stub,
                          struct sbx_seccomp_program *out, struct sbx_error *err)
{
  const size_t stub_bytes = n_stub * sizeof(struct sock_filter);
  size_t total;
  cleanup_close int fd = memfd_create("agentsbx-seccomp", MFD_CLOEXEC);
  struct stat st;
  void *buf;
  ssize_t n;
  int rc;

  if (fd < 0)
    return sbx_fail(err, errno, SECCOMP_PATH ": memfd for the BPF program");
  rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0)
    return sbx_fail(err, -rc, SECCOMP_PATH ": export the BPF program");
  if (fstat(fd, &st) < 0)
    return sbx_fail(err, errno, SECCOMP_PATH ": export the BPF program");
  if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0)
    return sbx_invalid(err, SECCOMP_PATH ": exported BPF program has a bad size %lld",
                    (long long)st.st_size);
  total = stub_bytes + (size_t)st.st_size;
  if (total / sizeof(struct sock_filter) > BPF_MAXINSNS)
    return sbx_invalid(err,
                       SECCOMP_PATH ": the filter has %zu instructions, the kernel takes at most %d",
                       total / sizeof(struct sock_filter), BPF_MAXINSNS);
  buf = malloc(total);
  if (buf == NULL)
    return sbx_fail(err, ENOMEM, SECCOMP_PATH ": export the BPF program");
  if (n_stub)
    memcpy(buf, stub, stub_bytes);
  n = pread(fd, (char *)buf + stub_bytes, (size_t)st.st_size, 0);
  if (n != st.st_size) {
    free(buf);
    return sbx_fail(err, n < 0 ? errno : EIO, SECCOMP_PATH ": read back the BPF program");
  }
  out->bpf = buf;
  out->len = total;
  return 0;
}

static int compile_filter(const struct oci_seccomp *s, struct compiler *c,
                          unsigned long *flags, bool *wait_killable, struct sbx_error *err)
{
  int rc;

  /* Architectures: the native one is always in; a duplicate is fine. */
  for (size_t i = 0; i < s->architectures_len; i++) {
    const char *name = s->architectures[i];
    size_t a;

    for (a = 0; a < N_ELEMS(archs); a++)
      if (name && strcmp(archs[a].name, name) == 0)
        break;
    if (a == N_ELEMS(archs))
      return sbx_invalid(err, SECCOMP_PATH ".architectures[%zu]: unknown seccomp architecture \"%s\"",
                      i, name ? name : "");
    if (archs[a].token == 0) {
      const struct scmp_version *v = seccomp_version();
      return sbx_invalid(err,
                      SECCOMP_PATH ".architectures[%zu]: %s is not supported by libseccomp "
                      "%u.%u.%u", i, name, v->major, v->minor, v->micro);
    }
    rc = seccomp_arch_add(c->ctx, archs[a].token);
    if (rc == -EDOM)
      return sbx_invalid(err,
                         SECCOMP_PATH ".architectures[%zu]: %s: a filter cannot mix "
                         "architectures of different endianness", i, name);
    if (rc < 0 && rc != -EEXIST)
      return sbx_fail(err, -rc, SECCOMP_PATH ".architectures[%zu]: add %s", i, name);
    note_arch(c, archs[a].token);
  }

  for (size_t i = 0; i < s->flags_len; i++) {
    const char *name = s->flags[i];
    size_t f;

    for (f = 0; f < N_ELEMS(flag_names); f++)
      if (name && strcmp(flag_names[f].name, name) == 0)
        break;
    if (f == N_ELEMS(flag_names))
      return sbx_invalid(err, SECCOMP_PATH ".flags[%zu]: unknown seccomp flag \"%s\"", i,
                      name ? name : "");
    if (flag_names[f].flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
      /* Only meaningful (and only accepted) with NEW_LISTENER. */
      if (!kernel_has_flags(SECCOMP_FILTER_FLAG_NEW_LISTENER |
                            SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))
        return sbx_invalid(err, SECCOMP_PATH ".flags[%zu]: %s is not supported by the "
                        "kernel", i, name);
      *wait_killable = true;
    } else if (flag_names[f].flag != 0) {
      if (!kernel_has_flags(flag_names[f].flag))
        return sbx_invalid(err, SECCOMP_PATH ".flags[%zu]: %s is not supported by the "
                        "kernel", i, name);
      *flags |= flag_names[f].flag;
    }
  }

  /* The runtime sets no_new_privs itself (or not, per process.noNewPrivileges);
   * export ignores these, but keep the context honest. */
  rc = seccomp_attr_set(c->ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0)
    return sbx_fail(err, -rc, SECCOMP_PATH ": clear the no_new_privs attribute");

  for (size_t i = 0; i < s->syscalls_len; i++)
    if (compile_rule(c, &s->syscalls[i], i, err) < 0)
      return -1;
  return 0;
}

int sbx_seccomp_compile(const struct oci_seccomp *s, struct sbx_seccomp_program *out,
                        struct sbx_error *err)
{
  struct compiler c = { 0 };
  struct sock_filter *stub = NULL;
  size_t n_stub = 0;
  unsigned long flags = 0;
  bool wait_killable = false;
  int rc;

  memset(out, 0, sizeof(*out));
  if (s == NULL)
    return 0;
  /* As runc: neither a default action nor rules means seccomp is off. */
  if ((s->default_action == NULL || *s->default_action == '\0') && s->syscalls_len == 0)
    return 0;
  if (resolve_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret,
                     SECCOMP_PATH ".defaultAction", SECCOMP_PATH ".defaultErrnoRet",
                     &c.default_action, err) < 0)
    return -1;
  if (c.default_action == SCMP_ACT_NOTIFY)
    return sbx_invalid(err,
                    SECCOMP_PATH ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

  c.ctx = seccomp_init(c.default_action);
  if (c.ctx == NULL)
    return sbx_invalid(err, SECCOMP_PATH ".defaultAction: libseccomp refuses `%s`",
                    s->default_action);
  note_arch(&c, seccomp_arch_native());
  rc = compile_filter(s, &c, &flags, &wait_killable, err);
  if (rc == 0 && c.notify && (s->listener_path == NULL || *s->listener_path == '\0'))
    rc = sbx_invalid(err,
                  SECCOMP_PATH ".listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
  if (rc == 0)
    rc = enosys_stub(s, &c, &stub, &n_stub, err);
  if (rc == 0)
    rc = export_program(c.ctx, stub, n_stub, out, err);
  free(stub);
  seccomp_release(c.ctx);
  if (rc < 0)
    return -1;
  if (c.notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (wait_killable)
      flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  }
  out->flags = (unsigned)flags;
  out->notify = c.notify;
  return 0;
}

void sbx_seccomp_program_release(struct sbx_seccomp_program *p)
{
  if (p == NULL)
    return;
  free(p->bpf);
  memset(p, 0, sizeof(*p));
}

/* ---- install (in the container's init) ---- */

int sbx_seccomp_install(const struct sbx_seccomp_program *p, int *listener,
                        struct sbx_error *err)
{
  struct sock_fprog prog;
  long r;

  if (listener)
    *listener = -1;
  if (p == NULL || p->bpf == NULL || p->len == 0)
    return 0;
  if (p->len % sizeof(struct sock_filter) != 0 ||
      p->len / sizeof(struct sock_filter) > BPF_MAXINSNS)
    return sbx_invalid(err, "seccomp: bad BPF program of %zu bytes", p->len);
  if (p->notify && listener == NULL)
    return sbx_invalid(err, "seccomp: the filter needs a listener but none is asked for");
  prog.len = (unsigned short)(p->len / sizeof(struct sock_filter));
  prog.filter = p->bpf;
  r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned long)p->flags, &prog);
  if (r < 0)
    return sbx_fail(err, errno, "seccomp: load the filter (%u instructions, flags %#x)",
                    prog.len, p->flags);
  if (p->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
    *listener = (int)r;
  return 0;
}

/* ---- the listener and the agent ---- */

int sbx_seccomp_listener_connect(const char *listener_path, struct sbx_error *err)
{
  int sock;

  if (listener_path == NULL || *listener_path == '\0')
    return sbx_invalid(err, SECCOMP_PATH ".listenerPath: empty");
  sock = sbx_unix_connect(listener_path);
  if (sock < 0)
    return sbx_fail(err, errno,
                    SECCOMP_PATH ".listenerPath: connect to the seccomp agent at `%s`",
                    listener_path);
  return sock;
}

/* A growing string buffer for the JSON document. */
struct strbuf {
  char *s;
  size_t len, cap;
  bool oom;
};

static void sb_add(struct strbuf *b, const char *data, size_t n)
{
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    char *s;

    while (cap < b->len + n + 1)
      cap *= 2;
    s = realloc(b->s, cap);
    if (s == NULL) {
      b->oom = true;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
  memcpy(b->s + b->len, data, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void sb_str(struct strbuf *b, const char *s)
{
  sb_add(b, s, strlen(s));
}

/* A JSON string literal.  Bytes >= 0x80 pass through (UTF-8 stays UTF-8). */
static void sb_json_string(struct strbuf *b, const char *s)
{
  sb_add(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char esc[8];

    switch (*p) {
    case '"': sb_add(b, "\\\"", 2); break;
    case '\\': sb_add(b, "\\\\", 2); break;
    case '\n': sb_add(b, "\\n", 2); break;
    case '\r': sb_add(b, "\\r", 2); break;
    case '\t': sb_add(b, "\\t", 2); break;
    case '\b': sb_add(b, "\\b", 2); break;
    case '\f': sb_add(b, "\\f", 2); break;
    default:
      if (*p < 0x20) {
        snprintf(esc, sizeof(esc), "\\u%04x", *p);
        sb_add(b, esc, 6);
      } else {
        sb_add(b, (const char *)p, 1);
      }
    }
  }
  sb_add(b, "\"", 1);
}

/* The container process state document of the runtime-spec. */
static char *process_state_json(const char *state_json, const char *metadata,
                                struct sbx_error *err)
{
  static const char *pid_path[] = { "pid", NULL };
  static const char *version_path[] = { "ociVersion", NULL };
  char ebuf[256] = "";
  yajl_val tree, pid, version;
  struct strbuf b = { 0 };
  char num[32];

  if (state_json == NULL) {
    sbx_invalid(err, "seccomp agent: no container state");
    return NULL;
  }
  tree = yajl_tree_parse(state_json, ebuf, sizeof(ebuf));
  if (tree == NULL || !YAJL_IS_OBJECT(tree)) {
    sbx_invalid(err, "seccomp agent: the container state is not a JSON object%s%s",
             ebuf[0] ? ": " : "", ebuf);
    yajl_tree_free(tree);
    return NULL;
  }
  pid = yajl_tree_get(tree, pid_path, yajl_t_number);
  if (pid == NULL || !YAJL_IS_INTEGER(pid) || YAJL_GET_INTEGER(pid) <= 0) {
    sbx_invalid(err, "seccomp agent: the container state has no pid");
    yajl_tree_free(tree);
    return NULL;
  }
  version = yajl_tree_get(tree, version_path, yajl_t_string);

  sb_str(&b, "{\"ociVersion\":");
  sb_json_string(&b, version ? YAJL_GET_STRING(version) : "1.2.0");
  sb_str(&b, ",\"fds\":[\"seccompFd\"],\"pid\":");
  snprintf(num, sizeof(num), "%lld", YAJL_GET_INTEGER(pid));
  sb_str(&b, num);
  if (metadata && *metadata) {
    sb_str(&b, ",\"metadata\":");
    sb_json_string(&b, metadata);
  }
  sb_str(&b, ",\"state\":");
  sb_str(&b, state_json);
  sb_str(&b, "}");
  yajl_tree_free(tree);
  if (b.oom) {
    free(b.s);
    sbx_fail(err, ENOMEM, "seccomp agent: container process state");
    return NULL;
  }
  return b.s;
}

int sbx_seccomp_send_listener(int sock, int listener, const char *state_json,
                              const char *metadata, struct sbx_error *err)
{
  cleanup_free char *doc = process_state_json(state_json, metadata, err);
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  size_t len, off = 0;

  if (doc == NULL)
    return -1;
  len = strlen(doc);
  memset(&control, 0, sizeof(control));
  /* One sendmsg carries the fd and, normally, the whole document; should
   * the socket take less, the rest follows without the fd. */
  while (off < len) {
    struct iovec iov = { .iov_base = doc + off, .iov_len = len - off };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    if (off == 0) {
      struct cmsghdr *cmsg;

      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof(control.buf);
      cmsg = CMSG_FIRSTHDR(&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(cmsg), &listener, sizeof(int));
    }
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sbx_fail(err, errno, "send the seccomp listener to the seccomp agent");
    off += (size_t)n;
  }
  return 0;
}

/* ---- features ---- */

static const char *const feature_actions[] = {
  "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
};
static const char *const feature_operators[] = {
  "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
  "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
};
static const char *const feature_flags[] = {
  "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

#define STATIC_LIST(a, n) ((struct oci_string_list){ .items = (char **)(a), .len = (n) })

int sbx_seccomp_features(struct oci_features_seccomp *out, struct sbx_error *err)
{
  size_t n_archs = 0, n_supported = 0;
  const char **supported = calloc(N_ELEMS(feature_flags), sizeof(char *));
  const char **arch_names = calloc(N_ELEMS(archs), sizeof(char *));

  if (supported == NULL || arch_names == NULL) {
    free(supported);
    free(arch_names);
    return sbx_fail(err, ENOMEM, "seccomp features");
  }
  for (size_t a = 0; a < N_ELEMS(archs); a++)
    if (archs[a].token != 0)
      arch_names[n_archs++] = archs[a].name;
  for (size_t i = 0; i < N_ELEMS(feature_flags); i++) {
    unsigned long flag = 0;

    for (size_t f = 0; f < N_ELEMS(flag_names); f++)
      if (strcmp(flag_names[f].name, feature_flags[i]) == 0)
        flag = flag_names[f].flag;
    if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
      flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (flag == 0 || kernel_has_flags(flag))  /* TSYNC: always taken */
      supported[n_supported++] = feature_flags[i];
  }
  out->enabled = true;
  out->actions = STATIC_LIST(feature_actions, N_ELEMS(feature_actions));
  out->operators = STATIC_LIST(feature_operators, N_ELEMS(feature_operators));
  out->archs = (struct oci_string_list){ .items = (char **)arch_names, .len = n_archs };
  out->known_flags = STATIC_LIST(feature_flags, N_ELEMS(feature_flags));
  out->supported_flags = (struct oci_string_list){ .items = (char **)supported,
                                                   .len = n_supported };
  return 0;
}
