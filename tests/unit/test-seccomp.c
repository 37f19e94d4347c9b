/* test-seccomp.c: unit tests of src/seccomp_filter.c: compiling good and
 * bad profiles (with their exact errors), and installing compiled programs
 * in forked children to check what each action, operator and flag does,
 * including a user-notification listener handed over with
 * sbx_seccomp_send_listener and answered here.  Needs root (or
 * CAP_SYS_ADMIN) for the installs without no_new_privs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "oci_spec.h"
#include "seccomp_filter.h"
#include "unit.h"

#define JSON(...) #__VA_ARGS__
/* A config whose linux.seccomp is the given object members. */
#define PROFILE(...) "{\"ociVersion\": \"1.2.0\", \"linux\": {\"seccomp\": {" #__VA_ARGS__ "}}}"

/* A path whose parent does not exist: mkdir on it fails with ENOENT when
 * the filter lets it through, so the tests never create anything. */
#define NODIR "/nonexistent-agentsbx-test/x"

static struct oci_config *parse(const char *json)
{
  char *msg = NULL;
  struct oci_config *c = oci_config_parse(json, strlen(json), &msg);

  if (c == NULL) {
    fprintf(stderr, "parse: %s\n", msg);
    free(msg);
  }
  return c;
}

static struct oci_seccomp *profile_of(struct oci_config *c)
{
  return c && c->linux_ ? c->linux_->seccomp : NULL;
}

/* Compile json's profile; on success p holds the program. */
static int compile_json(const char *json, struct sbx_seccomp_program *p, struct sbx_error *err)
{
  struct oci_config *c = parse(json);
  int r;

  if (c == NULL)
    return sbx_invalid(err, "test profile does not parse");
  r = sbx_seccomp_compile(profile_of(c), p, err);
  oci_config_free(c);
  return r;
}

/* The error message of compiling json after mutate() changed it. */
static char *compile_error(const char *json, void (*mutate)(struct oci_seccomp *))
{
  struct oci_config *c = parse(json);
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };
  char *msg;

  if (c == NULL)
    return strdup("(does not parse)");
  if (mutate)
    mutate(profile_of(c));
  if (sbx_seccomp_compile(profile_of(c), &p, &err) == 0) {
    sbx_seccomp_program_release(&p);
    oci_config_free(c);
    return strdup("(compiled)");
  }
  msg = err.msg;
  oci_config_free(c);
  return msg;
}

/* Run fn in a child with the program installed (no_new_privs when nnp);
 * returns the raw wait status.  fn returns the exit code: 0 for success, or
 * the line number of the first failed expectation. */
