/* test-capabilities.c: capability names, OCI sets -> masks, and (as root,
 * in a child) the drop-bounding + apply sequence. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capabilities.h"
#include "unit.h"

#define BIT(c) (UINT64_C(1) << (c))

static int proc_last_cap(void)
{
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  int n = -1;

  if (f != NULL) {
    if (fscanf(f, "%d", &n) != 1)
      n = -1;
    fclose(f);
  }
  return n;
}

static void test_last_cap(void)
{
  CHECK_INT(sbx_cap_last_cap(), proc_last_cap());
  CHECK(sbx_cap_last_cap() >= CAP_AUDIT_READ);
}

static void test_from_name(void)
{
  cap_value_t v = -1;

  CHECK(sbx_cap_from_name("CAP_CHOWN", &v) == 0 && v == CAP_CHOWN);
  CHECK(sbx_cap_from_name("CAP_NET_ADMIN", &v) == 0 && v == CAP_NET_ADMIN);
  CHECK(sbx_cap_from_name("CAP_SYS_ADMIN", &v) == 0 && v == CAP_SYS_ADMIN);
  if (sbx_cap_last_cap() >= 40)
    CHECK(sbx_cap_from_name("CAP_CHECKPOINT_RESTORE", &v) == 0 && v == 40);
  /* runc 1.1.5 matches exactly: these are all "unknown" there too. */
  CHECK_INT(sbx_cap_from_name("cap_net_admin", &v), -1);
  CHECK_INT(sbx_cap_from_name("NET_ADMIN", &v), -1);
  CHECK_INT(sbx_cap_from_name("CAP_FOO", &v), -1);
  CHECK_INT(sbx_cap_from_name("", &v), -1);
  CHECK_INT(sbx_cap_from_name(NULL, &v), -1);
}

static void test_names(void)
{
  CHECK_STR(sbx_cap_name(CAP_CHOWN), "CAP_CHOWN");
  CHECK_STR(sbx_cap_name(CAP_NET_BIND_SERVICE), "CAP_NET_BIND_SERVICE");
  CHECK_STR(sbx_cap_name(CAP_AUDIT_READ), "CAP_AUDIT_READ");
  CHECK_STR(sbx_cap_name(-1), NULL);
  CHECK_STR(sbx_cap_name(64), NULL);
  /* every name maps back to its number */
  for (int c = 0; c <= sbx_cap_last_cap() && sbx_cap_name(c) != NULL; c++) {
    cap_value_t v = -1;

    CHECK(sbx_cap_from_name(sbx_cap_name(c), &v) == 0 && v == c);
  }
}

static void test_list_known(void)
{
  struct sbx_error err = { 0, NULL };
  size_t n = 0;
  const char **list = sbx_cap_list_known(&n, &err);
  int last = sbx_cap_last_cap();

  CHECK(list != NULL);
  if (list == NULL)
    return;
  CHECK_INT(n, last > 40 ? 41 : last + 1);
  CHECK_STR(list[0], "CAP_CHOWN");
  CHECK_STR(list[CAP_KILL], "CAP_KILL");
  CHECK(list[n] == NULL);
  free(list);
}

static char *names_kill_bind[] = { "CAP_KILL", "CAP_NET_BIND_SERVICE" };
static char *names_with_unknown[] = { "CAP_ZZZ", "CAP_KILL", "CAP_AAA", "cap_chown" };
static char *names_with_dup[] = { "CAP_ZZZ", "CAP_MKNOD" };

static void test_from_oci(void)
{
  struct sbx_error err = { 0, NULL };
  struct sbx_caps caps;
  char *warning = (char *)"unset";
  struct oci_capabilities c = { 0 };

  /* no capabilities object: everything empty */
  CHECK(sbx_caps_from_oci(NULL, &caps, &warning, &err) == 0);
  CHECK_U64(caps.bounding | caps.effective | caps.inheritable | caps.permitted | caps.ambient, 0);
  CHECK(warning == NULL);
  CHECK_INT(caps.last_cap, sbx_cap_last_cap());

  c.has_bounding = true;
  c.bounding = (struct oci_string_list){ names_kill_bind, 2 };
  c.has_ambient = true;
  c.ambient = (struct oci_string_list){ names_kill_bind, 1 };
  CHECK(sbx_caps_from_oci(&c, &caps, &warning, &err) == 0);
  CHECK_U64(caps.bounding, BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE));
  CHECK_U64(caps.ambient, BIT(CAP_KILL));
  CHECK_U64(caps.effective | caps.permitted | caps.inheritable, 0);   /* absent sets */
  CHECK(warning == NULL);

  /* unknown names are skipped and reported once each, sorted */
  c.has_effective = true;
  c.effective = (struct oci_string_list){ names_with_unknown, 4 };
  c.has_permitted = true;
  c.permitted = (struct oci_string_list){ names_with_dup, 2 };
  CHECK(sbx_caps_from_oci(&c, &caps, &warning, &err) == 0);
  CHECK_U64(caps.effective, BIT(CAP_KILL));
  CHECK_U64(caps.permitted, BIT(CAP_MKNOD));
  CHECK_STR(warning, "ignoring unknown or unavailable capabilities: [CAP_AAA CAP_ZZZ cap_chown]");
  free(warning);

  /* warning is optional */
  CHECK(sbx_caps_from_oci(&c, &caps, NULL, &err) == 0);
  sbx_error_clear(&err);
}

/* In a child (the sets are per process): apply and read back.  Exit code
 * is a bit per failed check. */
static int apply_in_child(void)
{
  struct sbx_caps c = { 0 };
  struct sbx_error err = { 0, NULL };
  cap_t now;
  cap_flag_value_t v;
  int bad = 0;

  c.last_cap = sbx_cap_last_cap();
  c.bounding = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_AUDIT_WRITE);
  c.effective = c.permitted = c.bounding;
  c.inheritable = BIT(CAP_KILL);
  /* NET_BIND_SERVICE is not inheritable: runc skips it without an error. */
  c.ambient = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);
  if (sbx_caps_drop_bounding(&c, &err) < 0 || sbx_caps_apply(&c, &err) < 0) {
    fprintf(stderr, "apply: %s\n", err.msg);
    _exit(100);
  }
  if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0)
    bad |= 1;
  if (prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0) != 1)
    bad |= 2;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) != 1)
    bad |= 4;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) != 0)
    bad |= 8;
  now = cap_get_proc();
  if (cap_get_flag(now, CAP_NET_BIND_SERVICE, CAP_EFFECTIVE, &v) < 0 || v != CAP_SET)
    bad |= 16;
  if (cap_get_flag(now, CAP_SYS_ADMIN, CAP_PERMITTED, &v) < 0 || v != CAP_CLEAR)
    bad |= 32;
  cap_free(now);
  _exit(bad);
}

static void test_apply(void)
{
  int status;
  pid_t pid;

  if (geteuid() != 0) {
    printf("test_apply: skipped (not root)\n");
    return;
  }
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    apply_in_child();
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK_INT(WEXITSTATUS(status), 0);
}

int main(void)
{
  RUN(test_last_cap);
  RUN(test_from_name);
  RUN(test_names);
  RUN(test_list_known);
  RUN(test_from_oci);
  RUN(test_apply);
  return unit_finish("capabilities");
}
