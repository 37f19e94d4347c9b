/* test-audit.c: the audit line format, rotation, rate limits and counts. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/audit.h"
#include "../../src/utils.h"
#include "unit.h"

static char dir[] = "/tmp/test-audit-XXXXXX";

static char *slurp(const char *path)
{
  char *text = NULL;
  if (sbx_read_file(path, &text, NULL, NULL) < 0)
    return NULL;
  return text;
}

static int count_lines(const char *text)
{
  int n = 0;
  for (; text && *text; text++)
    n += *text == '\n';
  return n;
}

static void test_format(void)
{
  struct sbx_audit_target t = { .path = "/x", .container_id = "c1", .policy = "agent-safe",
                                .digest = "sha256:ab" };
  struct timespec when = { .tv_sec = 1764691200, .tv_nsec = 123456789 };
  char *args[] = { "sh", "-c", "echo \"hi\"\n", NULL };
  struct sbx_audit_field f[] = {
    { "pid", SBX_AUDIT_INT, .integer = 42 },
    { "argv", SBX_AUDIT_STRINGS, .strings = args },
    { "truncated", SBX_AUDIT_BOOL, .integer = 1 },
    { "counts", SBX_AUDIT_RAW, .string = "{\"a\":1}" },
  };
  size_t len = 0;
  char *line = sbx_audit_format(&t, &when, "command_executed", f, 4, &len);

  CHECK_STR(line, "{\"time\":\"2025-12-02T16:00:00.123456Z\",\"event\":\"command_executed\","
                  "\"container\":\"c1\",\"policy\":{\"name\":\"agent-safe\",\"digest\":\"sha256:ab\"},"
                  "\"pid\":42,\"argv\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\\n\"],\"truncated\":true,"
                  "\"counts\":{\"a\":1}}\n");
  CHECK_INT(len, line ? strlen(line) : 0);
  free(line);
}

static void test_create_and_rotate(void)
{
  char path[256], old[300];
  struct stat st;
  struct sbx_audit_target t = { .path = path, .container_id = "c", .policy = "p",
                                .digest = "d", .max_bytes = 5000 };
  char big[1000];
  char *text;

  snprintf(path, sizeof path, "%s/sub/dir/audit.jsonl", dir);
  snprintf(old, sizeof old, "%s.1", path);
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  struct sbx_audit_field f[] = { { "pad", SBX_AUDIT_STRING, .string = big } };
  /* each line is about 1100 bytes: 4 fit in 5000, the 5th rotates */
  for (int i = 0; i < 4; i++)
    CHECK(sbx_audit(&t, "e", f, 1, NULL) == 0);
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
  snprintf(old, sizeof old, "%s/sub/dir", dir);
  CHECK(stat(old, &st) == 0 && (st.st_mode & 0777) == 0700);
  snprintf(old, sizeof old, "%s.1", path);
  CHECK(access(old, F_OK) != 0);
  CHECK(sbx_audit(&t, "e", f, 1, NULL) == 0);
  text = slurp(path);
  CHECK_INT(count_lines(text), 1);
  free(text);
  text = slurp(old);
  CHECK_INT(count_lines(text), 4);
  free(text);
  /* a second rotation replaces .1: never more than two files */
  for (int i = 0; i < 4; i++)
    CHECK(sbx_audit(&t, "e", f, 1, NULL) == 0);
  text = slurp(old);
  CHECK_INT(count_lines(text), 4);
  free(text);
  text = slurp(path);
  CHECK_INT(count_lines(text), 1);
  free(text);
  /* a symlink at the path is not followed */
  snprintf(path, sizeof path, "%s/link.jsonl", dir);
  CHECK(symlink("/tmp/elsewhere-audit", path) == 0);
  CHECK(sbx_audit(&t, "e", NULL, 0, NULL) < 0);
  CHECK(access("/tmp/elsewhere-audit", F_OK) != 0);
}