static int run_filtered(const struct sbx_seccomp_program *p, bool nnp, int (*fn)(void))
{
  pid_t pid = fork();
  int status = 0;

  if (pid < 0)
    return -1;
  if (pid == 0) {
    struct rlimit no_core = { 0, 0 };
    struct sbx_error err = { 0 };
    int listener = -1;

    setrlimit(RLIMIT_CORE, &no_core);
    if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
      _exit(200);
    if (sbx_seccomp_install(p, &listener, &err) < 0) {
      fprintf(stderr, "install: %s\n", err.msg);
      _exit(201);
    }
    _exit(fn());
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

/* In a child: expect the syscall's result.  EXPECT_ERR(call, e): -1 with
 * errno e; EXPECT_OK(call): not -1. */
#define EXPECT_ERR(call, e)                                                   \
  do {                                                                        \
    errno = 0;                                                                \
    long r_ = (call);                                                         \
    if (r_ != -1 || errno != (e)) {                                           \
      fprintf(stderr, "line %d: %s: got %ld errno %d, want errno %d\n",      \
              __LINE__, #call, r_, errno, (e));                               \
      return __LINE__ % 200 + 1;                                              \
    }                                                                         \
  } while (0)
#define EXPECT_OK(call)                                                       \
  do {                                                                        \
    errno = 0;                                                                \
    long r_ = (call);                                                         \
    if (r_ == -1) {                                                           \
      fprintf(stderr, "line %d: %s: failed with errno %d\n", __LINE__, #call, errno); \
      return __LINE__ % 200 + 1;                                              \
    }                                                                         \
  } while (0)

static bool exited_ok(int status)
{
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool killed_by(int status, int sig)
{
  return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/* ---- compile ---- */

static void test_no_profile(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };
  struct oci_seccomp empty = { 0 };
  int listener = 7;

  CHECK_INT(sbx_seccomp_compile(NULL, &p, &err), 0);
  CHECK(p.bpf == NULL && p.len == 0 && !p.notify);
  CHECK_INT(sbx_seccomp_compile(&empty, &p, &err), 0);
  CHECK(p.bpf == NULL);
  CHECK_INT(sbx_seccomp_install(&p, &listener, &err), 0);
  CHECK_INT(listener, -1);
  sbx_seccomp_program_release(&p);
}

static void test_compile_good(void)
{
  struct sbx_seccomp_program p, native;
  struct sbx_error err = { 0 };

  CHECK_INT(compile_json(PROFILE("defaultAction": "SCMP_ACT_ALLOW",
                                 "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]),
                         &native, &err), 0);
  CHECK_INT(compile_json(PROFILE(
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"],
      "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
      "listenerPath": "/ignored/without/notify", "listenerMetadata": "m",
      "syscalls": [
        {"names": ["read", "write", "exit_group", "no_such_syscall_xyz"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        {"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS",
         "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 15, "op": "SCMP_CMP_EQ"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_TRACE", "errnoRet": 5},
        {"names": ["personality"], "action": "SCMP_ACT_LOG",
         "args": [{"index": 0, "value": 255, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["socketcall"], "action": "SCMP_ACT_TRAP"}]),
      &p, &err), 0);
  if (!CHECK(err.msg == NULL))
    fprintf(stderr, "  %s\n", err.msg);
  CHECK(p.bpf != NULL);
  CHECK(p.len > 0 && p.len % sizeof(struct sock_filter) == 0);
  CHECK_INT(p.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  CHECK(!p.notify);
  /* four architectures: a longer program than the native one alone */
  CHECK(p.len > native.len);
  sbx_seccomp_program_release(&p);
  sbx_seccomp_program_release(&native);
  CHECK(p.bpf == NULL && p.len == 0);
  sbx_error_clear(&err);
}

static void test_compile_notify_flags(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };

  CHECK_INT(compile_json(PROFILE("defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/a.sock",
                                 "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
                                 "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]),
                         &p, &err), 0);
  CHECK(p.notify);
  CHECK_INT(p.flags, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  sbx_seccomp_program_release(&p);
  /* WAIT_KILLABLE_RECV alone is refused by the kernel: left out */
  CHECK_INT(compile_json(PROFILE("defaultAction": "SCMP_ACT_ALLOW",
                                 "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
                                 "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]),
                         &p, &err), 0);
  CHECK(!p.notify);
  CHECK_INT(p.flags, 0);
  sbx_seccomp_program_release(&p);
  sbx_error_clear(&err);
}

/* A rule with the default action (errno included) is skipped, not an
 * error; one with the same action but another errno is kept. */
static void test_rule_equal_to_default(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };

  CHECK_INT(compile_json(PROFILE("defaultAction": "SCMP_ACT_ERRNO",
                                 "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
                                              {"names": ["uname"], "action": "SCMP_ACT_ERRNO",
                                               "errnoRet": 1},
                                              {"names": ["getpid"], "action": "SCMP_ACT_ERRNO",
                                               "errnoRet": 2}]),
                         &p, &err), 0);
  if (!CHECK(err.msg == NULL))
    fprintf(stderr, "  %s\n", err.msg);
  sbx_seccomp_program_release(&p);
  sbx_error_clear(&err);
}

/* Mutators for what the parser would refuse (the compiler checks it too:
 * the policy engine builds profiles without the parser). */
static void set_str(char **field, const char *v)
{
  free(*field);
  *field = strdup(v);
}
static void mut_action(struct oci_seccomp *s) { set_str(&s->syscalls[2].action, "SCMP_ACT_FOO"); }
static void mut_default(struct oci_seccomp *s) { set_str(&s->default_action, "SCMP_ACT_BAR"); }
static void mut_op(struct oci_seccomp *s) { set_str(&s->syscalls[1].args[1].op, "SCMP_CMP_XX"); }
static void mut_index(struct oci_seccomp *s) { s->syscalls[1].args[0].index = 6; }
static void mut_errno(struct oci_seccomp *s)
{
  s->syscalls[0].has_errno_ret = true;
  s->syscalls[0].errno_ret = 70000;
}
static void mut_empty_name(struct oci_seccomp *s) { set_str(&s->syscalls[2].names[1], ""); }

static const char base_profile[] = PROFILE(
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
      {"names": ["kill"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                {"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}]},
      {"names": ["uname", "getppid"], "action": "SCMP_ACT_KILL"}]);

static void test_bad_profiles(void)
{
  static const struct {
    const char *json;
    void (*mutate)(struct oci_seccomp *);
    const char *want;
  } cases[] = {
    { base_profile, mut_action,
      "linux.seccomp.syscalls[2].action: unknown seccomp action \"SCMP_ACT_FOO\"" },
    { base_profile, mut_default,
      "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_BAR\"" },
    { base_profile, mut_op,
      "linux.seccomp.syscalls[1].args[1].op: unknown seccomp operator \"SCMP_CMP_XX\"" },
    { base_profile, mut_index,
      "linux.seccomp.syscalls[1].args[0].index: value out of range (max 5)" },
    { base_profile, mut_errno,
      "linux.seccomp.syscalls[0].errnoRet: value out of range (max 65535)" },
    { base_profile, mut_empty_name, "linux.seccomp.syscalls[2].names[1]: empty syscall name" },
    { PROFILE("defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_Z80"]),
      NULL, "linux.seccomp.architectures[1]: unknown seccomp architecture \"SCMP_ARCH_Z80\"" },
#if defined(__x86_64__) || defined(__aarch64__)
    { PROFILE("defaultAction": "SCMP_ACT_ALLOW",
              "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_S390X"]),
      NULL, "linux.seccomp.architectures[1]: SCMP_ARCH_S390X: a filter cannot mix architectures "
            "of different endianness" },
#endif
    { PROFILE("defaultAction": "SCMP_ACT_ALLOW", "architectures": ["x86_64"]),
      NULL, "linux.seccomp.architectures[0]: unknown seccomp architecture \"x86_64\"" },
    { PROFILE("defaultAction": "SCMP_ACT_ALLOW",
              "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"]),
      NULL, "linux.seccomp.flags[1]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_BOGUS\"" },
    { PROFILE("defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"},
                           {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]),
      NULL, "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY" },
    { PROFILE("defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "",
              "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]),
      NULL, "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY" },
    { PROFILE("defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/a.sock"),
      NULL, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action" },
    { PROFILE("defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/a.sock",
              "syscalls": [{"names": ["mkdir", "write"], "action": "SCMP_ACT_NOTIFY"}]),
      NULL, "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the write syscall" },
    { PROFILE("defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/a.sock",
              "syscalls": [{"names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY"}]),
      NULL, "linux.seccomp.syscalls[0].names[0]: SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall" },
    { PROFILE("defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 100000),
      NULL, "(compiled)" },  /* defaultErrnoRet ignored: not an ERRNO default */
    { PROFILE("defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 100000),
      NULL, "linux.seccomp.defaultErrnoRet: value out of range (max 65535)" },
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char name[64];
    char *got;

    snprintf(name, sizeof(name), "bad_profiles[%zu]", i);
    unit_begin(name);
    got = compile_error(cases[i].json, cases[i].mutate);
    CHECK_STR(got, cases[i].want);
    free(got);
    unit_end();
  }
}

/* ---- install: what each action does ---- */

static int child_errno_rules(void)
{
  struct utsname u;

  EXPECT_ERR(uname(&u), EPERM);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0700), 1234);
  EXPECT_ERR(syscall(SYS_mkdirat, AT_FDCWD, NODIR, 0700), 1234);
  /* other syscalls run */
  EXPECT_OK(getppid());
  EXPECT_ERR(syscall(SYS_rmdir, NODIR), ENOENT);
  return 0;
}

static void test_errno(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };

  CHECK_INT(compile_json(PROFILE("defaultAction": "SCMP_ACT_ALLOW",
                                 "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_ERRNO"},
                                              {"names": ["mkdir", "mkdirat"],
                                               "action": "SCMP_ACT_ERRNO", "errnoRet": 1234}]),
                         &p, &err), 0);
  /* both with no_new_privs and, as root, without */
  CHECK(exited_ok(run_filtered(&p, true, child_errno_rules)));
  CHECK(exited_ok(run_filtered(&p, false, child_errno_rules)));
  sbx_seccomp_program_release(&p);
}

static int child_default_errno(void)
{
  /* everything but the allowed few fails with defaultErrnoRet */
  EXPECT_ERR(syscall(SYS_getppid), 6);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0700), 6);
  EXPECT_ERR(syscall(SYS_getpid), 7);  /* errnoRet of its own */
  return 0;
}

static void test_default_errno(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };

  CHECK_INT(compile_json(PROFILE("defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 6,
                                 "syscalls": [{"names": ["exit", "exit_group", "write"],
                                               "action": "SCMP_ACT_ALLOW"},
                                              {"names": ["getpid"], "action": "SCMP_ACT_ERRNO",
                                               "errnoRet": 7}]),
                         &p, &err), 0);
  CHECK(exited_ok(run_filtered(&p, true, child_default_errno)));
  sbx_seccomp_program_release(&p);
}

/* The -ENOSYS stub: syscalls above the highest one the profile names get
 * ENOSYS, not the default action. */
static int child_enosys(void)
{
  EXPECT_ERR(syscall(SYS_getppid), EPERM);   /* below exit_group: default */
  EXPECT_ERR(syscall(999), ENOSYS);           /* above: ENOSYS */
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0700), EPERM);
  EXPECT_OK(syscall(SYS_getpid));
  return 0;
}

static int child_enosys_errno(void)
{
  EXPECT_ERR(syscall(SYS_getppid), 77);
  EXPECT_ERR(syscall(999), ENOSYS);
  return 0;
}

static int child_enosys_kill(void)
{
  EXPECT_ERR(syscall(999), ENOSYS);
  syscall(SYS_getppid);   /* killed here */
  return 0;
}

static void test_enosys_stub(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };

#define ALLOWED "{\"names\": [\"exit\", \"exit_group\", \"write\", \"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}"
  CHECK_INT(compile_json("{\"ociVersion\": \"1.2.0\", \"linux\": {\"seccomp\": {"
                         "\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [" ALLOWED "]}}}",
                         &p, &err), 0);
  CHECK(exited_ok(run_filtered(&p, true, child_enosys)));
  sbx_seccomp_program_release(&p);
  /* with the x86 family in the filter too */
  CHECK_INT(compile_json("{\"ociVersion\": \"1.2.0\", \"linux\": {\"seccomp\": {"
                         "\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": "
                         "[\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\", \"SCMP_ARCH_X86_64\"], "
                         "\"syscalls\": [" ALLOWED "]}}}",
                         &p, &err), 0);
  CHECK(exited_ok(run_filtered(&p, true, child_enosys)));
  sbx_seccomp_program_release(&p);
  /* a KILL default too */
  CHECK_INT(compile_json("{\"ociVersion\": \"1.2.0\", \"linux\": {\"seccomp\": {"
                         "\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"syscalls\": [" ALLOWED "]}}}",
                         &p, &err), 0);
  CHECK(killed_by(run_filtered(&p, true, child_enosys_kill), SIGSYS));
  sbx_seccomp_program_release(&p);
  CHECK_INT(compile_json("{\"ociVersion\": \"1.2.0\", \"linux\": {\"seccomp\": {"
                         "\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 77, "
                         "\"syscalls\": [" ALLOWED "]}}}",
                         &p, &err), 0);
  /* defaultErrnoRet 77: the stub still answers 999 with ENOSYS */
  CHECK(exited_ok(run_filtered(&p, true, child_enosys_errno)));
  {
    /* defaultErrnoRet ENOSYS: no stub, so a shorter program */
    struct sbx_seccomp_program q;

    CHECK_INT(compile_json("{\"ociVersion\": \"1.2.0\", \"linux\": {\"seccomp\": {"
                           "\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, "
                           "\"syscalls\": [" ALLOWED "]}}}",
                           &q, &err), 0);
    CHECK(q.len + 2 * sizeof(struct sock_filter) <= p.len);
    sbx_seccomp_program_release(&q);
  }
  sbx_seccomp_program_release(&p);
#undef ALLOWED
  sbx_error_clear(&err);
}

static int child_uname(void)
{
  struct utsname u;

  uname(&u);
  return 0;
}

static int child_trace(void)
{
  struct utsname u;

  /* SCMP_ACT_TRACE without a tracer: the syscall fails with ENOSYS */
  EXPECT_ERR(uname(&u), ENOSYS);
  return 0;
}

static int child_log(void)
{
  struct utsname u;

  EXPECT_OK(uname(&u));
  return 0;
}

static void test_kill_trap_log_trace(void)
{
  static const struct {
    const char *action;
    int (*fn)(void);
    int signal;   /* 0: expect exit 0 */
  } cases[] = {
    { "SCMP_ACT_KILL_PROCESS", child_uname, SIGSYS },
    { "SCMP_ACT_KILL_THREAD", child_uname, SIGSYS },
    { "SCMP_ACT_KILL", child_uname, SIGSYS },
    { "SCMP_ACT_TRAP", child_uname, SIGSYS },
    { "SCMP_ACT_LOG", child_log, 0 },
    { "SCMP_ACT_TRACE", child_trace, 0 },
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char json[512], name[64];
    struct sbx_seccomp_program p;
    struct sbx_error err = { 0 };
    int status;

    snprintf(name, sizeof(name), "action %s", cases[i].action);
    unit_begin(name);
    snprintf(json, sizeof(json),
             PROFILE("defaultAction": "SCMP_ACT_ALLOW",
                     "syscalls": [{"names": ["uname"], "action": "%s"}]),
             cases[i].action);
    if (CHECK_INT(compile_json(json, &p, &err), 0)) {
      status = run_filtered(&p, true, cases[i].fn);
      if (cases[i].signal)
        CHECK(killed_by(status, cases[i].signal));
      else
        CHECK(exited_ok(status));
    }
    sbx_seccomp_program_release(&p);
    sbx_error_clear(&err);
    unit_end();
  }
}

/* ---- install: argument conditions ---- */

static int child_conditions(void)
{
  /* AND of two arguments: getpriority(PRIO_PROCESS, 99999999) only */
  EXPECT_ERR(syscall(SYS_getpriority, PRIO_PROCESS, 99999999), 1234);
  EXPECT_ERR(syscall(SYS_getpriority, PRIO_PGRP, 99999999), ESRCH);
  EXPECT_OK(syscall(SYS_getpriority, PRIO_PROCESS, 0));
  /* two conditions on one argument are ORed: kill(_, SIGCONT or SIGWINCH) */
  EXPECT_ERR(kill(getpid(), SIGCONT), 1235);
  EXPECT_ERR(kill(getpid(), SIGWINCH), 1235);
  EXPECT_OK(kill(getpid(), 0));
  /* MASKED_EQ: (mode & 007) == 007 */
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0707), 1236);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0777), 1236);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0700), ENOENT);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0705), ENOENT);
  /* personality(0xffffffff) (a query) only */
  EXPECT_ERR(syscall(SYS_personality, 0xffffffffUL), 1237);
  return 0;
}

static void test_conditions(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };

  CHECK_INT(compile_json(PROFILE(
      "defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [
        {"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1234,
         "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 99999999, "op": "SCMP_CMP_EQ"}]},
        {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1235,
         "args": [{"index": 1, "value": 18, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 28, "op": "SCMP_CMP_EQ"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1236,
         "args": [{"index": 1, "value": 7, "valueTwo": 7, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1237,
         "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]}]),
      &p, &err), 0);
  CHECK(exited_ok(run_filtered(&p, true, child_conditions)));
  sbx_seccomp_program_release(&p);
}

/* As runc: once two conditions share an argument, every condition of the
 * rule (even one on another argument) becomes a rule of its own. */
static pid_t split_pid;

static void test_split_rule(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };
  char json[1024];
  pid_t pid;
  int status;

  /* the third condition names our (the parent's) pid */
  split_pid = getpid();
  snprintf(json, sizeof(json),
           PROFILE("defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 99,
                                 "args": [{"index": 1, "value": 18, "op": "SCMP_CMP_EQ"},
                                          {"index": 1, "value": 28, "op": "SCMP_CMP_EQ"},
                                          {"index": 0, "value": %d, "op": "SCMP_CMP_EQ"}]}]),
           (int)split_pid);
  if (!CHECK_INT(compile_json(json, &p, &err), 0))
    return;
  pid = fork();
  if (pid == 0) {
    struct sbx_error e = { 0 };

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sbx_seccomp_install(&p, NULL, &e) < 0)
      _exit(200);
    /* kill(parent, 0) is blocked by the lone arg0 rule even with sig 0 */
    if (kill(split_pid, 0) != -1 || errno != 99)
      _exit(1);
    /* kill(self, SIGCONT) by the arg1 rule */
    if (kill(getpid(), SIGCONT) != -1 || errno != 99)
      _exit(2);
    /* kill(self, 0): no rule matches */
    if (kill(getpid(), 0) != 0)
      _exit(3);
    _exit(0);
  }
  waitpid(pid, &status, 0);
  CHECK(exited_ok(status));
  if (WIFEXITED(status) && WEXITSTATUS(status))
    fprintf(stderr, "  child failed step %d\n", WEXITSTATUS(status));
  sbx_seccomp_program_release(&p);
}

/* Conditions on all six arguments in one rule compile. */
static void test_all_arguments(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };

  CHECK_INT(compile_json(PROFILE(
      "defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 11,
         "args": [{"index": 1, "value": 128, "op": "SCMP_CMP_LT"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 12,
         "args": [{"index": 1, "value": 128, "op": "SCMP_CMP_GE"},
                  {"index": 2, "value": 0, "op": "SCMP_CMP_EQ"},
                  {"index": 3, "value": 0, "op": "SCMP_CMP_EQ"},
                  {"index": 4, "value": 0, "op": "SCMP_CMP_EQ"},
                  {"index": 5, "value": 0, "op": "SCMP_CMP_EQ"},
                  {"index": 0, "value": 0, "op": "SCMP_CMP_NE"}]},
        {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 16,
         "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_NE"}]}]),
      &p, &err), 0);
  sbx_seccomp_program_release(&p);
  sbx_error_clear(&err);

  /* one rule per operator; ranges chosen not to overlap */
  CHECK_INT(compile_json(PROFILE(
      "defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 11,
         "args": [{"index": 1, "value": 128, "op": "SCMP_CMP_LT"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 12,
         "args": [{"index": 1, "value": 128, "op": "SCMP_CMP_EQ"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
         "args": [{"index": 1, "value": 256, "op": "SCMP_CMP_EQ"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 15,
         "args": [{"index": 1, "value": 448, "op": "SCMP_CMP_GT"}]},
        {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 16,
         "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_NE"}]}]),
      &p, &err), 0);
  sbx_seccomp_program_release(&p);
  sbx_error_clear(&err);
}

/* LE / GE / LT / GT each alone, as the first rule for mkdir. */
static int child_le(void)
{
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0200), 21);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0100), 21);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0201), ENOENT);
  return 0;
}
static int child_ge(void)
{
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0200), 21);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0700), 21);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0177), ENOENT);
  return 0;
}
static int child_lt(void)
{
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0177), 21);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0200), ENOENT);
  return 0;
}
static int child_gt(void)
{
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0201), 21);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0200), ENOENT);
  return 0;
}
static int child_ne(void)
{
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0201), 21);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0200), ENOENT);
  return 0;
}
static int child_eq(void)
{
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0200), 21);
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0201), ENOENT);
  return 0;
}