static void test_rate(void)
{
  struct sbx_audit_rate r = { .rate = 10, .burst = 5 };
  int64_t t0 = 1000000000;
  int taken = 0;

  for (int i = 0; i < 20; i++)
    taken += sbx_audit_rate_take(&r, t0);
  CHECK_INT(taken, 5);
  CHECK_U64(r.suppressed, 15);
  /* 0.1 s later: one token */
  CHECK(sbx_audit_rate_take(&r, t0 + 100000000));
  CHECK(!sbx_audit_rate_take(&r, t0 + 100000000));
  /* a long pause refills to the burst, no more */
  taken = 0;
  for (int i = 0; i < 20; i++)
    taken += sbx_audit_rate_take(&r, t0 + 100LL * 1000000000);
  CHECK_INT(taken, 5);
}

static void test_log_suppressed(void)
{
  char path[256];
  struct sbx_audit_target t = { .path = path, .container_id = "c", .policy = "p" };
  struct sbx_audit_log log;
  int64_t now = 5000000000LL;
  struct sbx_audit_field f[] = { { "pid", SBX_AUDIT_INT, .integer = 1 } };
  char *text, *counts;
  int written = 0;

  snprintf(path, sizeof path, "%s/log.jsonl", dir);
  sbx_audit_log_init(&log, &t);
  log.rate[SBX_AUDIT_EV_EXEC_DENIED].burst = 3;
  log.rate[SBX_AUDIT_EV_EXEC_DENIED].rate = 1;
  for (int i = 0; i < 10; i++)
    written += sbx_audit_log_event(&log, SBX_AUDIT_EV_EXEC_DENIED, f, 1, now, NULL);
  CHECK_INT(written, 3);
  /* held, not yet due; then due a second after the first drop */
  CHECK(sbx_audit_log_flush(&log, now, false) == 1000);
  /* a line admitted 1.5 s later carries the 7 (and nothing is left held) */
  CHECK_INT(sbx_audit_log_event(&log, SBX_AUDIT_EV_EXEC_DENIED, f, 1, now + 500000000, NULL), 0);
  CHECK_INT(sbx_audit_log_event(&log, SBX_AUDIT_EV_EXEC_DENIED, f, 1, now + 1500000000, NULL), 1);
  CHECK_INT(sbx_audit_log_flush(&log, now + 1500000000, false), -1);
  text = slurp(path);
  CHECK(text && strstr(text, "\"suppressed\":8}\n"));
  free(text);
  /* a caller's own drops (the DNS resolver) are counted and reported */
  sbx_audit_log_add_suppressed(&log, SBX_AUDIT_EV_NETWORK_DENIED, 4, now);
  CHECK_INT(sbx_audit_log_flush(&log, now + 2000000000, false), -1);
  text = slurp(path);
  CHECK(text && strstr(text, "\"event\":\"events_suppressed\",\"container\":\"c\","
                              "\"policy\":{\"name\":\"p\",\"digest\":\"\"},"
                              "\"kind\":\"network_denied\",\"suppressed\":4}\n"));
  free(text);
  counts = sbx_audit_log_counts_json(&log);
  CHECK_STR(counts, "{\"command_executed\":0,\"exec_denied\":12,\"file_denied\":0,"
                    "\"network_denied\":4,\"resource_violation\":0,\"process_exited\":0}");
  free(counts);
  /* network_denied through the API */
  struct sbx_audit_network_denial d = { .name = "evil.example", .protocol = "dns", .qtype = "TXT",
                                        .rule = "not in network.allow" };
  CHECK_INT(sbx_audit_network_denied(&log, &d, now + 3000000000LL, NULL), 1);
  text = slurp(path);
  CHECK(text && strstr(text, "\"event\":\"network_denied\"") &&
        strstr(text, "\"name\":\"evil.example\",\"protocol\":\"dns\",\"qtype\":\"TXT\","
                     "\"rule\":\"not in network.allow\"}\n"));
  free(text);
}

int main(void)
{
  if (mkdtemp(dir) == NULL)
    return 1;
  RUN(test_format);
  RUN(test_create_and_rotate);
  RUN(test_rate);
  RUN(test_log_suppressed);
  {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
      return 1;
  }
  return unit_finish("test-audit");
}