static void test_each_operator(void)
{
  static const struct {
    const char *op;
    int (*fn)(void);
  } cases[] = {
    { "SCMP_CMP_LE", child_le }, { "SCMP_CMP_GE", child_ge }, { "SCMP_CMP_LT", child_lt },
    { "SCMP_CMP_GT", child_gt }, { "SCMP_CMP_NE", child_ne }, { "SCMP_CMP_EQ", child_eq },
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char json[512], name[64];
    struct sbx_seccomp_program p;
    struct sbx_error err = { 0 };

    snprintf(name, sizeof(name), "operator %s", cases[i].op);
    unit_begin(name);
    snprintf(json, sizeof(json),
             PROFILE("defaultAction": "SCMP_ACT_ALLOW",
                     "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 21,
                                   "args": [{"index": 1, "value": 128, "op": "%s"}]}]),
             cases[i].op);
    if (CHECK_INT(compile_json(json, &p, &err), 0))
      CHECK(exited_ok(run_filtered(&p, true, cases[i].fn)));
    sbx_seccomp_program_release(&p);
    sbx_error_clear(&err);
    unit_end();
  }
}

/* ---- two programs stack (the policy engine adds its own) ---- */

static int child_two_filters(void)
{
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

  if (n <= 0)
    return 90;
  buf[n] = '\0';
  close(fd);
  if (strstr(buf, "\nSeccomp:\t2\n") == NULL || strstr(buf, "\nSeccomp_filters:\t2\n") == NULL)
    return 91;
  EXPECT_ERR(syscall(SYS_mkdir, NODIR, 0700), 31);
  EXPECT_ERR(syscall(SYS_rmdir, NODIR), 32);
  return 0;
}

static void test_two_programs(void)
{
  struct sbx_seccomp_program a, b;
  struct sbx_error err = { 0 };
  pid_t pid;
  int status;

  CHECK_INT(compile_json(PROFILE("defaultAction": "SCMP_ACT_ALLOW",
                                 "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                                               "errnoRet": 31}]),
                         &a, &err), 0);
  CHECK_INT(compile_json(PROFILE("defaultAction": "SCMP_ACT_ALLOW",
                                 "syscalls": [{"names": ["rmdir"], "action": "SCMP_ACT_ERRNO",
                                               "errnoRet": 32}]),
                         &b, &err), 0);
  pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sbx_seccomp_install(&a, NULL, &err) < 0 ||
        sbx_seccomp_install(&b, NULL, &err) < 0)
      _exit(200);
    _exit(child_two_filters());
  }
  waitpid(pid, &status, 0);
  CHECK(exited_ok(status));
  sbx_seccomp_program_release(&a);
  sbx_seccomp_program_release(&b);
}

/* flags reach the kernel: LOG and SPEC_ALLOW load fine */
static void test_flags_install(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };

  CHECK_INT(compile_json(PROFILE("defaultAction": "SCMP_ACT_ALLOW",
                                 "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                           "SECCOMP_FILTER_FLAG_TSYNC"],
                                 "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_ERRNO"},
                                              {"names": ["mkdir", "mkdirat"],
                                               "action": "SCMP_ACT_ERRNO", "errnoRet": 1234}]),
                         &p, &err), 0);
  CHECK(exited_ok(run_filtered(&p, true, child_errno_rules)));
  sbx_seccomp_program_release(&p);
}

/* ---- notify: the listener goes to an "agent" (this process) ---- */

static const char state_doc[] = JSON({"ociVersion": "1.2.0", "id": "c1", "status": "creating",
                                      "pid": 4242, "bundle": "/b", "annotations": {"a": "b"}});

/* Receive one SCM_RIGHTS message: the fd and the data. */
static int recv_fd(int sock, int *fd, char *buf, size_t size)
{
  struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                        .msg_controllen = sizeof(ctl.b) };
  struct cmsghdr *c;
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

  if (n <= 0)
    return -1;
  buf[n] = '\0';
  c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    return -1;
  memcpy(fd, CMSG_DATA(c), sizeof(int));
  return 0;
}

static const char *jstr(yajl_val tree, const char *k1, const char *k2)
{
  const char *path[] = { k1, k2, NULL };
  yajl_val v = yajl_tree_get(tree, path, yajl_t_string);

  return v ? YAJL_GET_STRING(v) : NULL;
}

static long long jint(yajl_val tree, const char *k1, const char *k2)
{
  const char *path[] = { k1, k2, NULL };
  yajl_val v = yajl_tree_get(tree, path, yajl_t_number);

  return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

static void test_notify(void)
{
  struct sbx_seccomp_program p;
  struct sbx_error err = { 0 };
  struct seccomp_notif *req = NULL;
  struct seccomp_notif_resp *resp = NULL;
  int sv[2], listener = -1, status;
  char buf[4096];
  pid_t pid;

  if (!CHECK_INT(compile_json(PROFILE("defaultAction": "SCMP_ACT_ALLOW",
                                      "listenerPath": "/unused/here",
                                      "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"},
                                                   {"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]),
                              &p, &err), 0)) {
    sbx_error_clear(&err);
    return;
  }
  CHECK(p.notify);
  CHECK_INT(p.flags, SECCOMP_FILTER_FLAG_NEW_LISTENER);
  if (!CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0))
    return;
  pid = fork();
  if (pid == 0) {
    struct sbx_error e = { 0 };
    int l = -1;

    close(sv[0]);
    /* without no_new_privs: root's CAP_SYS_ADMIN */
    if (sbx_seccomp_install(&p, &l, &e) < 0 || l < 0) {
      fprintf(stderr, "install: %s\n", e.msg);
      _exit(200);
    }
    if (!(fcntl(l, F_GETFD) & FD_CLOEXEC))
      _exit(202);
    if (sbx_seccomp_send_listener(sv[1], l, state_doc, "meta \"data\"", &e) < 0) {
      fprintf(stderr, "send: %s\n", e.msg);
      _exit(201);
    }
    close(l);
    close(sv[1]);
    /* answered by the agent with an error, then let through (CONTINUE) */
    if (syscall(SYS_mkdir, NODIR, 0700) != -1 || errno != 1234)
      _exit(1);
    if (syscall(SYS_mkdir, NODIR, 0700) != -1 || errno != ENOENT)
      _exit(2);
    if (syscall(SYS_getppid) != -1 || errno != EPERM)
      _exit(3);
    _exit(0);
  }
  close(sv[1]);
  if (CHECK(recv_fd(sv[0], &listener, buf, sizeof(buf)) == 0)) {
    char ebuf[128];
    yajl_val t = yajl_tree_parse(buf, ebuf, sizeof(ebuf));
    const char *fds_path[] = { "fds", NULL };
    yajl_val fds = t ? yajl_tree_get(t, fds_path, yajl_t_array) : NULL;

    if (!CHECK(t != NULL))
      fprintf(stderr, "  %s: %s\n", buf, ebuf);
    CHECK_STR(jstr(t, "ociVersion", NULL), "1.2.0");
    CHECK(fds && YAJL_GET_ARRAY(fds)->len == 1 &&
          YAJL_IS_STRING(YAJL_GET_ARRAY(fds)->values[0]));
    if (fds && YAJL_GET_ARRAY(fds)->len == 1)
      CHECK_STR(YAJL_GET_STRING(YAJL_GET_ARRAY(fds)->values[0]), "seccompFd");
    CHECK_INT(jint(t, "pid", NULL), 4242);
    CHECK_STR(jstr(t, "metadata", NULL), "meta \"data\"");
    CHECK_STR(jstr(t, "state", "id"), "c1");
    CHECK_STR(jstr(t, "state", "status"), "creating");
    CHECK_INT(jint(t, "state", "pid"), 4242);
    CHECK_STR(jstr(t, "state", "bundle"), "/b");
    yajl_tree_free(t);
  }
  close(sv[0]);
  if (listener >= 0 && CHECK(seccomp_notify_alloc(&req, &resp) == 0)) {
    for (int round = 0; round < 2; round++) {
      memset(req, 0, sizeof(*req));
      if (!CHECK_INT(seccomp_notify_receive(listener, req), 0))
        break;
      CHECK_INT(req->pid, pid);
      CHECK_INT(req->data.nr, seccomp_syscall_resolve_name("mkdir"));
      CHECK_U64(req->data.args[1], 0700);
      CHECK_INT(seccomp_notify_id_valid(listener, req->id), 0);
      memset(resp, 0, sizeof(*resp));
      resp->id = req->id;
      if (round == 0) {
        resp->error = -1234;
      } else {
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      }
      CHECK_INT(seccomp_notify_respond(listener, resp), 0);
    }
    seccomp_notify_free(req, resp);
  }
  waitpid(pid, &status, 0);
  CHECK(exited_ok(status));
  if (WIFEXITED(status) && WEXITSTATUS(status))
    fprintf(stderr, "  child failed with %d\n", WEXITSTATUS(status));
  if (listener >= 0)
    close(listener);
  sbx_seccomp_program_release(&p);
}

static void test_send_listener_errors(void)
{
  struct sbx_error err = { 0 };
  int sv[2];

  if (!CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0))
    return;
  CHECK_INT(sbx_seccomp_send_listener(sv[0], 0, "[1]", NULL, &err), -1);
  CHECK_STR(err.msg, "seccomp agent: the container state is not a JSON object");
  CHECK_INT(sbx_seccomp_send_listener(sv[0], 0, "{\"id\": \"x\"}", NULL, &err), -1);
  CHECK_STR(err.msg, "seccomp agent: the container state has no pid");
  /* no metadata: the key is left out */
  CHECK_INT(sbx_seccomp_send_listener(sv[0], 0, "{\"ociVersion\": \"1.0.2\", \"pid\": 5}", "",
                                      &err), 0);
  {
    char buf[512];
    int fd = -1;

    if (CHECK(recv_fd(sv[1], &fd, buf, sizeof(buf)) == 0)) {
      CHECK_STR(buf, "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":5,"
                     "\"state\":{\"ociVersion\": \"1.0.2\", \"pid\": 5}}");
      close(fd);
    }
  }
  close(sv[0]);
  close(sv[1]);
  sbx_error_clear(&err);
}

static void test_listener_connect(void)
{
  struct sbx_error err = { 0 };
  char dir[] = "/tmp/sbx-seccomp-XXXXXX";
  char path[512];
  int l, s;

  CHECK_INT(sbx_seccomp_listener_connect("/nonexistent-agentsbx/agent.sock", &err), -1);
  CHECK_STR(err.msg, "linux.seccomp.listenerPath: connect to the seccomp agent at "
                     "`/nonexistent-agentsbx/agent.sock`: No such file or directory");
  CHECK_INT(sbx_seccomp_listener_connect("", &err), -1);
  if (!CHECK(mkdtemp(dir) != NULL))
    return;
  /* a path longer than sun_path */
  snprintf(path, sizeof(path), "%s/%0150d", dir, 0);
  mkdir(path, 0700);
  snprintf(path + strlen(path), sizeof(path) - strlen(path), "/agent.sock");
  l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  {
    /* bind through the directory's fd, as the runtime connects */
    char d[512], via[108];
    int dfd;
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    snprintf(d, sizeof(d), "%.*s", (int)(strrchr(path, '/') - path), path);
    dfd = open(d, O_PATH | O_DIRECTORY);
    snprintf(via, sizeof(via), "/proc/self/fd/%d/agent.sock", dfd);
    strcpy(a.sun_path, via);
    CHECK(bind(l, (struct sockaddr *)&a, sizeof(a)) == 0);
    CHECK(listen(l, 1) == 0);
    close(dfd);
  }
  s = sbx_seccomp_listener_connect(path, &err);
  if (!CHECK(s >= 0))
    fprintf(stderr, "  %s\n", err.msg);
  else
    close(s);
  close(l);
  unlink(path);
  *strrchr(path, '/') = '\0';
  rmdir(path);
  rmdir(dir);
  sbx_error_clear(&err);
}

static bool list_has(const struct oci_string_list *l, const char *s)
{
  for (size_t i = 0; i < l->len; i++)
    if (strcmp(l->items[i], s) == 0)
      return true;
  return false;
}

static void test_features(void)
{
  struct oci_features_seccomp f = { 0 };
  struct sbx_error err = { 0 };

  if (!CHECK_INT(sbx_seccomp_features(&f, &err), 0))
    return;
  CHECK(f.enabled);
  CHECK_INT(f.actions.len, 9);
  CHECK(list_has(&f.actions, "SCMP_ACT_KILL_PROCESS") && list_has(&f.actions, "SCMP_ACT_NOTIFY"));
  CHECK_INT(f.operators.len, 7);
  CHECK(list_has(&f.operators, "SCMP_CMP_MASKED_EQ"));
  CHECK(list_has(&f.archs, "SCMP_ARCH_X86_64") && list_has(&f.archs, "SCMP_ARCH_RISCV64"));
  CHECK_INT(f.known_flags.len, 4);
  /* kernel 6.0+ takes all four */
  CHECK(list_has(&f.supported_flags, "SECCOMP_FILTER_FLAG_TSYNC"));
  CHECK(list_has(&f.supported_flags, "SECCOMP_FILTER_FLAG_LOG"));
  CHECK(list_has(&f.supported_flags, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
  free(f.archs.items);
  free(f.supported_flags.items);
}

int main(void)
{
  if (geteuid() != 0)
    fprintf(stderr, "test-seccomp: not root: installs without no_new_privs will fail\n");
  RUN(test_no_profile);
  RUN(test_compile_good);
  RUN(test_compile_notify_flags);
  RUN(test_rule_equal_to_default);
  test_bad_profiles();
  RUN(test_errno);
  RUN(test_default_errno);
  RUN(test_enosys_stub);
  test_kill_trap_log_trace();
  RUN(test_conditions);
  RUN(test_split_rule);
  RUN(test_all_arguments);
  test_each_operator();
  RUN(test_two_programs);
  RUN(test_flags_install);
  RUN(test_notify);
  RUN(test_send_listener_errors);
  RUN(test_listener_connect);
  RUN(test_features);
  return unit_finish("seccomp");
}
