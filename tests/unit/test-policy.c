/* test-policy.c: unit tests of the agent sandbox policy (src/policy*.c,
 * src/sha256.c): SHA-256 vectors, sizes and durations, parser errors with
 * their exact messages, the presets, extends (override, concatenation,
 * cycles, depth), sources and precedence, the tightening accept/refuse
 * matrix, what the agentsbx.policy annotation may choose (at least as
 * strict, or selectable), the selectable and limits.scratch keys, the
 * scratch tmpfs overlay on a config's mounts, the glob matrix, resolution
 * ties, subtrees hidden by `none`, the unreachable-rule check, the pattern
 * matrix of issue 6 (one table row per path: permission, deciding rule,
 * hiding ancestor), env filtering, the canonical JSON and the digest.
 * Run it under valgrind to check the error paths for leaks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_spec.h"
#include "policy.h"
#include "policy_apply.h"
#include "policy_internal.h"
#include "sha256.h"
#include "unit.h"
#include "utils.h"

/* JSON literals without escaping: the preprocessor quotes them. */
#define JSON(...) #__VA_ARGS__

static char tmpdir[] = "/tmp/test-policy.XXXXXX";

static void write_text(const char *rel, const char *text)
{
  cleanup_free char *path = sbx_strdup_printf("%s/%s", tmpdir, rel);
  struct sbx_error err = { 0 };
  if (!CHECK(sbx_write_file_atomic(path, text, strlen(text), 0644, &err) == 0))
    fprintf(stderr, "  %s\n", err.msg);
  sbx_error_clear(&err);
}

static void remove_text(const char *rel)
{
  cleanup_free char *path = sbx_strdup_printf("%s/%s", tmpdir, rel);
  unlink(path);
}

static struct sbx_policy *parse_ok(const char *json)
{
  struct sbx_policy *p = NULL;
  struct sbx_error err = { 0 };
  if (!CHECK(sbx_policy_parse(json, strlen(json), "test", &p, NULL, &err) == 0))
    fprintf(stderr, "  %s\n", err.msg);
  sbx_error_clear(&err);
  return p;
}

/* An effective policy of a document (extends resolved against tmpdir). */
static struct sbx_policy *load_ok(const char *ref)
{
  struct sbx_policy *p = NULL;
  struct sbx_error err = { 0 };
  if (!CHECK(sbx_policy_load(tmpdir, ref, &p, &err) == 0))
    fprintf(stderr, "  %s: %s\n", ref, err.msg);
  sbx_error_clear(&err);
  return p;
}

static struct sbx_policy *doc_ok(const char *json)
{
  write_text("doc.json", json);
  cleanup_free char *path = sbx_strdup_printf("%s/doc.json", tmpdir);
  return load_ok(path);
}

/* ---- sha256 ---- */

static void test_sha256_vectors(void)
{
  char hex[65];
  static const struct { const char *in, *out; } v[] = {
    { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    sbx_sha256_hex(v[i].in, strlen(v[i].in), hex);
    CHECK_STR(hex, v[i].out);
  }
  /* one million 'a', fed in odd-sized pieces */
  struct sbx_sha256 c;
  unsigned char d[32];
  char a[997];
  memset(a, 'a', sizeof a);
  sbx_sha256_init(&c);
  size_t left = 1000000;
  while (left) {
    size_t n = left < sizeof a ? left : sizeof a;
    sbx_sha256_update(&c, a, n);
    left -= n;
  }
  sbx_sha256_final(&c, d);
  for (int i = 0; i < 32; i++)
    sprintf(hex + 2 * i, "%02x", d[i]);
  CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  /* every length around the padding boundary: one shot == byte by byte */
  char buf[130];
  memset(buf, 'x', sizeof buf);
  for (size_t len = 50; len < sizeof buf; len++) {
    char h1[65], h2[65];
    sbx_sha256_hex(buf, len, h1);
    sbx_sha256_init(&c);
    for (size_t i = 0; i < len; i++)
      sbx_sha256_update(&c, buf + i, 1);
    sbx_sha256_final(&c, d);
    for (int i = 0; i < 32; i++)
      sprintf(h2 + 2 * i, "%02x", d[i]);
    CHECK_STR(h1, h2);
  }
}

/* ---- sizes, durations ---- */

static void test_sizes_durations(void)
{
  int64_t v;
  CHECK(sbx_policy_parse_size("512M", &v) && v == 512LL << 20);
  CHECK(sbx_policy_parse_size("10K", &v) && v == 10240);
  CHECK(sbx_policy_parse_size("1g", &v) && v == 1LL << 30);
  CHECK(sbx_policy_parse_size("1024", &v) && v == 1024);
  CHECK(!sbx_policy_parse_size("-1", &v));
  CHECK(!sbx_policy_parse_size("12X", &v));
  CHECK(!sbx_policy_parse_size("M", &v));
  CHECK(!sbx_policy_parse_size("", &v));
  CHECK(sbx_policy_parse_duration("300s", &v) && v == 300);
  CHECK(sbx_policy_parse_duration("15m", &v) && v == 900);
  CHECK(sbx_policy_parse_duration("6h", &v) && v == 21600);
  CHECK(sbx_policy_parse_duration("42", &v) && v == 42);
  CHECK(!sbx_policy_parse_duration("5d", &v));
  CHECK(!sbx_policy_parse_duration("1h30m", &v));
  CHECK(!sbx_policy_parse_duration("-5s", &v));
  CHECK(!sbx_policy_parse_duration("s", &v));

  cleanup_policy struct sbx_policy *p = parse_ok(JSON({"limits": {
    "memory": "512M", "cpus": 0.5, "pids": 100, "openFiles": 1024, "fileSize": 10485760,
    "timeout": "300s", "lifetime": "6h"}}));
  if (!p)
    return;
  CHECK_INT(p->limits.memory, 512LL << 20);
  CHECK(p->limits.cpus == 0.5);
  CHECK_INT(p->limits.pids, 100);
  CHECK_INT(p->limits.open_files, 1024);
  CHECK_INT(p->limits.file_size, 10LL << 20);
  CHECK_INT(p->limits.timeout, 300);
  CHECK_INT(p->limits.lifetime, 6 * 3600);
  cleanup_policy struct sbx_policy *q = parse_ok(JSON({"limits": {"memory": null, "timeout": "none"}}));
  if (q) {
    CHECK_INT(q->limits.memory, -1);
    CHECK_INT(q->limits.timeout, -1);
    CHECK(q->present & SBX_PK_LIM_MEMORY);
    CHECK(!(q->present & SBX_PK_LIM_PIDS));
  }
}

/* ---- parser errors ---- */

static void check_errors(const char *json, const char *const *want)
{
  struct sbx_policy *p = NULL;
  struct sbx_diags errs = { 0 };
  struct sbx_error err = { 0 };
  size_t n = 0;

  while (want[n])
    n++;
  CHECK_INT(sbx_policy_parse(json, strlen(json), "f.json", &p, &errs, &err), -1);
  CHECK(p == NULL);
  if (!CHECK_INT(errs.len, n))
    for (size_t i = 0; i < errs.len; i++)
      fprintf(stderr, "  got: %s\n", errs.items[i]);
  for (size_t i = 0; i < n && i < errs.len; i++)
    CHECK_STR(errs.items[i], want[i]);
  if (n == 1)
    CHECK_STR(err.msg, want[0]);
  sbx_diags_free(&errs);
  sbx_error_clear(&err);
}

#define ERRS(json, ...) check_errors(json, (const char *const[]){ __VA_ARGS__, NULL })

static void test_parse_errors(void)
{
  ERRS("{", "f.json: invalid JSON: parse error: premature EOF");
  ERRS("[]", "f.json: expected an object, got an array");
  ERRS(JSON({"version": 2}), "f.json: version: unsupported version 2 (this agentsbx reads version 1)");
  ERRS(JSON({"versions": 1}), "f.json: versions: unknown key");
  ERRS(JSON({"passthrough": true}), "f.json: passthrough: unknown key");
  ERRS(JSON({"version": 1, "version": 1}), "f.json: version: duplicate key");
  ERRS(JSON({"filesystem": {"default": "rw"}}),
       "f.json: filesystem.default: unknown permission `rw` (none, view, read or write)");
  ERRS(JSON({"filesystem": {"rules": {}}}),
       "f.json: filesystem.rules: expected an array of rules, got an object");
  ERRS(JSON({"filesystem": {"rules": [{"pattern": "/a"}]}}),
       "f.json: filesystem.rules[0]: missing permission");
  ERRS(JSON({"filesystem": {"rules": [{"permission": "read"}]}}),
       "f.json: filesystem.rules[0]: missing pattern");
  ERRS(JSON({"filesystem": {"rules": [{"pattern": "/a", "permission": "read", "prio": 1}]}}),
       "f.json: filesystem.rules[0].prio: unknown key");
  ERRS(JSON({"filesystem": {"rules": [{"pattern": "/a", "permission": "read", "priority": 1.5}]}}),
       "f.json: filesystem.rules[0].priority: expected an integer, got 1.5");
  ERRS(JSON({"filesystem": {"rules": [{"pattern": "/a", "permission": "read", "priority": 2000000}]}}),
       "f.json: filesystem.rules[0].priority: priority 2000000 out of range (-1000000 to 1000000)");
  ERRS(JSON({"filesystem": {"rules": [{"pattern": "", "permission": "read"}]}}),
       "f.json: filesystem.rules[0].pattern: bad pattern ``: empty pattern");
  ERRS(JSON({"filesystem": {"rules": [{"pattern": "/a/../b", "permission": "read"}]}}),
       "f.json: filesystem.rules[0].pattern: bad pattern `/a/../b`: `.` and `..` segments are not allowed");
  ERRS(JSON({"filesystem": {"rules": [{"pattern": "/a/[bc", "permission": "read"}]}}),
       "f.json: filesystem.rules[0].pattern: bad pattern `/a/[bc`: unterminated `[`");
  ERRS(JSON({"filesystem": {"rules": [{"pattern": "x\\", "permission": "read"}]}}),
       "f.json: filesystem.rules[0].pattern: bad pattern `x\\`: trailing backslash");
  ERRS(JSON({"exec": {"allow": ["git", 3]}}),
       "f.json: exec.allow[0]: `git` is not an absolute path or pattern",
       "f.json: exec.allow[1]: expected a string, got a number");
  ERRS(JSON({"network": {"mode": "allow"}}),
       "f.json: network.mode: unknown network mode `allow` (none, allowlist or unrestricted)");
  ERRS(JSON({"network": {"mode": "none", "allow": ["example.com"]}}),
       "f.json: network.allow: hosts are only allowed with mode `allowlist`");
  ERRS(JSON({"capabilities": {"allow": ["CAP_NET_BIND_SERVICE", "NET_ADMIN"]}}),
       "f.json: capabilities.allow[1]: unknown capability `NET_ADMIN`");
  ERRS(JSON({"noNewPrivileges": 1}), "f.json: noNewPrivileges: expected a boolean, got a number");
  ERRS(JSON({"seccomp": "on"}),
       "f.json: seccomp: unknown seccomp mode `on` (config, default or strict)");
  ERRS(JSON({"env": {"inherit": "some", "deny": ["A=B"], "set": {"X": 1, "": "y"}}}),
       "f.json: env.inherit: unknown inherit mode `some` (all or none)",
       "f.json: env.deny[0]: bad variable name pattern `A=B`",
       "f.json: env.set.X: expected a string, got a number",
       "f.json: env.set.: bad variable name");
  ERRS(JSON({"limits": {"memory": "12X", "cpus": 0, "pids": 0, "openFiles": "many",
                        "fileSize": -5, "timeout": "5d", "lifetime": true, "disk": 1}}),
       "f.json: limits.memory: bad size `12X` (a number with an optional K, M or G suffix)",
       "f.json: limits.cpus: expected a number of CPUs greater than 0, got 0",
       "f.json: limits.pids: must be greater than zero",
       "f.json: limits.openFiles: expected an integer or null, got a string",
       "f.json: limits.fileSize: must be greater than zero",
       "f.json: limits.timeout: bad duration `5d` (a number with an s, m or h suffix)",
       "f.json: limits.lifetime: expected a duration (\"300s\", \"15m\", \"6h\") or null, got a boolean",
       "f.json: limits.disk: unknown key");
  ERRS(JSON({"audit": {"path": "audit.jsonl"}}), "f.json: audit.path: `audit.jsonl` is not an absolute path");
  ERRS(JSON({"audit": {"commands": "yes", "maxBytes": 100, "rotate": 1}}),
       "f.json: audit.commands: expected a boolean, got a string",
       "f.json: audit.maxBytes: must be at least 4096 bytes",
       "f.json: audit.rotate: unknown key");
  ERRS(JSON({"audit": {"maxBytes": "lots"}}),
       "f.json: audit.maxBytes: expected a size (\"64M\", bytes), got a string");
  {
    cleanup_policy struct sbx_policy *m = parse_ok(JSON({"audit": {"maxBytes": "1M", "commands": true}}));
    CHECK(m && m->audit_max_bytes == 1 << 20 && m->audit_commands);
  }
  ERRS(JSON({"extends": "../etc/x"}),
       "f.json: extends: `../etc/x` is not a policy name (letters, digits, '.', '-', '_')");
  ERRS(JSON({"name": ""}), "f.json: name: a name is 1 to 128 printable characters");
  ERRS(JSON({"annotations": "no"}), "f.json: annotations: expected a boolean, got a string");

  /* the first error, with a count of the rest, in err */
  struct sbx_policy *p = NULL;
  struct sbx_error err = { 0 };
  const char *j = JSON({"a": 1, "b": 2, "c": 3});
  CHECK_INT(sbx_policy_parse(j, strlen(j), "f.json", &p, NULL, &err), -1);
  CHECK_STR(err.msg, "f.json: a: unknown key (and 2 more errors)");
  sbx_error_clear(&err);

  /* fileSize 0 is allowed (no file may grow), version absent is fine */
  cleanup_policy struct sbx_policy *q = parse_ok(JSON({"limits": {"fileSize": 0}}));
  CHECK(q && q->limits.file_size == 0);
}

/* ---- presets ---- */

static void test_presets(void)
{
  size_t n;
  const struct sbx_policy_preset *ps = sbx_policy_presets(&n);
  static const char *const names[] = { "agent-safe", "read-only", "development", "full-access",
                                       "view-only", "strict", "none" };

  CHECK_INT(n, 7);
  for (size_t i = 0; i < n && i < 7; i++) {
    CHECK_STR(ps[i].name, names[i]);
    cleanup_policy struct sbx_policy *p = load_ok(ps[i].name);
    if (p) {
      CHECK_STR(p->name, names[i]);
      CHECK(p->passthrough == (strcmp(names[i], "none") == 0));
    }
  }
  cleanup_policy struct sbx_policy *a = load_ok("agent-safe");
  if (!a)
    return;
  CHECK_INT(a->fs_default, SBX_PERM_READ);
  CHECK_INT(a->rules_len, 29);
  CHECK_INT(a->network, SBX_NET_NONE);
  CHECK(!a->caps_all && a->caps_allow_len == 0);
  CHECK(a->no_new_privileges);
  CHECK_INT(a->seccomp, SBX_SECCOMP_DEFAULT);
  CHECK_INT(a->limits.memory, 1LL << 30);
  CHECK_INT(a->limits.pids, 256);
  CHECK_INT(a->limits.open_files, 1024);
  CHECK_INT(a->limits.timeout, -1);
  CHECK(!a->exec_restricted);
  CHECK(a->annotations);
  CHECK(a->audit_path == NULL);
  CHECK(a->audit_commands);
  CHECK_INT(a->audit_max_bytes, 64LL << 20);
  {
    cleanup_policy struct sbx_policy *s = load_ok("strict");
    cleanup_policy struct sbx_policy *f = load_ok("full-access");
    CHECK(s && s->audit_commands);
    CHECK(f && !f->audit_commands);
  }
  CHECK_INT(sbx_policy_permission(a, "/tmp/x", NULL), SBX_PERM_WRITE);
  CHECK_INT(sbx_policy_permission(a, "/var/tmp", NULL), SBX_PERM_WRITE);
  CHECK_INT(sbx_policy_permission(a, "/run/lock/x", NULL), SBX_PERM_WRITE);
  CHECK_INT(sbx_policy_permission(a, "/workspace/output/r.txt", NULL), SBX_PERM_WRITE);
  CHECK_INT(sbx_policy_permission(a, "/workspace/src/main.c", NULL), SBX_PERM_READ);
  static const char *const hidden[] = {
    "/workspace/.env", "/workspace/.env.local", "/app/secrets", "/app/secrets/db/pw",
    "/etc/ssl/private/server.key", "/x/cert.pem", "/x/a.p12", "/x/a.pfx", "/root/.ssh/id_rsa",
    "/home/u/id_ed25519.pub", "/home/u/.aws/credentials", "/home/u/.gnupg/pubring.kbx",
    "/root/.netrc", "/root/.git-credentials", "/root/.docker/config.json", "/root/.kube/config",
    "/srv/credentials.json", "/tmp/.env", "/tmp/secrets/x" };
  for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
    if (!CHECK_INT(sbx_policy_permission(a, hidden[i], NULL), SBX_PERM_NONE))
      fprintf(stderr, "  %s\n", hidden[i]);

  cleanup_policy struct sbx_policy *s = load_ok("strict");
  if (s) {
    CHECK_INT(s->seccomp, SBX_SECCOMP_STRICT);
    CHECK(s->exec_restricted && s->exec_allow_len == 2);
    CHECK(sbx_policy_exec_allowed(s, "/bin/sh"));
    CHECK(sbx_policy_exec_allowed(s, "/usr/bin/git"));
    CHECK(!sbx_policy_exec_allowed(s, "/usr/local/bin/x"));
    CHECK(!sbx_policy_exec_allowed(s, "/bin/sub/x"));
    CHECK_INT(s->limits.memory, 512LL << 20);
    CHECK_INT(s->limits.pids, 128);
    CHECK_INT(s->limits.timeout, 900);
    CHECK_INT(s->limits.open_files, 1024);  /* inherited */
    CHECK_INT(s->rules_len, 29);             /* inherited */
    CHECK_INT(sbx_policy_permission(s, "/tmp/x", NULL), SBX_PERM_WRITE);
  }
  cleanup_policy struct sbx_policy *d = load_ok("development");
  if (d) {
    CHECK_INT(sbx_policy_permission(d, "/usr/lib/x", NULL), SBX_PERM_WRITE);
    CHECK_INT(sbx_policy_permission(d, "/w/.env", NULL), SBX_PERM_NONE);
    CHECK(d->caps_all && sbx_policy_capability_allowed(d, "CAP_SYS_ADMIN"));
  }
  cleanup_policy struct sbx_policy *v = load_ok("view-only");
  if (v) {
    CHECK_INT(sbx_policy_permission(v, "/data/a", NULL), SBX_PERM_VIEW);
    CHECK_INT(sbx_policy_permission(v, "/usr/bin/ls", NULL), SBX_PERM_READ);
  }
  cleanup_policy struct sbx_policy *r = load_ok("read-only");
  if (r)
    CHECK_INT(sbx_policy_permission(r, "/tmp/x", NULL), SBX_PERM_READ);
  cleanup_policy struct sbx_policy *none = load_ok("none");
  if (none) {
    CHECK_INT(sbx_policy_permission(none, "/root/.ssh/id_rsa", NULL), SBX_PERM_WRITE);
    CHECK(sbx_policy_capability_allowed(none, "CAP_SYS_ADMIN"));
  }
}

/* ---- extends ---- */

static void test_extends(void)
{
  write_text("policies/base.json", JSON({"version": 1, "name": "base-policy",
    "filesystem": {"default": "read", "rules": [{"pattern": "/data", "permission": "write"}]},
    "exec": {"allow": ["/bin/*"]},
    "env": {"deny": ["A_*"], "set": {"X": "1", "Y": "2"}},
    "limits": {"memory": "1G", "pids": 10}}));
  write_text("policies/child.json", JSON({"extends": "base",
    "filesystem": {"rules": [{"pattern": "/data/tmp", "permission": "none"}]},
    "exec": {"allow": ["/usr/bin/git"]},
    "env": {"deny": ["B_*"], "set": {"Y": "3", "Z": "4"}},
    "limits": {"pids": 20}}));
  cleanup_policy struct sbx_policy *c = load_ok("child");
  if (!c)
    return;
  CHECK_STR(c->name, "child");  /* a document without name: its own name */
  CHECK_INT(c->fs_default, SBX_PERM_READ);
  CHECK_INT(c->rules_len, 2);
  if (c->rules_len == 2) {
    CHECK_STR(c->rules[0].pattern, "/data");
    CHECK_STR(c->rules[1].pattern, "/data/tmp");
    cleanup_free char *o = sbx_strdup_printf("%s/policies/base.json", tmpdir);
    CHECK_STR(c->rules[0].origin, o);
  }
  CHECK(c->exec_restricted && c->exec_allow_len == 1);
  CHECK_STR(c->exec_allow[0], "/usr/bin/git");
  CHECK_INT(c->env.deny_len, 2);
  CHECK_INT(c->env.set_len, 3);
  if (c->env.set_len == 3) {
    CHECK_STR(c->env.set_names[1], "Y");
    CHECK_STR(c->env.set_values[1], "3");
    CHECK_STR(c->env.set_names[2], "Z");
  }
  CHECK_INT(c->limits.memory, 1LL << 30);
  CHECK_INT(c->limits.pids, 20);
  CHECK_INT(c->network, SBX_NET_UNRESTRICTED);  /* schema default */
  CHECK(c->caps_allow_len == 0 && !c->caps_all); /* absent: drop all */

  /* a preset parent */
  cleanup_policy struct sbx_policy *p = doc_ok(JSON({"extends": "agent-safe", "name": "mine",
    "network": {"mode": "unrestricted"}, "limits": {"timeout": "1h"}}));
  if (p) {
    CHECK_STR(p->name, "mine");
    CHECK_INT(p->rules_len, 29);
    CHECK_INT(p->network, SBX_NET_UNRESTRICTED);
    CHECK_INT(p->limits.timeout, 3600);
    CHECK_INT(p->limits.memory, 1LL << 30);
  }

  /* errors: cycle, depth, unknown, none */
  struct sbx_policy *x = NULL;
  struct sbx_error err = { 0 };
  cleanup_free char *a_path = sbx_strdup_printf("%s/policies/cyc-a.json", tmpdir);
  cleanup_free char *b_path = sbx_strdup_printf("%s/policies/cyc-b.json", tmpdir);
  write_text("policies/cyc-a.json", JSON({"extends": "cyc-b"}));
  write_text("policies/cyc-b.json", JSON({"extends": "cyc-a"}));
  CHECK_INT(sbx_policy_load(tmpdir, "cyc-a", &x, &err), -1);
  cleanup_free char *want = sbx_strdup_printf("%s: extends `cyc-b`: %s: extends: cycle cyc-a -> cyc-b -> cyc-a",
                                              a_path, b_path);
  CHECK_STR(err.msg, want);
  sbx_error_clear(&err);

  for (int i = 0; i < 10; i++) {
    char rel[64], text[64];
    snprintf(rel, sizeof rel, "policies/d%d.json", i);
    if (i == 9)
      snprintf(text, sizeof text, "{}");
    else
      snprintf(text, sizeof text, "{\"extends\": \"d%d\"}", i + 1);
    write_text(rel, text);
  }
  CHECK_INT(sbx_policy_load(tmpdir, "d0", &x, &err), -1);
  CHECK(err.msg && strstr(err.msg, "more than 8 levels of extends"));
  sbx_error_clear(&err);
  cleanup_policy struct sbx_policy *ok8 = load_ok("d2");  /* 7 levels: fine */
  CHECK(ok8 != NULL);

  write_text("policies/orphan.json", JSON({"extends": "nosuch"}));
  CHECK_INT(sbx_policy_load(tmpdir, "orphan", &x, &err), -1);
  cleanup_free char *o_path = sbx_strdup_printf("%s/policies/orphan.json", tmpdir);
  want = (free(want), sbx_strdup_printf("%s: extends `nosuch`: unknown policy `nosuch`: not a preset, and there is no %s/policies/nosuch.json",
                                        o_path, tmpdir));
  CHECK_STR(err.msg, want);
  sbx_error_clear(&err);

  /* {"extends": "none"} alone selects none; with anything else it is an error */
  write_text("policies/on-none.json", JSON({"extends": "none"}));
  cleanup_policy struct sbx_policy *on_none = load_ok("on-none");
  CHECK(on_none != NULL && on_none->passthrough);
  write_text("policies/over-none.json", JSON({"extends": "none", "seccomp": "strict"}));
  CHECK_INT(sbx_policy_load(tmpdir, "over-none", &x, &err), -1);
  CHECK(err.msg && strstr(err.msg, "the policy `none` applies no overlay and cannot be extended"));
  sbx_error_clear(&err);

  /* a parent with an error names the parent's file */
  write_text("policies/broken.json", JSON({"seccomp": 1}));
  write_text("policies/on-broken.json", JSON({"extends": "broken"}));
  CHECK_INT(sbx_policy_load(tmpdir, "on-broken", &x, &err), -1);
  CHECK(err.msg && strstr(err.msg, "broken.json: seccomp: expected a string, got a number"));
  sbx_error_clear(&err);
}

/* ---- sources and precedence ---- */

static struct sbx_policy *resolve(const char *flag, const char *ann, const char *tighten,
                                  struct sbx_diags *warnings, struct sbx_error *err)
{
  struct sbx_policy_request req = { .config_dir = tmpdir, .flag = flag, .annotation_policy = ann,
                                    .annotation_tighten = tighten };
  struct sbx_policy *p = NULL;
  if (sbx_policy_resolve(&req, &p, warnings, err) < 0)
    return NULL;
  return p;
}

static void test_precedence(void)
{
  struct sbx_error err = { 0 };
  struct sbx_diags w = { 0 };
  struct sbx_policy *p;

  remove_text("policy.json");
  p = resolve(NULL, NULL, NULL, NULL, &err);
  CHECK(p && strcmp(p->name, "agent-safe") == 0 && p->source == SBX_POLICY_FROM_DEFAULT);
  sbx_policy_free(p);

  /* the annotation may choose what site lists in selectable (both are
   * looser than site: they write /tmp) */
  write_text("policy.json", JSON({"name": "site", "extends": "read-only",
                                  "selectable": ["team", "strict"]}));
  p = resolve(NULL, NULL, NULL, NULL, &err);
  CHECK(p && strcmp(p->name, "site") == 0 && p->source == SBX_POLICY_FROM_SYSTEM);
  sbx_policy_free(p);

  write_text("policies/team.json", JSON({"extends": "development"}));
  p = resolve(NULL, "team", NULL, NULL, &err);
  CHECK(p && strcmp(p->name, "team") == 0 && p->source == SBX_POLICY_FROM_ANNOTATION);
  sbx_policy_free(p);
  p = resolve(NULL, "strict", NULL, NULL, &err);
  CHECK(p && strcmp(p->name, "strict") == 0);
  sbx_policy_free(p);

  /* the flag wins over the annotation (with a warning) */
  p = resolve("full-access", "strict", NULL, &w, &err);
  CHECK(p && strcmp(p->name, "full-access") == 0 && p->source == SBX_POLICY_FROM_FLAG);
  CHECK_INT(w.len, 1);
  sbx_diags_free(&w);
  sbx_policy_free(p);
  cleanup_free char *file = sbx_strdup_printf("%s/policies/team.json", tmpdir);
  p = resolve(file, NULL, NULL, NULL, &err);
  CHECK(p && strcmp(p->name, file) == 0);  /* a FILE without name: its path */
  sbx_policy_free(p);

  /* annotations: false ignores both annotations */
  write_text("policies/pinned.json", JSON({"extends": "agent-safe", "annotations": false}));
  p = resolve("pinned", "full-access", JSON({"seccomp": "strict"}), &w, &err);
  CHECK(p && strcmp(p->name, "pinned") == 0 && p->seccomp == SBX_SECCOMP_DEFAULT && !p->tightened);
  CHECK_INT(w.len, 2);
  if (w.len == 2)
    CHECK_STR(w.items[1], "annotation agentsbx.policy.tighten ignored: policy `pinned` sets \"annotations\": false");
  sbx_diags_free(&w);
  sbx_policy_free(p);
  /* ... also when it is the system policy */
  write_text("policy.json", JSON({"extends": "agent-safe", "annotations": false}));
  p = resolve(NULL, "full-access", NULL, &w, &err);
  CHECK(p && p->source == SBX_POLICY_FROM_SYSTEM && p->network == SBX_NET_NONE);
  CHECK_INT(w.len, 1);
  sbx_diags_free(&w);
  sbx_policy_free(p);
  remove_text("policy.json");

  /* annotation values are names, never paths */
  CHECK(resolve(NULL, "/etc/passwd", NULL, NULL, &err) == NULL);
  CHECK_STR(err.msg, "annotation agentsbx.policy: `/etc/passwd` is not a policy name");
  CHECK(resolve(NULL, "nosuch", NULL, NULL, &err) == NULL);
  CHECK(err.msg && strstr(err.msg, "annotation agentsbx.policy: unknown policy `nosuch`"));
  CHECK(resolve("nosuch.json", NULL, NULL, NULL, &err) == NULL);
  CHECK(err.msg && strstr(err.msg, "--policy nosuch.json: policy file: "));

  /* a broken system policy is an error, not a fallback */
  write_text("policy.json", "{");
  CHECK(resolve(NULL, NULL, NULL, NULL, &err) == NULL);
  remove_text("policy.json");

  /* allowlist resolves with its entries */
  write_text("policies/al.json", JSON({"network": {"mode": "allowlist", "allow": ["example.com"]}}));
  p = resolve("al", NULL, NULL, NULL, &err);
  CHECK(p && p->network == SBX_NET_ALLOWLIST && p->network_allow_len == 1 &&
        p->network_block_private && p->network_max_connections == -1);
  sbx_policy_free(p);

  /* none: passthrough, and it cannot be tightened */
  p = resolve("none", NULL, NULL, NULL, &err);
  CHECK(p && p->passthrough);
  sbx_policy_free(p);
  write_text("policy.json", JSON({"extends": "agent-safe", "selectable": ["none"]}));
  CHECK(resolve(NULL, "none", JSON({"seccomp": "strict"}), NULL, &err) == NULL);
  CHECK_STR(err.msg, "agentsbx.policy.tighten: the policy `none` applies no overlay and cannot be tightened");
  remove_text("policy.json");
  sbx_error_clear(&err);
}

/* ---- tightening ---- */

static void tighten_refused(const char *base_name, const char *json, const char *const *want)
{
  cleanup_policy struct sbx_policy *base = load_ok(base_name);
  struct sbx_policy *out = NULL;
  struct sbx_diags errs = { 0 };
  struct sbx_error err = { 0 };
  size_t n = 0;

  if (!base)
    return;
  while (want[n])
    n++;
  CHECK_INT(sbx_policy_tighten(base, json, "agentsbx.policy.tighten", &out, &errs, &err), -1);
  CHECK(out == NULL);
  if (!CHECK_INT(errs.len, n))
    for (size_t i = 0; i < errs.len; i++)
      fprintf(stderr, "  got: %s\n", errs.items[i]);
  for (size_t i = 0; i < n && i < errs.len; i++)
    CHECK_STR(errs.items[i], want[i]);
  sbx_diags_free(&errs);
  sbx_error_clear(&err);
}
#define REFUSED(base, json, ...) tighten_refused(base, json, (const char *const[]){ __VA_ARGS__, NULL })

static struct sbx_policy *tighten_ok(const char *base_name, const char *json)
{
  cleanup_policy struct sbx_policy *base = load_ok(base_name);
  struct sbx_policy *out = NULL;
  struct sbx_error err = { 0 };

  if (!base)
    return NULL;
  if (!CHECK(sbx_policy_tighten(base, json, "agentsbx.policy.tighten", &out, NULL, &err) == 0))
    fprintf(stderr, "  %s\n", err.msg);
  sbx_error_clear(&err);
  return out;
}

static void test_tighten(void)
{
  struct sbx_policy *t;

  write_text("policies/caps.json", JSON({"extends": "agent-safe",
    "capabilities": {"allow": ["CAP_NET_BIND_SERVICE", "CAP_CHOWN"]},
    "exec": {"allow": ["/usr/bin/*", "/bin/sh"]},
    "env": {"inherit": "none", "allow": ["PATH", "LC_*"]},
    "limits": {"cpus": 2}}));

  /* accepted */
  t = tighten_ok("caps", JSON({"capabilities": {"allow": ["CAP_CHOWN"]},
                               "exec": {"allow": ["/usr/bin/git", "/bin/sh"]},
                               "env": {"allow": ["PATH", "LC_ALL"], "deny": ["GIT_*"], "set": {"HOME": "/tmp"}},
                               "limits": {"memory": "256M", "cpus": 1, "pids": 10, "timeout": "5m",
                                          "fileSize": "1M"},
                               "seccomp": "strict", "noNewPrivileges": true,
                               "filesystem": {"default": "view", "rules": [
                                 {"pattern": "/workspace/output", "permission": "read", "priority": 50},
                                 {"pattern": "/tmp/cache", "permission": "none"},
                                 {"pattern": "**/*.log", "permission": "view"}]}}));
  if (t) {
    CHECK(t->tightened);
    CHECK_STR(t->name, "caps");
    CHECK_INT(t->caps_allow_len, 1);
    CHECK_INT(t->exec_allow_len, 2);
    CHECK_INT(t->env.deny_len, 7);
    CHECK_INT(t->limits.memory, 256LL << 20);
    CHECK_INT(t->limits.open_files, 1024);
    CHECK_INT(t->limits.timeout, 300);
    CHECK(t->limits.cpus == 1);
    CHECK_INT(t->seccomp, SBX_SECCOMP_STRICT);
    CHECK_INT(t->fs_default, SBX_PERM_VIEW);
    CHECK_INT(t->rules_len, 32);
    CHECK_STR(t->rules[29].origin, "agentsbx.policy.tighten");
    CHECK_INT(sbx_policy_permission(t, "/workspace/output/x", NULL), SBX_PERM_READ);
    CHECK_INT(sbx_policy_permission(t, "/tmp/cache/a", NULL), SBX_PERM_NONE);
    CHECK_INT(sbx_policy_permission(t, "/tmp/a", NULL), SBX_PERM_WRITE);
    CHECK_INT(sbx_policy_permission(t, "/etc/hosts", NULL), SBX_PERM_VIEW);
    sbx_policy_free(t);
  }
  /* a tighten may add an allowlist where the base has none, network down */
  t = tighten_ok("development", JSON({"exec": {"allow": ["/bin/*"]}, "network": {"mode": "none"},
                                      "capabilities": {"allow": ["CAP_SYS_ADMIN"]},
                                      "limits": {"lifetime": "6h"}}));
  if (t) {
    CHECK(t->exec_restricted && t->network == SBX_NET_NONE && t->limits.lifetime == 21600);
    sbx_policy_free(t);
  }
  /* lower priority than the secrets: cannot override them, so read is fine */
  t = tighten_ok("agent-safe", JSON({"filesystem": {"rules": [{"pattern": "/workspace", "permission": "read", "priority": 99}]}}));
  sbx_policy_free(t);
  /* same pattern, same priority, lower permission: wins by restrictiveness */
  t = tighten_ok("agent-safe", JSON({"filesystem": {"rules": [{"pattern": "/tmp", "permission": "read"}]}}));
  if (t) {
    CHECK_INT(sbx_policy_permission(t, "/tmp/x", NULL), SBX_PERM_READ);
    sbx_policy_free(t);
  }
  /* audit unchanged is fine; an empty document is fine */
  t = tighten_ok("agent-safe", JSON({"audit": {"path": null}}));
  sbx_policy_free(t);
  t = tighten_ok("agent-safe", "{}");
  sbx_policy_free(t);
  t = tighten_ok("full-access", JSON({"audit": {"commands": true}}));
  CHECK(t && t->audit_commands);
  sbx_policy_free(t);

  /* refused */
  REFUSED("agent-safe", JSON({"capabilities": {"allow": ["CAP_SYS_ADMIN"]}}),
          "agentsbx.policy.tighten: capabilities.allow: CAP_SYS_ADMIN is not allowed by the base policy");
  REFUSED("caps", JSON({"capabilities": {"allow": ["ALL"]}}),
          "agentsbx.policy.tighten: capabilities.allow: ALL is not allowed by the base policy");
  REFUSED("agent-safe", JSON({"noNewPrivileges": false}),
          "agentsbx.policy.tighten: noNewPrivileges: false would lift the base policy's true");
  REFUSED("agent-safe", JSON({"seccomp": "config"}),
          "agentsbx.policy.tighten: seccomp: config is weaker than the base policy's default");
  REFUSED("agent-safe", JSON({"network": {"mode": "unrestricted"}}),
          "agentsbx.policy.tighten: network.mode: unrestricted is looser than the base policy's none");
  REFUSED("strict", JSON({"exec": {"allow": ["/usr/local/bin/x", "/bin/sh", "/bin/**"]}}),
          "agentsbx.policy.tighten: exec.allow: /usr/local/bin/x is not allowed by the base policy",
          "agentsbx.policy.tighten: exec.allow: /bin/** is not allowed by the base policy");
  REFUSED("strict", JSON({"exec": {"allow": null}}),
          "agentsbx.policy.tighten: exec.allow: null would lift the base policy's allowlist");
  REFUSED("caps", JSON({"env": {"inherit": "all", "allow": ["HOME", "LC_*", "LC_CTYPE"]}}),
          "agentsbx.policy.tighten: env.inherit: all is looser than the base policy's none",
          "agentsbx.policy.tighten: env.allow: HOME is not allowed by the base policy");
  REFUSED("agent-safe", JSON({"env": {"set": {"GITHUB_TOKEN": "x", "HOME": "/tmp"}}}),
          "agentsbx.policy.tighten: env.set.GITHUB_TOKEN: the base policy denies GITHUB_TOKEN");
  REFUSED("caps", JSON({"limits": {"memory": "2G", "pids": null, "openFiles": 4096, "cpus": 4,
                                   "timeout": "1h"}}),
          "agentsbx.policy.tighten: limits.memory: 2G is above the base policy's 1G",
          "agentsbx.policy.tighten: limits.pids: unlimited is above the base policy's 256",
          "agentsbx.policy.tighten: limits.openFiles: 4096 is above the base policy's 1024",
          "agentsbx.policy.tighten: limits.cpus: 4 is above the base policy's 2");
  REFUSED("strict", JSON({"limits": {"timeout": "1h"}}),
          "agentsbx.policy.tighten: limits.timeout: 1h is above the base policy's 15m");
  REFUSED("agent-safe", JSON({"audit": {"path": "/tmp/a.jsonl"}}),
          "agentsbx.policy.tighten: audit.path: cannot be changed by a tighten document");
  REFUSED("agent-safe", JSON({"audit": {"commands": false, "maxBytes": "1M"}}),
          "agentsbx.policy.tighten: audit.commands: false would turn off the base policy's command trail",
          "agentsbx.policy.tighten: audit.maxBytes: cannot be changed by a tighten document");
  REFUSED("agent-safe", JSON({"extends": "strict", "name": "x", "annotations": false}),
          "agentsbx.policy.tighten: extends: not allowed in a tighten document",
          "agentsbx.policy.tighten: name: not allowed in a tighten document",
          "agentsbx.policy.tighten: annotations: not allowed in a tighten document");
  REFUSED("agent-safe", JSON({"filesystem": {"default": "write"}}),
          "agentsbx.policy.tighten: filesystem.default: write is above the base policy's read");
  /* a write rule where the default (read) applies */
  REFUSED("agent-safe", JSON({"filesystem": {"rules": [{"pattern": "/home", "permission": "write"}]}}),
          "agentsbx.policy.tighten: filesystem.rules[0]: `/home` (write) is above the base policy's filesystem.default (read)");
  /* a rule that would beat the hidden secrets (same priority, more specific) */
  {
    // it could also beat the secrets rules below /workspace/.env (a
    // directory): every one is reported
    cleanup_policy struct sbx_policy *base = load_ok("agent-safe");
    struct sbx_policy *out = NULL;
    struct sbx_diags errs = { 0 };
    struct sbx_error err = { 0 };
    const char *j = JSON({"filesystem": {"rules": [{"pattern": "/workspace/.env", "permission": "view", "priority": 100}]}});
    CHECK_INT(sbx_policy_tighten(base, j, "agentsbx.policy.tighten", &out, &errs, &err), -1);
    CHECK_INT(errs.len, 23);
    if (errs.len)
      CHECK_STR(errs.items[0], "agentsbx.policy.tighten: filesystem.rules[0]: `/workspace/.env` (view, priority 100) would override `**/.env*` (none, priority 100) of preset agent-safe");
    CHECK_STR(err.msg, "agentsbx.policy.tighten: filesystem.rules[0]: `/workspace/.env` (view, priority 100) would override `**/.env*` (none, priority 100) of preset agent-safe (and 22 more errors)");
    sbx_diags_free(&errs);
    sbx_error_clear(&err);
  }
  /* re-expose a hidden subtree from above */
  REFUSED("agent-safe", JSON({"filesystem": {"rules": [{"pattern": "/tmp", "permission": "read", "priority": 200}]}}),
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.env*` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/secrets/**` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/*.key` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/*.pem` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/*.p12` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/*.pfx` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/id_rsa*` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/id_ed25519*` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/credentials*` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.aws/**` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.ssh/**` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.gnupg/**` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.netrc` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.git-credentials` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.docker/config.json` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.kube/config` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.npmrc` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.pypirc` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.config/gh/hosts.yml` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.vault-token` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.pgpass` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/*.tfstate` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/*.tfstate.backup` (none, priority 100) of preset agent-safe",
          "agentsbx.policy.tighten: filesystem.rules[0]: `/tmp` (read, priority 200) would override `**/.terraformrc` (none, priority 100) of preset agent-safe");
  /* a base anchored none rule elsewhere does not count */
  write_text("policies/hid.json", JSON({"filesystem": {"default": "read", "rules": [
    {"pattern": "/data/private", "permission": "none", "priority": 10},
    {"pattern": "/data", "permission": "write"}]}}));
  t = tighten_ok("hid", JSON({"filesystem": {"rules": [{"pattern": "/srv", "permission": "read", "priority": 50}]}}));
  sbx_policy_free(t);
  cleanup_free char *hid = sbx_strdup_printf(
    "agentsbx.policy.tighten: filesystem.rules[0]: `/data` (read, priority 50) would override `/data/private` (none, priority 10) of %s/policies/hid.json",
    tmpdir);
  REFUSED("hid", JSON({"filesystem": {"rules": [{"pattern": "/data", "permission": "read", "priority": 50}]}}), hid);
  /* bad JSON in the tighten document is a parse error naming the annotation */
  REFUSED("agent-safe", JSON({"limits": {"memory": "lots"}}),
          "agentsbx.policy.tighten: limits.memory: bad size `lots` (a number with an optional K, M or G suffix)");
}

/* ---- what the agentsbx.policy annotation may choose ---- */

/* The annotation ann is refused; err.msg holds want (between the fixed
 * head and tail of the message). */
static void choice_refused(const char *ann, const char *dflt, const char *want)
{
  struct sbx_error err = { 0 };
  struct sbx_policy *p = resolve(NULL, ann, NULL, NULL, &err);
  cleanup_free char *file = sbx_strdup_printf("%s/policy.json", tmpdir);
  cleanup_free char *msg = sbx_strdup_printf(
    "annotation agentsbx.policy=%s refused: policy `%s` is looser than policy `%s`, which holds "
    "without the annotation: %s; an annotation may only choose a policy at least as strict, or "
    "one listed in \"selectable\" of %s", ann, ann,
    strcmp(dflt, "policy.json") == 0 ? file : dflt, want, file);

  if (!CHECK(p == NULL))
    sbx_policy_free(p);
  CHECK_STR(err.msg, msg);
  sbx_error_clear(&err);
}

static void choice_ok(const char *ann, const char *want_name)
{
  struct sbx_error err = { 0 };
  struct sbx_policy *p = resolve(NULL, ann, NULL, NULL, &err);

  if (!CHECK(p && strcmp(p->name, want_name) == 0 && p->source == SBX_POLICY_FROM_ANNOTATION))
    fprintf(stderr, "  %s: %s\n", ann, err.msg ? err.msg : p ? p->name : "?");
  sbx_policy_free(p);
  sbx_error_clear(&err);
}

static void test_annotation_choice(void)
{
  remove_text("policy.json");
  /* no policy.json: agent-safe holds, and nothing looser may replace it (a
   * policy without agent-safe's command trail, audit.commands, is looser too) */
  choice_refused("none", "agent-safe", "applies no overlay at all");
  choice_refused("full-access", "agent-safe",
                 "filesystem.default: write is above the base policy's read (and 39 more errors)");
  choice_refused("development", "agent-safe",
                 "filesystem.default: write is above the base policy's read (and 7 more errors)");
  /* at least as strict: the presets that are, agent-safe itself */
  choice_ok("strict", "strict");
  choice_ok("read-only", "read-only");
  choice_ok("view-only", "view-only");
  choice_ok("agent-safe", "agent-safe");
  write_text("policies/tighter.json", JSON({"extends": "agent-safe", "limits": {"scratch": "64M"},
    "filesystem": {"rules": [{"pattern": "/workspace/output", "permission": "read"}]},
    "env": {"deny": ["GIT_*"], "inherit": "none", "allow": ["PATH"]}}));
  choice_ok("tighter", "tighter");
  /* each key a file policy may loosen, named by its JSON path */
  write_text("policies/caps.json", JSON({"extends": "agent-safe", "capabilities": {"allow": ["CAP_CHOWN"]}}));
  choice_refused("caps", "agent-safe", "capabilities.allow: CAP_CHOWN is not allowed by the base policy");
  write_text("policies/mem.json", JSON({"extends": "agent-safe", "limits": {"memory": "2G"}}));
  choice_refused("mem", "agent-safe", "limits.memory: 2G is above the base policy's 1G");
  write_text("policies/scr.json", JSON({"extends": "agent-safe", "limits": {"scratch": null}}));
  choice_refused("scr", "agent-safe", "limits.scratch: unlimited is above the base policy's 1G");
  write_text("policies/home.json", JSON({"extends": "agent-safe",
    "filesystem": {"rules": [{"pattern": "/home", "permission": "write"}]}}));
  choice_refused("home", "agent-safe",
                 "filesystem.rules[0]: `/home` (write) is above the base policy's filesystem.default (read)");
  /* a policy that leaves out a secret rule (a rule of its own, not a
   * tighten on top): the missing rule is named */
  write_text("policies/nosecrets.json", JSON({"filesystem": {"default": "read", "rules": [
    {"pattern": "/tmp", "permission": "write"}]}, "network": {"mode": "none"},
    "noNewPrivileges": true, "seccomp": "default", "limits": {"memory": "1G", "pids": 256,
    "openFiles": 1024, "scratch": "1G"}, "env": {"deny": ["AWS_*", "*_KEY", "*_SECRET", "*_TOKEN",
    "*PASSWORD*", "*_CREDENTIALS"]}}));
  choice_refused("nosecrets", "agent-safe",
                 "filesystem.rules: `**/.env*` (none, priority 100) of preset agent-safe is missing (and 24 more errors)");
  write_text("policies/noenv.json", JSON({"extends": "agent-safe", "env": {"deny": []}}));
  /* (extends concatenates env.deny: a child cannot drop it; a document of
   * its own can) */
  choice_ok("noenv", "noenv");
  /* env of a document of its own: base's deny globs (in any case) and set
   * names must stay */
  write_text("policy.json", JSON({"name": "site", "filesystem": {"default": "read"},
    "network": {"mode": "none"}, "env": {"deny": ["AWS_*", "*_TOKEN"], "set": {"HOME": "/tmp"}}}));
  write_text("policies/noenv2.json", JSON({"filesystem": {"default": "read"}, "network": {"mode": "none"},
    "env": {"deny": ["aws_*"]}}));
  choice_refused("noenv2", "site", "env.deny: *_TOKEN of the base policy is missing (and 1 more error)");
  write_text("policies/noenv3.json", JSON({"filesystem": {"default": "read"}, "network": {"mode": "none"},
    "env": {"deny": ["aws_*", "*_token", "HOME"]}}));
  choice_ok("noenv3", "noenv3");
  remove_text("policy.json");
  write_text("policies/besteffort.json", JSON({"extends": "agent-safe", "filesystem": {"enforcement": "best-effort"}}));
  choice_refused("besteffort", "agent-safe",
                 "filesystem.enforcement: best-effort is looser than the base policy's strict");

  /* the admin's list: looser names become selectable, others stay refused */
  write_text("policy.json", JSON({"extends": "agent-safe", "selectable": ["development", "none", "caps"]}));
  choice_ok("development", "development");
  choice_ok("caps", "caps");
  {
    struct sbx_error err = { 0 };
    struct sbx_policy *p = resolve(NULL, "none", NULL, NULL, &err);
    CHECK(p && p->passthrough && p->source == SBX_POLICY_FROM_ANNOTATION);
    sbx_policy_free(p);
  }
  choice_refused("full-access", "policy.json",
                 "filesystem.default: write is above the base policy's read (and 39 more errors)");
  /* the comparison is with policy.json: a site tighter than agent-safe */
  write_text("policy.json", JSON({"name": "site", "extends": "agent-safe", "limits": {"pids": 100}}));
  choice_refused("agent-safe", "site", "limits.pids: 256 is above the base policy's 100");
  /* a site of none: every policy is at least as strict */
  write_text("policy.json", JSON({"extends": "none", "selectable": ["x"]}));
  choice_ok("full-access", "full-access");
  choice_ok("development", "development");
  /* annotations false: the annotation is ignored, looser or not */
  write_text("policy.json", JSON({"extends": "agent-safe", "annotations": false, "selectable": ["none"]}));
  {
    struct sbx_error err = { 0 };
    struct sbx_policy *p = resolve(NULL, "none", NULL, NULL, &err);
    CHECK(p && !p->passthrough && p->source == SBX_POLICY_FROM_SYSTEM);
    sbx_policy_free(p);
  }
  remove_text("policy.json");
}

/* the new keys: selectable (names), limits.scratch (a size) */
static void test_selectable_scratch_keys(void)
{
  ERRS(JSON({"selectable": "none"}), "f.json: selectable: expected an array of strings, got a string");
  ERRS(JSON({"selectable": ["ok", "../etc/x", 3]}),
       "f.json: selectable[1]: `../etc/x` is not a policy name (letters, digits, '.', '-', '_')",
       "f.json: selectable[2]: expected a string, got a number");
  ERRS(JSON({"limits": {"scratch": "lots"}}),
       "f.json: limits.scratch: bad size `lots` (a number with an optional K, M or G suffix)");
  ERRS(JSON({"limits": {"scratch": 0}}), "f.json: limits.scratch: must be greater than zero");
  ERRS(JSON({"limits": {"scratch": true}}),
       "f.json: limits.scratch: expected a size (\"512M\", bytes) or null, got a boolean");

  cleanup_policy struct sbx_policy *a = load_ok("agent-safe");
  if (a) {
    CHECK_INT(a->limits.scratch, 1LL << 30);
    CHECK_INT(a->selectable_len, 0);
  }
  cleanup_policy struct sbx_policy *dev = load_ok("development");
  if (dev)
    CHECK_INT(dev->limits.scratch, -1);
  /* extends: per key; selectable replaced */
  write_text("policies/sel-parent.json", JSON({"extends": "agent-safe", "selectable": ["a", "b"]}));
  cleanup_policy struct sbx_policy *c1 = doc_ok(JSON({"extends": "sel-parent", "limits": {"scratch": "64M"}}));
  if (c1) {
    CHECK_INT(c1->limits.scratch, 64LL << 20);
    CHECK_INT(c1->limits.memory, 1LL << 30);
    CHECK(c1->selectable_len == 2 && strcmp(c1->selectable[1], "b") == 0);
  }
  cleanup_policy struct sbx_policy *c2 = doc_ok(JSON({"extends": "sel-parent", "selectable": ["c"],
                                                      "limits": {"scratch": null}}));
  if (c2) {
    CHECK(c2->selectable_len == 1 && strcmp(c2->selectable[0], "c") == 0);
    CHECK_INT(c2->limits.scratch, -1);
  }
  /* canonical JSON carries both */
  if (c1) {
    struct sbx_error err = { 0 };
    cleanup_free char *j = sbx_policy_to_json(c1, false, &err);
    CHECK(j && strstr(j, "\"selectable\":[\"a\",\"b\"]") && strstr(j, "\"scratch\":\"64M\""));
  }
  /* {"extends": "none"} may carry selectable (meaningless there) but no more */
  cleanup_policy struct sbx_policy *n = doc_ok(JSON({"extends": "none", "selectable": ["x"]}));
  CHECK(n && n->passthrough);

  /* tighten: scratch only smaller, selectable not at all */
  struct sbx_policy *t = tighten_ok("agent-safe", JSON({"limits": {"scratch": "16M"}}));
  if (t)
    CHECK_INT(t->limits.scratch, 16LL << 20);
  sbx_policy_free(t);
  t = tighten_ok("development", JSON({"limits": {"scratch": "2G"}}));  /* unbounded base */
  sbx_policy_free(t);
  REFUSED("agent-safe", JSON({"limits": {"scratch": "2G"}}),
          "agentsbx.policy.tighten: limits.scratch: 2G is above the base policy's 1G");
  REFUSED("agent-safe", JSON({"limits": {"scratch": null}}),
          "agentsbx.policy.tighten: limits.scratch: unlimited is above the base policy's 1G");
  REFUSED("agent-safe", JSON({"selectable": ["none"]}),
          "agentsbx.policy.tighten: selectable: not allowed in a tighten document");
}

/* ---- limits.scratch on a config's mounts ---- */

/* The config's mounts after the scratch overlay of policy ref, as
 * "DEST TYPE OPT,OPT;" ... */
static char *scratch_mounts(const char *ref, const char *config)
{
  cleanup_policy struct sbx_policy *p = load_ok(ref);
  struct sbx_error err = { 0 };
  char *msg = NULL, *out = NULL;
  struct oci_config *c = oci_config_parse(config, strlen(config), &msg);
  size_t len = 0;
  FILE *f;

  if (!CHECK(c != NULL) || !p) {
    fprintf(stderr, "  %s\n", msg ? msg : "no policy");
    free(msg);
    oci_config_free(c);
    return NULL;
  }
  if (!CHECK(sbx_policy_apply_scratch(p, c, "/nonexistent-bundle", &err) == 0))
    fprintf(stderr, "  %s\n", err.msg);
  sbx_error_clear(&err);
  f = open_memstream(&out, &len);
  for (size_t i = 0; f && i < c->mounts_len; i++) {
    fprintf(f, "%s %s", c->mounts[i].destination, c->mounts[i].type ? c->mounts[i].type : "-");
    for (size_t j = 0; j < c->mounts[i].options_len; j++)
      fprintf(f, "%s%s", j ? "," : " ", c->mounts[i].options[j]);
    fputs(";", f);
  }
  if (f)
    fclose(f);
  oci_config_free(c);
  return out;
}

static void test_scratch_mounts(void)
{
  /* new tmpfs on /run and /var/tmp first (every config mount lands on top,
   * the engine's /run/app/conf included); a
   * tighter config /tmp (nr_blocks: 1024 pages) kept, a % of RAM capped,
   * paths compared normalised */
  write_text("policies/scr8.json", JSON({"extends": "agent-safe", "limits": {"scratch": "8M"}}));
  cleanup_free char *a = scratch_mounts("scr8", JSON({"ociVersion": "1.0.2",
    "root": {"path": "rootfs"}, "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]},
      {"destination": "/dev//shm/", "type": "tmpfs", "source": "shm", "options": ["noexec", "size=90%"]},
      {"destination": "/run/app/conf", "type": "bind", "source": "/etc/hostname", "options": ["rbind", "ro"]},
      {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["noexec", "nr_blocks=1024"]}]}));
  CHECK_STR(a, "/run tmpfs nosuid,nodev,mode=755,size=8388608;"
               "/var/tmp tmpfs nosuid,nodev,mode=1777,size=8388608;/proc proc;/dev tmpfs mode=755;"
               "/dev//shm/ tmpfs noexec,size=8388608;/run/app/conf bind rbind,ro;"
               "/tmp tmpfs noexec,nr_blocks=1024;");
  /* a larger size, or none, is replaced by the scratch size; the last
   * size option counts */
  cleanup_free char *b = scratch_mounts("scr8", JSON({"ociVersion": "1.0.2",
    "root": {"path": "rootfs"}, "mounts": [
      {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "size=1g"]},
      {"destination": "/var/tmp", "type": "tmpfs", "source": "tmpfs"},
      {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["size=0"]}]}));
  CHECK_STR(b, "/dev/shm tmpfs nosuid,nodev,mode=1777,size=8388608;/tmp tmpfs size=8388608;"
               "/var/tmp tmpfs size=8388608;/run tmpfs size=8388608;");
  /* a read-only root adds nothing where only the root lies; a tmpfs /dev
   * (rw) still gets /dev/shm, right after it; a read-only /var bind keeps /var/tmp; a bind on
   * /run is the engine's */
  cleanup_free char *c = scratch_mounts("scr8", JSON({"ociVersion": "1.0.2",
    "root": {"path": "rootfs", "readonly": true}, "mounts": [
      {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
      {"destination": "/dev/pts", "type": "devpts", "source": "devpts"},
      {"destination": "/var", "type": "bind", "source": "/srv", "options": ["rbind", "ro"]},
      {"destination": "/run", "type": "bind", "source": "/srv/run", "options": ["rbind"]}]}));
  CHECK_STR(c, "/dev tmpfs;/dev/shm tmpfs nosuid,nodev,mode=1777,size=8388608;/dev/pts devpts;"
               "/var bind rbind,ro;/run bind rbind;");
  /* not where the policy does not write; nothing without scratch */
  write_text("policies/ro8.json", JSON({"extends": "read-only", "limits": {"scratch": "8M"}}));
  cleanup_free char *d = scratch_mounts("ro8", JSON({"ociVersion": "1.0.2", "root": {"path": "rootfs"}}));
  CHECK_STR(d, "");
  cleanup_free char *e = scratch_mounts("development", JSON({"ociVersion": "1.0.2", "root": {"path": "rootfs"}}));
  CHECK_STR(e, "");
}

/* ---- globs ---- */

static void glob_case(const char *pattern, const char *path, bool match, bool covers)
{
  struct sbx_glob g;
  const char *why = NULL;

  if (!CHECK(sbx_glob_compile(pattern, &g, &why))) {
    fprintf(stderr, "  %s: %s\n", pattern, why);
    return;
  }
  if (!CHECK(sbx_glob_match(&g, path) == match))
    fprintf(stderr, "  match(%s, %s) != %d\n", pattern, path, match);
  if (!CHECK(sbx_glob_covers(&g, path) == covers))
    fprintf(stderr, "  covers(%s, %s) != %d\n", pattern, path, covers);
  sbx_glob_free(&g);
}

static void test_glob_matrix(void)
{
  // **/X/** at depth 0, 1 and 3 (and X itself, since ** may be empty)
  glob_case("**/secrets/**", "/secrets", true, true);
  glob_case("**/secrets/**", "/secrets/a", true, true);
  glob_case("**/secrets/**", "/a/secrets/b", true, true);
  glob_case("**/secrets/**", "/a/b/c/secrets/d/e", true, true);
  glob_case("**/secrets/**", "/a/secretsx/b", false, false);
  /* anchored vs unanchored */
  glob_case("/etc", "/etc", true, true);
  glob_case("/etc", "/etc/passwd", false, true);
  glob_case("/etc", "/x/etc", false, false);
  glob_case("etc", "/x/etc", true, true);
  glob_case("etc", "/x/etc/passwd", false, true);
  glob_case("etc/passwd", "/a/b/etc/passwd", true, true);
  glob_case("/etc/*.conf", "/etc/a.conf", true, true);
  glob_case("/etc/*.conf", "/etc/sub/a.conf", false, false);
  /* ?, [a-z], [!x], escapes */
  glob_case("/f?o", "/foo", true, true);
  glob_case("/f?o", "/fo", false, false);
  glob_case("/f?o", "/f/o", false, false);
  glob_case("/[a-c]x", "/bx", true, true);
  glob_case("/[a-c]x", "/dx", false, false);
  glob_case("/[!x]y", "/ay", true, true);
  glob_case("/[!x]y", "/xy", false, false);
  glob_case("/[^x]y", "/xy", false, false);
  glob_case("/[]]", "/]", true, true);
  glob_case("/a\\*b", "/a*b", true, true);
  glob_case("/a\\*b", "/axb", false, false);
  // ** alone, trailing /**, ** in the middle
  glob_case("**", "/", true, true);
  glob_case("**", "/a/b/c", true, true);
  glob_case("/**", "/a", true, true);
  glob_case("/data/**", "/data", true, true);
  glob_case("/data/**", "/data/x/y", true, true);
  glob_case("/data/**", "/datax", false, false);
  glob_case("/a/**/z", "/a/z", true, true);
  glob_case("/a/**/z", "/a/b/c/z", true, true);
  glob_case("/a/**/z", "/a/b/c/z/q", false, true);
  /* dotfiles are matched by * (unlike shells) */
  glob_case("*", "/.env", true, true);
  glob_case("/home/*/x", "/home/.hidden/x", true, true);
  glob_case("**/.env*", "/w/.env.local", true, true);
  /* a trailing slash is ignored; a**b is a single-segment * */
  glob_case("/data/", "/data/x", false, true);
  glob_case("/a**b", "/axxb", true, true);
  glob_case("/a**b", "/ax/xb", false, false);
  /* paths are normalised */
  glob_case("/etc/passwd", "//etc/./x/../passwd", true, true);

  /* specificity of compiled patterns */
  struct sbx_glob g;
  const char *why;
  CHECK(sbx_glob_compile("/a/b", &g, &why) && g.literal == 2 && g.wildcards == 0 && g.anchored);
  sbx_glob_free(&g);
  CHECK(sbx_glob_compile("a/b", &g, &why) && g.literal == 2 && g.wildcards == 1 && !g.anchored);
  sbx_glob_free(&g);
  CHECK(sbx_glob_compile("/a/*.c", &g, &why) && g.literal == 1 && g.wildcards == 1);
  sbx_glob_free(&g);
  CHECK(sbx_glob_compile("/a/**/**/b", &g, &why) && g.n_segs == 3);
  sbx_glob_free(&g);

  CHECK(sbx_glob_match_segment("AWS_*", "AWS_SECRET_ACCESS_KEY"));
  CHECK(sbx_glob_match_segment("*PASSWORD*", "DB_PASSWORD_FILE"));
  CHECK(!sbx_glob_match_segment("*_KEY", "KEYRING"));
  CHECK(sbx_glob_match_segment("*a*b*c", "xxaxxbxxbc"));
}

/* ---- resolution ---- */

static void test_resolution_ties(void)
{
  int rule;
  cleanup_policy struct sbx_policy *p = doc_ok(JSON({"filesystem": {"default": "read", "rules": [
    {"pattern": "/w", "permission": "write"},
    {"pattern": "/w/docs", "permission": "view"},
    {"pattern": "**/*.md", "permission": "none", "priority": 5},
    {"pattern": "/w/README.md", "permission": "write", "priority": 5},
    {"pattern": "/w/x", "permission": "write", "priority": 1},
    {"pattern": "/w/x", "permission": "view", "priority": 1},
    {"pattern": "/w/x", "permission": "read", "priority": 1},
    {"pattern": "/w/*/y", "permission": "view", "priority": 2},
    {"pattern": "/w/[a-z]/y", "permission": "write", "priority": 2}]}}));
  if (!p)
    return;
  /* no rule: default */
  CHECK_INT(sbx_policy_permission(p, "/etc/hosts", &rule), SBX_PERM_READ);
  CHECK_INT(rule, -1);
  /* a directory rule covers below; more literal segments win */
  CHECK_INT(sbx_policy_permission(p, "/w/src/a.c", &rule), SBX_PERM_WRITE);
  CHECK_INT(rule, 0);
  CHECK_INT(sbx_policy_permission(p, "/w/docs/a.txt", &rule), SBX_PERM_VIEW);
  CHECK_INT(rule, 1);
  /* priority wins over specificity */
  CHECK_INT(sbx_policy_permission(p, "/w/docs/a.md", &rule), SBX_PERM_NONE);
  CHECK_INT(rule, 2);
  /* equal priority: more literal segments */
  CHECK_INT(sbx_policy_permission(p, "/w/README.md", &rule), SBX_PERM_WRITE);
  CHECK_INT(rule, 3);
  /* full tie: the most restrictive */
  CHECK_INT(sbx_policy_permission(p, "/w/x/f", &rule), SBX_PERM_VIEW);
  CHECK_INT(rule, 5);
  /* equal literals: fewer wildcards ([a-z] and * count the same: tie ->
   * restrictive) */
  CHECK_INT(sbx_policy_permission(p, "/w/b/y", &rule), SBX_PERM_VIEW);
  CHECK_INT(rule, 7);
  /* the root */
  CHECK_INT(sbx_policy_permission(p, "/", &rule), SBX_PERM_READ);
}

static void test_none_hides_subtree(void)
{
  int rule;
  struct sbx_policy_decision d;
  cleanup_policy struct sbx_policy *p = doc_ok(JSON({"filesystem": {"default": "write", "rules": [
    {"pattern": "/data/secret", "permission": "none", "priority": 10},
    {"pattern": "/data/secret/public", "permission": "read", "priority": 1000},
    {"pattern": "/data", "permission": "read"},
    {"pattern": "**/.git/**", "permission": "none", "priority": 50},
    {"pattern": "/repo/.git/hooks", "permission": "write", "priority": 90},
    {"pattern": "/opt", "permission": "none"},
    {"pattern": "/opt/tool", "permission": "read", "priority": 5},
    {"pattern": "/opt/tool/**", "permission": "read"},
    {"pattern": "/srv/*/pub", "permission": "read"},
    {"pattern": "/srv/a", "permission": "none", "priority": 3}]}}));
  if (!p)
    return;
  CHECK_INT(sbx_policy_permission(p, "/data/secret", &rule), SBX_PERM_NONE);
  CHECK_INT(rule, 0);
  /* the higher-priority child rule cannot re-expose */
  sbx_policy_decide(p, "/data/secret/public/x", &d);
  CHECK_INT(d.permission, SBX_PERM_NONE);
  CHECK_INT(d.rule, 0);
  CHECK(d.hidden);
  CHECK_STR(d.hidden_at, "/data/secret");
  sbx_policy_decision_clear(&d);
  CHECK_INT(sbx_policy_permission(p, "/data/other", NULL), SBX_PERM_READ);
  CHECK_INT(sbx_policy_permission(p, "/repo/.git/hooks/pre-commit", &rule), SBX_PERM_NONE);
  CHECK_INT(rule, 3);
  /* /opt is none at /opt itself: /opt/tool (priority 5) cannot re-expose */
  CHECK_INT(sbx_policy_permission(p, "/opt", NULL), SBX_PERM_NONE);
  CHECK_INT(sbx_policy_permission(p, "/opt/tool/bin/x", &rule), SBX_PERM_NONE);
  CHECK_INT(rule, 5);
  CHECK_INT(sbx_policy_permission(p, "/opt/other", NULL), SBX_PERM_NONE);
  CHECK_INT(sbx_policy_permission(p, "/srv/b/pub", NULL), SBX_PERM_READ);
  CHECK_INT(sbx_policy_permission(p, "/srv/a/pub", NULL), SBX_PERM_NONE);
  /* a default of none does not hide: rules below still apply */
  cleanup_policy struct sbx_policy *q = doc_ok(JSON({"filesystem": {"default": "none", "rules": [
    {"pattern": "/usr/lib", "permission": "read"}]}}));
  if (q) {
    CHECK_INT(sbx_policy_permission(q, "/usr", NULL), SBX_PERM_NONE);
    CHECK_INT(sbx_policy_permission(q, "/usr/lib/x.so", NULL), SBX_PERM_READ);
  }
  /* ** matches the root, which is never hidden, but it still decides */
  cleanup_policy struct sbx_policy *r = doc_ok(JSON({"filesystem": {"rules": [
    {"pattern": "**", "permission": "none"},
    {"pattern": "/usr", "permission": "read", "priority": 1}]}}));
  if (r) {
    CHECK_INT(sbx_policy_permission(r, "/", NULL), SBX_PERM_NONE);
    CHECK_INT(sbx_policy_permission(r, "/usr/bin", NULL), SBX_PERM_READ);
    CHECK_INT(sbx_policy_permission(r, "/etc/x", NULL), SBX_PERM_NONE);
  }

  /* the unreachable-rule check */
  struct sbx_diags w = { 0 };
  sbx_policy_lint(p, &w);
  cleanup_free char *doc = sbx_strdup_printf("%s/doc.json", tmpdir);
  if (CHECK_INT(w.len, 4)) {
    cleanup_free char *w0 = sbx_strdup_printf(
      "%s: filesystem.rules[1] `/data/secret/public` (read) is unreachable: `/data/secret` is hidden by %s: filesystem.rules[0] `/data/secret` (none)",
      doc, doc);
    cleanup_free char *w1 = sbx_strdup_printf(
      "%s: filesystem.rules[4] `/repo/.git/hooks` (write) is unreachable: `/repo/.git` is hidden by %s: filesystem.rules[3] `**/.git/**` (none)",
      doc, doc);
    CHECK_STR(w.items[0], w0);
    CHECK_STR(w.items[1], w1);
  } else {
    for (size_t i = 0; i < w.len; i++)
      fprintf(stderr, "  got: %s\n", w.items[i]);
  }
  sbx_diags_free(&w);
  /* the presets have no unreachable rules */
  size_t n;
  const struct sbx_policy_preset *ps = sbx_policy_presets(&n);
  for (size_t i = 0; i < n; i++) {
    cleanup_policy struct sbx_policy *pp = load_ok(ps[i].name);
    if (pp)
      sbx_policy_lint(pp, &w);
  }
  CHECK_INT(w.len, 0);
  sbx_diags_free(&w);
}

/* ---- the pattern matrix (issue 6) ----
 *
 * Every row says what docs/policy.md promises for one path: the permission,
 * the rule that decides it (its index in the policy's rules, -1 for
 * filesystem.default) and, for a subtree hidden by `none`, the ancestor
 * that hides it.  Both sbx_policy_decide and sbx_policy_permission are
 * checked, and a failing row names its policy, pattern and path and points
 * at the row's own line. */

/* A policy from a document, parsed as any file is; `what` names it when
 * the document is refused. */
static struct sbx_policy *pm_policy(const char *what, const char *json)
{
  struct sbx_policy *p = NULL;
  struct sbx_error err = { 0 };

  if (sbx_policy_parse(json, strlen(json), "matrix", &p, NULL, &err) < 0)
    unit_report(false, __FILE__, __LINE__, "%s: policy refused: %s", what, err.msg);
  sbx_error_clear(&err);
  return p;
}

static const char *pm_rule(const struct sbx_policy *p, int r)
{
  if (r < 0)
    return "filesystem.default";
  if ((size_t)r >= p->rules_len)
    return "(no such rule)";
  return p->rules[r].pattern;
}

/* One path against a policy: permission, deciding rule, hidden_at. */
static void pm_expect(int line, const char *what, const struct sbx_policy *p, const char *path,
                      enum sbx_perm perm, int rule, const char *hidden_at)
{
  struct sbx_policy_decision d;
  int prule = -2;
  enum sbx_perm pperm;

  sbx_policy_decide(p, path, &d);
  pperm = sbx_policy_permission(p, path, &prule);
  bool ok = d.permission == perm && d.rule == rule && d.hidden == (hidden_at != NULL) &&
            (hidden_at == NULL || (d.hidden_at && strcmp(d.hidden_at, hidden_at) == 0));
  unit_report(ok, __FILE__, line,
              "%s: %s: got %s by [%d] `%s`%s%s, want %s by [%d] `%s`%s%s", what, path,
              sbx_perm_name(d.permission), d.rule, pm_rule(p, d.rule),
              d.hidden ? ", hidden at " : "", d.hidden ? (d.hidden_at ? d.hidden_at : "(null)") : "",
              sbx_perm_name(perm), rule, pm_rule(p, rule),
              hidden_at ? ", hidden at " : "", hidden_at ? hidden_at : "");
  unit_report(pperm == d.permission && prule == d.rule, __FILE__, line,
              "%s: %s: sbx_policy_permission gives %s by [%d], sbx_policy_decide %s by [%d]", what,
              path, sbx_perm_name(pperm), prule, sbx_perm_name(d.permission), d.rule);
  sbx_policy_decision_clear(&d);
}

struct pm_row {
  int line;
  const char *path;
  enum sbx_perm perm;
  int rule;                  /* -1: filesystem.default */
  const char *hidden_at;     /* NULL: not hidden */
};
#define PM(path, perm, rule, hidden_at) { __LINE__, path, SBX_PERM_##perm, rule, hidden_at }
#define PM_CHECK(what, p, rows)                                               \
  do {                                                                        \
    for (size_t i_ = 0; (p) && i_ < sizeof(rows) / sizeof(rows)[0]; i_++)    \
      pm_expect((rows)[i_].line, what, p, (rows)[i_].path, (rows)[i_].perm,  \
                (rows)[i_].rule, (rows)[i_].hidden_at);                       \
    pm_rows += sizeof(rows) / sizeof(rows)[0];                                \
  } while (0)

static size_t pm_rows;  /* rows checked, for the record */

/* One pattern, one path: does it match the path itself, does it apply
 * (match the path or an ancestor), and where does a `none` rule of it
 * alone hide the path (NULL: not hidden)? */
struct pm_glob_row {
  int line;
  const char *pattern, *path;
  bool match, covers;
  const char *hidden_at;
};
#define PG(pattern, path, match, covers, hidden_at) { __LINE__, pattern, path, match, covers, hidden_at }

static const struct pm_glob_row pm_globs[] = {
  /* the preset's secrets pattern at depth 0, 1 and 3 (its ** may be empty,
   * so `secrets` itself matches) */
  PG("**/secrets/**", "/secrets", true, true, NULL),
  PG("**/secrets/**", "/secrets/x", true, true, "/secrets"),
  PG("**/secrets/**", "/a/secrets", true, true, NULL),
  PG("**/secrets/**", "/a/secrets/x", true, true, "/a/secrets"),
  PG("**/secrets/**", "/a/b/c/secrets", true, true, NULL),
  PG("**/secrets/**", "/a/b/c/secrets/x", true, true, "/a/b/c/secrets"),
  PG("**/secrets/**", "/a/b/c/secrets/x/y/z", true, true, "/a/b/c/secrets"),
  PG("**/secrets/**", "/a/secrets/b/secrets/c", true, true, "/a/secrets"),
  PG("**/secrets/**", "/a/b/c/secretsx", false, false, NULL),
  PG("**/secrets/**", "/secretsx/y", false, false, NULL),
  PG("**/secrets/**", "/a/b/c/my-secrets/x", false, false, NULL),
  PG("**/secrets/**", "/", false, false, NULL),
  /* unanchored: as if prefixed by **\/, at depth 0, 1 and 3 */
  PG("secrets", "/secrets", true, true, NULL),
  PG("secrets", "/a/secrets", true, true, NULL),
  PG("secrets", "/a/b/c/secrets", true, true, NULL),
  PG("secrets", "/secrets/x", false, true, "/secrets"),
  PG("secrets", "/a/b/c/secrets/x", false, true, "/a/b/c/secrets"),
  PG("secrets", "/secretsx", false, false, NULL),
  PG("secrets", "/a/secretsx/y", false, false, NULL),
  PG("secrets", "/a/b/c/my-secrets", false, false, NULL),
  PG("secrets", "/", false, false, NULL),
  PG("*.key", "/server.key", true, true, NULL),
  PG("*.key", "/a/server.key", true, true, NULL),
  PG("*.key", "/a/b/c/server.key", true, true, NULL),
  PG("*.key", "/a/b/c/.key", true, true, NULL),
  PG("*.key", "/a/b/c/server.key/x", false, true, "/a/b/c/server.key"),
  PG("*.key", "/a/b/c/server.keys", false, false, NULL),
  PG("*.key", "/a/b/c/server.key.bak", false, false, NULL),
  PG("*.key", "/a/b/c/serverkey", false, false, NULL),
  PG("*.key", "/a/key", false, false, NULL),
  PG("a/b", "/a/b", true, true, NULL),
  PG("a/b", "/x/a/b", true, true, NULL),
  PG("a/b", "/x/y/z/a/b", true, true, NULL),
  PG("a/b", "/a/a/b", true, true, NULL),
  PG("a/b", "/a/b/c", false, true, "/a/b"),
  PG("a/b", "/x/y/z/a/b/c/d", false, true, "/x/y/z/a/b"),
  PG("a/b", "/a", false, false, NULL),
  PG("a/b", "/b", false, false, NULL),
  PG("a/b", "/ab", false, false, NULL),
  PG("a/b", "/a/x/b", false, false, NULL),
  PG("a/b", "/x/a/bb", false, false, NULL),
  PG("a/b", "/xa/b", false, false, NULL),
  /* anchored */
  PG("/a/b", "/a/b", true, true, NULL),
  PG("/a/b", "/a/b/c", false, true, "/a/b"),
  PG("/a/b", "/a/b/c/d/e", false, true, "/a/b"),
  PG("/a/b", "/x/a/b", false, false, NULL),
  PG("/a/b", "/x/y/z/a/b", false, false, NULL),
  PG("/a/b", "/a", false, false, NULL),
  PG("/a/b", "/a/bc", false, false, NULL),
  PG("/a/b", "/", false, false, NULL),
  PG("/a/*/c", "/a/x/c", true, true, NULL),
  PG("/a/*/c", "/a/.h/c", true, true, NULL),
  PG("/a/*/c", "/a/x/c/d", false, true, "/a/x/c"),
  PG("/a/*/c", "/a/c", false, false, NULL),
  PG("/a/*/c", "/a/x/y/c", false, false, NULL),
  PG("/a/*/c", "/x/a/y/c", false, false, NULL),
  PG("/a/*/c", "/a/x/cc", false, false, NULL),
  PG("/a/*/c", "/a/x", false, false, NULL),
  PG("/a/**/z", "/a/z", true, true, NULL),
  PG("/a/**/z", "/a/b/z", true, true, NULL),
  PG("/a/**/z", "/a/b/c/d/z", true, true, NULL),
  PG("/a/**/z", "/a/z/q", false, true, "/a/z"),
  PG("/a/**/z", "/a/b/z/q/r", false, true, "/a/b/z"),
  PG("/a/**/z", "/a/z/y/z", true, true, "/a/z"),  /* matches, and under a match */
  PG("/a/**/z", "/a/zz", false, false, NULL),
  PG("/a/**/z", "/x/a/z", false, false, NULL),
  PG("/a/**/z", "/a", false, false, NULL),
  PG("/a/**/z", "/a/b", false, false, NULL),
  PG("/data/**", "/data", true, true, NULL),
  PG("/data/**", "/data/x", true, true, "/data"),
  PG("/data/**", "/datax", false, false, NULL),
  /* patterns that match the root: it is never hidden, its children are */
  PG("**", "/", true, true, NULL),
  PG("**", "/a", true, true, NULL),
  PG("**", "/a/b/c", true, true, "/a"),
  PG("/**", "/", true, true, NULL),
  PG("/**", "/a/b", true, true, "/a"),
};

static void test_pattern_matrix_globs(void)
{
  for (size_t i = 0; i < sizeof pm_globs / sizeof pm_globs[0]; i++) {
    const struct pm_glob_row *r = &pm_globs[i];
    static const char *const defaults[] = { "write", "write", "none" };
    static const char *const perms[] = { "read", "none", "read" };
    static const enum sbx_perm def_perm[] = { SBX_PERM_WRITE, SBX_PERM_WRITE, SBX_PERM_NONE };
    static const enum sbx_perm rule_perm[] = { SBX_PERM_READ, SBX_PERM_NONE, SBX_PERM_READ };
    struct sbx_glob g;
    const char *why = NULL;

    if (!unit_report(sbx_glob_compile(r->pattern, &g, &why), __FILE__, r->line,
                     "`%s`: does not compile: %s", r->pattern, why ? why : "?"))
      continue;
    unit_report(sbx_glob_match(&g, r->path) == r->match, __FILE__, r->line,
                "`%s` on %s: match is %d, want %d", r->pattern, r->path, !r->match, r->match);
    unit_report(sbx_glob_covers(&g, r->path) == r->covers, __FILE__, r->line,
                "`%s` on %s: covers is %d, want %d", r->pattern, r->path, !r->covers, r->covers);
    sbx_glob_free(&g);
    /* The pattern as the only rule: read over a default of write, none
     * over write (hides below what it matches), read over a default of
     * none (which hides nothing). */
    for (size_t k = 0; k < 3; k++) {
      cleanup_free char *json = sbx_strdup_printf(
        "{\"filesystem\": {\"default\": \"%s\", \"rules\": [{\"pattern\": \"%s\", \"permission\": \"%s\"}]}}",
        defaults[k], r->pattern, perms[k]);
      cleanup_free char *what = sbx_strdup_printf("`%s` %s (default %s)", r->pattern, perms[k],
                                                  defaults[k]);
      cleanup_policy struct sbx_policy *p = pm_policy(what, json);
      if (p)
        pm_expect(r->line, what, p, r->path, r->covers ? rule_perm[k] : def_perm[k],
                  r->covers ? 0 : -1, rule_perm[k] == SBX_PERM_NONE ? r->hidden_at : NULL);
    }
    pm_rows++;
  }
}

static void test_pattern_matrix_resolution(void)
{
  /* 1. the highest priority wins, however unspecific; then specificity */
  cleanup_policy struct sbx_policy *prio = pm_policy("priority", JSON({"filesystem": {"default": "write", "rules": [
    {"pattern": "/p/**", "permission": "read", "priority": 10},
    {"pattern": "/p/a/b/c", "permission": "write", "priority": 9},
    {"pattern": "/p/x", "permission": "none", "priority": -1},
    {"pattern": "/q/*.md", "permission": "write", "priority": 1},
    {"pattern": "/q/README.md", "permission": "none"},
    {"pattern": "/r/deep/er", "permission": "read", "priority": -3},
    {"pattern": "/o", "permission": "read", "priority": 5},
    {"pattern": "/o/p", "permission": "none"},
    {"pattern": "**/*.log", "permission": "view", "priority": 2},
    {"pattern": "/q/logs/app.log", "permission": "write", "priority": 1}]}}));
  static const struct pm_row prio_rows[] = {
    PM("/p", READ, 0, NULL),                 /* the trailing ** may be empty */
    PM("/p/a/b/c", READ, 0, NULL),           /* 10 beats 9 with more literal segments */
    PM("/p/a/b/c/d", READ, 0, NULL),
    PM("/p/x", READ, 0, NULL),               /* the none rule loses: nothing hidden */
    PM("/p/x/y", READ, 0, NULL),
    PM("/q/README.md", WRITE, 3, NULL),      /* 1 beats 0, more literal and more restrictive */
    PM("/q/other.md", WRITE, 3, NULL),
    PM("/q/README.txt", WRITE, -1, NULL),
    PM("/r/deep/er/f", READ, 5, NULL),       /* a negative priority still beats the default */
    PM("/r/deep", WRITE, -1, NULL),
    PM("/o/p", READ, 6, NULL),               /* an ancestor's rule of a higher priority */
    PM("/o/p/q", READ, 6, NULL),
    PM("/q/logs/app.log", VIEW, 8, NULL),    /* unanchored, priority 2 beats anchored 1 */
    PM("/x/y/z/app.log", VIEW, 8, NULL),
  };
  PM_CHECK("priority", prio, prio_rows);

  /* 2. equal priority: more literal segments, then fewer wildcards (*, ?,
   * [...] and ** one each, a**b is one *, an unanchored pattern one more) */
  cleanup_policy struct sbx_policy *spec = pm_policy("specificity", JSON({"filesystem": {"default": "write", "rules": [
    {"pattern": "/l/*", "permission": "view"},
    {"pattern": "/l/a*/b*/c/d", "permission": "write"},
    {"pattern": "/l/ab", "permission": "read"},
    {"pattern": "/f/a*/x", "permission": "write"},
    {"pattern": "/f/a*b*/x", "permission": "view"},
    {"pattern": "/g/**/x", "permission": "write"},
    {"pattern": "/g/*/*/x", "permission": "view"},
    {"pattern": "/g/*/x", "permission": "read"},
    {"pattern": "/h/??", "permission": "view"},
    {"pattern": "/h/*", "permission": "write"},
    {"pattern": "/h/a**b", "permission": "view"},
    {"pattern": "k", "permission": "view"},
    {"pattern": "/k", "permission": "write"},
    {"pattern": "u/w", "permission": "write"},
    {"pattern": "/t/u/*", "permission": "read"},
    {"pattern": "m/y", "permission": "write"},
    {"pattern": "/*/*/m/y", "permission": "view"}]}}));
  static const struct pm_row spec_rows[] = {
    PM("/l/zz", VIEW, 0, NULL),
    PM("/l/ab", READ, 2, NULL),              /* 2 literal segments beat 1 */
    PM("/l/ab/x", READ, 2, NULL),
    PM("/l/ab/bb/c", READ, 2, NULL),
    PM("/l/ab/bb/c/d", WRITE, 1, NULL),      /* 3 literal beat 2, despite 2 wildcards */
    PM("/l/ab/bb/c/d/e", WRITE, 1, NULL),
    PM("/f/aXb/x", WRITE, 3, NULL),          /* 1 wildcard beats 2, though less restrictive */
    PM("/f/ac/x", WRITE, 3, NULL),
    PM("/g/x", WRITE, 5, NULL),              /* ** as zero segments */
    PM("/g/m/x", READ, 7, NULL),             /* ** and * count the same: tie, restrictive */
    PM("/g/m/n/x", WRITE, 5, NULL),          /* one ** beats two * */
    PM("/h/xy", WRITE, 9, NULL),             /* ?? is two wildcards, * one */
    PM("/h/axb", VIEW, 10, NULL),            /* a**b is one wildcard: tie with *, restrictive */
    PM("/h/q", WRITE, 9, NULL),
    PM("/k", WRITE, 12, NULL),               /* `k` counts one wildcard, `/k` none */
    PM("/z/k", VIEW, 11, NULL),
    PM("/z/k/f", VIEW, 11, NULL),
    PM("/t/u/w", READ, 14, NULL),            /* `u/w`, rule 14: 2 literal, 1 wildcard each */
    PM("/x/u/w", WRITE, 13, NULL),
    PM("/a/b/m/y", WRITE, 15, NULL),         /* `m/y` has one wildcard, rule 16 two */
  };
  PM_CHECK("specificity", spec, spec_rows);

  /* 3. full ties: the most restrictive, wherever it is in the list */
  cleanup_policy struct sbx_policy *tie = pm_policy("full tie", JSON({"filesystem": {"default": "write", "rules": [
    {"pattern": "/t/*/x", "permission": "write"},
    {"pattern": "/t/a/*", "permission": "read"},
    {"pattern": "/t/?/x", "permission": "view"},
    {"pattern": "/t/[ab]/x", "permission": "none"},
    {"pattern": "/u/x", "permission": "read"},
    {"pattern": "/u/x", "permission": "write"},
    {"pattern": "/u/x", "permission": "view"},
    {"pattern": "sec", "permission": "write"},
    {"pattern": "/*/sec", "permission": "read"}]}}));
  static const struct pm_row tie_rows[] = {
    PM("/t/a/x", NONE, 3, NULL),
    PM("/t/a/x/f", NONE, 3, "/t/a/x"),
    PM("/t/b/x", NONE, 3, NULL),
    PM("/t/c/x", VIEW, 2, NULL),
    PM("/t/cc/x", WRITE, 0, NULL),
    PM("/t/a/y", READ, 1, NULL),
    PM("/u/x", VIEW, 6, NULL),
    PM("/u/x/f", VIEW, 6, NULL),
    PM("/w/sec", READ, 8, NULL),             /* unanchored `sec` ties with rule 8 */
    PM("/sec", WRITE, 7, NULL),
    PM("/a/b/sec", WRITE, 7, NULL),
  };
  PM_CHECK("full tie", tie, tie_rows);

  /* 4. a `none` ancestor hides its subtree, even from higher priorities */
  cleanup_policy struct sbx_policy *hid = pm_policy("hidden", JSON({"filesystem": {"default": "write", "rules": [
    {"pattern": "/s", "permission": "none"},
    {"pattern": "/s/t", "permission": "write", "priority": 1},
    {"pattern": "**/secrets/**", "permission": "none", "priority": 100},
    {"pattern": "/w/secrets/public", "permission": "read", "priority": 1000},
    {"pattern": "/h1/a", "permission": "none"},
    {"pattern": "/h1/a/b/c/d", "permission": "write", "priority": 500},
    {"pattern": "/d1", "permission": "none"},
    {"pattern": "/d1/d2", "permission": "none", "priority": 5},
    {"pattern": "/n", "permission": "none"},
    {"pattern": "/n", "permission": "read", "priority": 5},
    {"pattern": "/e", "permission": "view"},
    {"pattern": "/e/f", "permission": "write"}]}}));
  static const struct pm_row hid_rows[] = {
    PM("/s", NONE, 0, NULL),
    PM("/s/t", NONE, 0, "/s"),
    PM("/s/t/u", NONE, 0, "/s"),
    PM("/w/secrets", NONE, 2, NULL),
    PM("/w/secrets/public", NONE, 2, "/w/secrets"),
    PM("/w/secrets/public/f", NONE, 2, "/w/secrets"),
    PM("/w/other", WRITE, -1, NULL),
    PM("/h1/a/b/c/d", NONE, 4, "/h1/a"),
    PM("/h1/a/b/c/d/e", NONE, 4, "/h1/a"),
    PM("/h1/b", WRITE, -1, NULL),
    PM("/d1/d2", NONE, 6, "/d1"),            /* the shallowest none ancestor */
    PM("/d1/d2/x", NONE, 6, "/d1"),
    PM("/n", READ, 9, NULL),                 /* a none rule that loses hides nothing */
    PM("/n/x", READ, 9, NULL),
    PM("/e/g", VIEW, 10, NULL),              /* only none hides */
    PM("/e/f/g", WRITE, 11, NULL),
    PM("/x/../s/t", NONE, 0, "/s"),          /* lexical normalisation */
    PM("/w/secrets/../x", WRITE, -1, NULL),
  };
  PM_CHECK("hidden", hid, hid_rows);

  /* 5. a default of none hides nothing */
  cleanup_policy struct sbx_policy *dnone = pm_policy("default none", JSON({"filesystem": {"default": "none", "rules": [
    {"pattern": "/usr/lib", "permission": "read"},
    {"pattern": "/a/**/z", "permission": "write"},
    {"pattern": "**/secrets/**", "permission": "none", "priority": 100}]}}));
  static const struct pm_row dnone_rows[] = {
    PM("/", NONE, -1, NULL),
    PM("/usr", NONE, -1, NULL),
    PM("/usr/lib", READ, 0, NULL),
    PM("/usr/lib/x.so", READ, 0, NULL),
    PM("/usr/lib/a/b/c", READ, 0, NULL),
    PM("/usr/lib/secrets/k", NONE, 2, "/usr/lib/secrets"),
    PM("/usr/bin/x", NONE, -1, NULL),
    PM("/a", NONE, -1, NULL),
    PM("/a/b", NONE, -1, NULL),
    PM("/a/b/z", WRITE, 1, NULL),
    PM("/a/b/c/z/f", WRITE, 1, NULL),
  };
  PM_CHECK("default none", dnone, dnone_rows);

  /* 6. the root is never hidden; a rule matching / decides it */
  cleanup_policy struct sbx_policy *root = pm_policy("root", JSON({"filesystem": {"default": "write", "rules": [
    {"pattern": "**", "permission": "none"},
    {"pattern": "/usr", "permission": "read", "priority": 1}]}}));
  static const struct pm_row root_rows[] = {
    PM("/", NONE, 0, NULL),
    PM("//", NONE, 0, NULL),
    PM("/a/..", NONE, 0, NULL),
    PM("/usr", READ, 1, NULL),               /* / is none, yet nothing under it is hidden by it */
    PM("/usr/bin/x", READ, 1, NULL),
    PM("/etc", NONE, 0, NULL),
    PM("/etc/x", NONE, 0, "/etc"),           /* /etc itself is none by `**` */
  };
  PM_CHECK("root", root, root_rows);

  cleanup_policy struct sbx_policy *root2 = pm_policy("root as a default", JSON({"filesystem": {"default": "write", "rules": [
    {"pattern": "/**", "permission": "view", "priority": -10},
    {"pattern": "/x", "permission": "write"},
    {"pattern": "/y", "permission": "none", "priority": -20}]}}));
  static const struct pm_row root2_rows[] = {
    PM("/", VIEW, 0, NULL),
    PM("/a/b", VIEW, 0, NULL),
    PM("/x/y", WRITE, 1, NULL),
    PM("/y", VIEW, 0, NULL),
    PM("/y/z", VIEW, 0, NULL),
  };
  PM_CHECK("root as a default", root2, root2_rows);
}

/* The workspace under agent-safe: rules are named by pattern. */
static void test_pattern_matrix_preset(void)
{
  static const struct {
    int line;
    const char *path;
    enum sbx_perm perm;
    const char *pattern;     /* NULL: filesystem.default */
    const char *hidden_at;
  } rows[] = {
#define PP(path, perm, pattern, hidden_at) { __LINE__, path, SBX_PERM_##perm, pattern, hidden_at }
    PP("/", READ, NULL, NULL),
    PP("/workspace/.env", NONE, "**/.env*", NULL),
    PP("/workspace/secrets", NONE, "**/secrets/**", NULL),
    PP("/workspace/secrets/db.txt", NONE, "**/secrets/**", "/workspace/secrets"),
    PP("/workspace/a/b/c/secrets/db.txt", NONE, "**/secrets/**", "/workspace/a/b/c/secrets"),
    PP("/secrets/db.txt", NONE, "**/secrets/**", "/secrets"),
    PP("/workspace/keys/server.key", NONE, "**/*.key", NULL),
    PP("/workspace/src/app.py", READ, NULL, NULL),
    PP("/workspace/output", WRITE, "/workspace/output", NULL),
    PP("/workspace/output/result.txt", WRITE, "/workspace/output", NULL),
    PP("/workspace/output/.env", NONE, "**/.env*", NULL),
    PP("/workspace/output/secrets/x", NONE, "**/secrets/**", "/workspace/output/secrets"),
    PP("/home/u/.ssh/known_hosts", NONE, "**/.ssh/**", "/home/u/.ssh"),
    PP("/tmp/x", WRITE, "/tmp", NULL),
#undef PP
  };
  cleanup_policy struct sbx_policy *p = load_ok("agent-safe");
  if (!p)
    return;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    int rule = -1;
    for (size_t r = 0; rows[i].pattern && r < p->rules_len; r++)
      if (strcmp(p->rules[r].pattern, rows[i].pattern) == 0)
        rule = (int)r;
    if (!unit_report(rows[i].pattern == NULL || rule >= 0, __FILE__, rows[i].line,
                     "agent-safe has no rule `%s`", rows[i].pattern))
      continue;
    pm_expect(rows[i].line, "agent-safe", p, rows[i].path, rows[i].perm, rule, rows[i].hidden_at);
    pm_rows++;
  }
}

/* ---- env ---- */

static void check_env(const struct sbx_policy *p, char *const *in, size_t n, const char *want)
{
  struct sbx_error err = { 0 };
  size_t len = 0;
  char **out = sbx_policy_env_filter(p, in, n, &len, &err);
  char buf[1024] = "";

  if (!CHECK(out != NULL))
    return;
  for (size_t i = 0; i < len; i++)
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", out[i]);
  CHECK(out[len] == NULL);
  CHECK_STR(buf, want);
  sbx_strv_free(out);
}

static void test_env(void)
{
  char *env[] = { "PATH=/bin", "HOME=/root", "AWS_ACCESS_KEY_ID=x", "GITHUB_TOKEN=t",
                  "DB_PASSWORD=p", "API_KEY=k", "TERM=xterm", "LANG=C", "EDITOR=vi",
                  "HOME=/again", "NOVALUE" };
  size_t n = sizeof env / sizeof env[0];

  cleanup_policy struct sbx_policy *all = parse_ok(JSON({"env": {"inherit": "all",
    "allow": ["PATH"], "deny": ["AWS_*", "*_KEY", "*_SECRET", "*_TOKEN", "*PASSWORD*"],
    "set": {"HOME": "/tmp", "NEW": "1"}}}));
  if (all)
    check_env(all, env, n, "PATH=/bin HOME=/tmp TERM=xterm LANG=C EDITOR=vi NOVALUE NEW=1");
  cleanup_policy struct sbx_policy *none = parse_ok(JSON({"env": {"inherit": "none",
    "allow": ["PATH", "HOME", "LANG", "TERM", "API_*"], "deny": ["*_KEY"]}}));
  if (none)
    check_env(none, env, n, "PATH=/bin HOME=/root TERM=xterm LANG=C HOME=/again");
  cleanup_policy struct sbx_policy *setdeny = parse_ok(JSON({"env": {"deny": ["*_TOKEN"],
    "set": {"GITHUB_TOKEN": "fake"}}}));
  if (setdeny) {
    check_env(setdeny, env, 4, "PATH=/bin HOME=/root AWS_ACCESS_KEY_ID=x GITHUB_TOKEN=fake");
    CHECK(sbx_policy_env_denied(setdeny, "GITHUB_TOKEN"));
    CHECK(!sbx_policy_env_denied(setdeny, "TOKEN"));
  }
  cleanup_policy struct sbx_policy *pt = load_ok("none");
  if (pt)
    check_env(pt, env, 3, "PATH=/bin HOME=/root AWS_ACCESS_KEY_ID=x");
  cleanup_policy struct sbx_policy *safe = load_ok("agent-safe");
  if (safe)
    check_env(safe, env, n, "PATH=/bin HOME=/root TERM=xterm LANG=C EDITOR=vi HOME=/again NOVALUE");
  if (all)
    check_env(all, NULL, 0, "HOME=/tmp NEW=1");

  /* deny globs ignore case; allow globs and set names keep it */
  char *mixed[] = { "aws_secret=x", "Github_Token=t", "db_password=p", "Api_Key=k", "path=/x",
                    "PATH=/bin", "home=/h" };
  size_t nm = sizeof mixed / sizeof mixed[0];
  if (safe) {
    check_env(safe, mixed, nm, "path=/x PATH=/bin home=/h");
    CHECK(sbx_policy_env_denied(safe, "aws_secret"));
    CHECK(sbx_policy_env_denied(safe, "my_credentials"));
    CHECK(!sbx_policy_env_denied(safe, "awsome"));
  }
  if (none)
    check_env(none, mixed, nm, "PATH=/bin");
  if (all)
    check_env(all, mixed, nm, "path=/x PATH=/bin home=/h HOME=/tmp NEW=1");
  cleanup_policy struct sbx_policy *cls = parse_ok(JSON({"env": {"deny": ["[A-C]X_*", "[!a-z]Y"]}}));
  if (cls) {
    CHECK(sbx_policy_env_denied(cls, "bx_1"));
    CHECK(sbx_policy_env_denied(cls, "BX_1"));
    CHECK(!sbx_policy_env_denied(cls, "dx_1"));
    CHECK(sbx_policy_env_denied(cls, "1Y"));
  }
  CHECK(sbx_glob_match_segment_nocase("AWS_*", "aws_key"));
  CHECK(!sbx_glob_match_segment("AWS_*", "aws_key"));
  CHECK(sbx_glob_match_segment_nocase("*pass[Ww]ord*", "DB_PASSWORD"));
  /* a tighten cannot set a denied name in another case either */
  REFUSED("agent-safe", JSON({"env": {"set": {"github_token": "x"}}}),
          "agentsbx.policy.tighten: env.set.github_token: the base policy denies github_token");
}

/* ---- canonical JSON and digest ---- */

static void test_canonical_digest(void)
{
  struct sbx_error err = { 0 };
  size_t n;
  const struct sbx_policy_preset *ps = sbx_policy_presets(&n);

  for (size_t i = 0; i < n; i++) {
    cleanup_policy struct sbx_policy *p = load_ok(ps[i].name);
    if (!p)
      continue;
    cleanup_free char *j1 = sbx_policy_to_json(p, false, &err);
    cleanup_free char *pretty = sbx_policy_to_json(p, true, &err);
    cleanup_free char *d1 = sbx_policy_digest(p, &err);
    cleanup_free char *d2 = sbx_policy_digest(p, &err);
    CHECK(j1 && pretty && d1 && d2);
    if (!j1 || !d1 || !d2)
      continue;
    CHECK_STR(d1, d2);
    CHECK_INT(strlen(d1), 71);
    CHECK(strncmp(d1, "sha256:", 7) == 0);
    /* the canonical JSON parses back into the same policy */
    struct sbx_policy *q = NULL;
    if (!CHECK(sbx_policy_parse_internal(j1, strlen(j1), "canonical", true, &q, NULL, &err) == 0)) {
      fprintf(stderr, "  %s: %s\n", ps[i].name, err.msg);
      continue;
    }
    cleanup_free char *j2 = sbx_policy_to_json(q, false, &err);
    CHECK_STR(j2, j1);
    sbx_policy_free(q);
  }
  cleanup_policy struct sbx_policy *a = load_ok("agent-safe");
  cleanup_policy struct sbx_policy *b = doc_ok(JSON({"extends": "agent-safe", "name": "agent-safe"}));
  cleanup_policy struct sbx_policy *c = doc_ok(JSON({"extends": "agent-safe", "name": "agent-safe",
                                                     "limits": {"pids": 255}}));
  if (a && b && c) {
    cleanup_free char *da = sbx_policy_digest(a, &err);
    cleanup_free char *db = sbx_policy_digest(b, &err);
    cleanup_free char *dc = sbx_policy_digest(c, &err);
    CHECK_STR(da, db);  /* provenance is not part of the digest */
    CHECK(da && dc && strcmp(da, dc) != 0);
  }
  cleanup_policy struct sbx_policy *e = doc_ok(JSON({"limits": {"memory": 1536000000,
    "cpus": 0.1, "fileSize": "1536K", "timeout": 90, "lifetime": "120m"}}));
  if (e) {
    cleanup_free char *j = sbx_policy_to_json(e, false, &err);
    CHECK(j && strstr(j, "\"limits\":{\"memory\":\"1500000K\",\"cpus\":0.1,\"pids\":null,"
                         "\"openFiles\":null,\"fileSize\":\"1536K\",\"timeout\":\"90s\",\"lifetime\":\"2h\","
                         "\"scratch\":null}"));
    if (j && !strstr(j, "\"cpus\":0.1"))
      fprintf(stderr, "  %s\n", j);
  }
  /* a known digest: changes here change every recorded digest */
  cleanup_policy struct sbx_policy *m = parse_ok("{}");
  if (m) {
    cleanup_free char *j = sbx_policy_to_json(m, false, &err);
    CHECK_STR(j, "{\"version\":1,\"name\":null,\"annotations\":true,\"selectable\":[],"
                 "\"filesystem\":{\"default\":\"write\",\"enforcement\":\"strict\",\"rules\":[]},"
                 "\"exec\":{\"allow\":null},\"network\":{\"mode\":\"unrestricted\",\"allow\":[],"
                 "\"deny\":[],\"blockedPorts\":[],\"blockPrivate\":true,\"maxConnections\":null,"
                 "\"dns\":{\"upstream\":[]}},"
                 "\"capabilities\":{\"allow\":[]},\"noNewPrivileges\":false,\"seccomp\":\"config\","
                 "\"env\":{\"inherit\":\"all\",\"allow\":[],\"deny\":[],\"set\":{}},"
                 "\"limits\":{\"memory\":null,\"cpus\":null,\"pids\":null,\"openFiles\":null,"
                 "\"fileSize\":null,\"timeout\":null,\"lifetime\":null,\"scratch\":null},"
                 "\"audit\":{\"path\":null,\"commands\":false,\"maxBytes\":\"64M\"}}");
  }
  sbx_error_clear(&err);
}

/* ---- filesystem.enforcement ---- */

static void test_fs_enforcement(void)
{
  struct sbx_error err = { 0 };
  struct sbx_policy *t;

  /* parse: default strict, both values, the present bit */
  cleanup_policy struct sbx_policy *d0 = parse_ok("{}");
  if (d0)
    CHECK(!d0->fs_best_effort && !(d0->present & SBX_PK_FS_ENFORCEMENT));
  cleanup_policy struct sbx_policy *d1 = parse_ok(JSON({"filesystem": {"enforcement": "best-effort"}}));
  if (d1)
    CHECK(d1->fs_best_effort && (d1->present & SBX_PK_FS_ENFORCEMENT));
  cleanup_policy struct sbx_policy *d2 = parse_ok(JSON({"filesystem": {"enforcement": "strict"}}));
  if (d2)
    CHECK(!d2->fs_best_effort && (d2->present & SBX_PK_FS_ENFORCEMENT));
  /* bad value, bad type, duplicate, and among other errors of the section */
  ERRS(JSON({"filesystem": {"enforcement": "x"}}),
       "f.json: filesystem.enforcement: unknown enforcement `x` (strict or best-effort)");
  ERRS(JSON({"filesystem": {"enforcement": "Strict"}}),
       "f.json: filesystem.enforcement: unknown enforcement `Strict` (strict or best-effort)");
  ERRS(JSON({"filesystem": {"enforcement": true}}),
       "f.json: filesystem.enforcement: expected a string, got a boolean");
  ERRS(JSON({"filesystem": {"enforcement": null}}),
       "f.json: filesystem.enforcement: expected a string, got null");
  ERRS(JSON({"filesystem": {"enforcement": "strict", "enforcement": "strict"}}),
       "f.json: filesystem.enforcement: duplicate key");
  ERRS(JSON({"filesystem": {"default": "rw", "enforcement": 1}}),
       "f.json: filesystem.default: unknown permission `rw` (none, view, read or write)",
       "f.json: filesystem.enforcement: expected a string, got a number");

  /* presets keep the default */
  size_t n;
  const struct sbx_policy_preset *ps = sbx_policy_presets(&n);
  for (size_t i = 0; i < n; i++) {
    cleanup_policy struct sbx_policy *p = load_ok(ps[i].name);
    if (p && !CHECK(!p->fs_best_effort))
      fprintf(stderr, "  preset %s is best-effort\n", ps[i].name);
  }

  /* extends: replaced when the child sets it, inherited otherwise */
  write_text("policies/be.json", JSON({"extends": "agent-safe", "filesystem": {"enforcement": "best-effort"}}));
  write_text("policies/be-child.json", JSON({"extends": "be", "filesystem": {"default": "view"}}));
  write_text("policies/be-strict.json", JSON({"extends": "be", "filesystem": {"enforcement": "strict"}}));
  cleanup_policy struct sbx_policy *be = load_ok("be");
  cleanup_policy struct sbx_policy *be_child = load_ok("be-child");
  cleanup_policy struct sbx_policy *be_strict = load_ok("be-strict");
  if (be) {
    CHECK(be->fs_best_effort);
    CHECK_INT(be->fs_default, SBX_PERM_READ);  /* the rest is agent-safe's */
    CHECK_INT(be->rules_len, 29);
  }
  if (be_child)
    CHECK(be_child->fs_best_effort && be_child->fs_default == SBX_PERM_VIEW);
  if (be_strict)
    CHECK(!be_strict->fs_best_effort);

  /* dup copies it */
  if (be) {
    cleanup_policy struct sbx_policy *copy = sbx_policy_dup(be);
    CHECK(copy && copy->fs_best_effort);
  }

  /* tighten: only best-effort -> strict */
  t = tighten_ok("be", JSON({"filesystem": {"enforcement": "strict"}}));
  if (t) {
    CHECK(!t->fs_best_effort && t->tightened);
    sbx_policy_free(t);
  }
  t = tighten_ok("be", JSON({"filesystem": {"enforcement": "best-effort"}}));  /* unchanged */
  if (t) {
    CHECK(t->fs_best_effort);
    sbx_policy_free(t);
  }
  t = tighten_ok("be", JSON({"filesystem": {"default": "view"}}));  /* absent: kept */
  if (t) {
    CHECK(t->fs_best_effort);
    sbx_policy_free(t);
  }
  t = tighten_ok("agent-safe", JSON({"filesystem": {"enforcement": "strict"}}));
  if (t) {
    CHECK(!t->fs_best_effort);
    sbx_policy_free(t);
  }
  REFUSED("agent-safe", JSON({"filesystem": {"enforcement": "best-effort"}}),
          "agentsbx.policy.tighten: filesystem.enforcement: best-effort is looser than the base policy's strict");
  REFUSED("strict", JSON({"filesystem": {"enforcement": "best-effort", "default": "write"}}),
          "agentsbx.policy.tighten: filesystem.default: write is above the base policy's read",
          "agentsbx.policy.tighten: filesystem.enforcement: best-effort is looser than the base policy's strict");
  REFUSED("agent-safe", JSON({"filesystem": {"enforcement": "lax"}}),
          "agentsbx.policy.tighten: filesystem.enforcement: unknown enforcement `lax` (strict or best-effort)");

  /* canonical JSON: right after "default"; parses back; part of the digest */
  cleanup_policy struct sbx_policy *as = load_ok("agent-safe");
  if (be && as) {
    cleanup_free char *j1 = sbx_policy_to_json(be, false, &err);
    cleanup_free char *ja = sbx_policy_to_json(as, false, &err);
    CHECK(j1 && strstr(j1, "\"filesystem\":{\"default\":\"read\",\"enforcement\":\"best-effort\",\"rules\":["));
    CHECK(ja && strstr(ja, "\"filesystem\":{\"default\":\"read\",\"enforcement\":\"strict\",\"rules\":["));
    struct sbx_policy *q = NULL;
    if (j1 && CHECK(sbx_policy_parse(j1, strlen(j1), "canonical", &q, NULL, &err) == 0)) {
      CHECK(q->fs_best_effort && (q->present & SBX_PK_FS_ENFORCEMENT));
      cleanup_free char *j2 = sbx_policy_to_json(q, false, &err);
      CHECK_STR(j2, j1);
      sbx_policy_free(q);
    }
    cleanup_free char *pretty = sbx_policy_to_json(be, true, &err);
    CHECK(pretty && strstr(pretty, "\"enforcement\": \"best-effort\""));
    cleanup_free char *dbe = sbx_policy_digest(be, &err);
    cleanup_free char *das = sbx_policy_digest(as, &err);
    CHECK(dbe && das && strcmp(dbe, das) != 0);
  }

  /* the preset none ignores it: not in its canonical JSON */
  cleanup_policy struct sbx_policy *none = load_ok("none");
  if (none) {
    cleanup_free char *j = sbx_policy_to_json(none, false, &err);
    CHECK(j && !strstr(j, "enforcement"));
  }
  sbx_error_clear(&err);
}

/* ---- policy check ---- */

static void test_check_file(void)
{
  struct sbx_diags e = { 0 }, w = { 0 };
  cleanup_free char *path = sbx_strdup_printf("%s/check.json", tmpdir);

  write_text("check.json", JSON({"extends": "agent-safe", "filesystem": {"rules": [
    {"pattern": "/home/u/.ssh/config", "permission": "read"}]}}));
  CHECK_INT(sbx_policy_check_file(tmpdir, path, &e, &w), 0);
  CHECK_INT(e.len, 0);
  CHECK_INT(w.len, 1);
  sbx_diags_free(&e);
  sbx_diags_free(&w);
  write_text("check.json", JSON({"seccomp": "x", "limits": {"pids": "x"}}));
  CHECK_INT(sbx_policy_check_file(tmpdir, path, &e, &w), -1);
  CHECK_INT(e.len, 2);
  sbx_diags_free(&e);
  write_text("check.json", JSON({"extends": "nosuch"}));
  CHECK_INT(sbx_policy_check_file(tmpdir, path, &e, &w), -1);
  CHECK_INT(e.len, 1);
  sbx_diags_free(&e);
  sbx_diags_free(&w);
}

int main(void)
{
  struct sbx_error err = { 0 };

  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  cleanup_free char *pol = sbx_strdup_printf("%s/policies", tmpdir);
  mkdir(pol, 0755);

  RUN(test_sha256_vectors);
  RUN(test_sizes_durations);
  RUN(test_parse_errors);
  RUN(test_presets);
  RUN(test_extends);
  RUN(test_precedence);
  RUN(test_tighten);
  RUN(test_annotation_choice);
  RUN(test_selectable_scratch_keys);
  RUN(test_scratch_mounts);
  RUN(test_glob_matrix);
  RUN(test_resolution_ties);
  RUN(test_none_hides_subtree);
  RUN(test_pattern_matrix_globs);
  RUN(test_pattern_matrix_resolution);
  RUN(test_pattern_matrix_preset);
  RUN(test_env);
  RUN(test_canonical_digest);
  RUN(test_fs_enforcement);
  RUN(test_check_file);

  sbx_remove_tree(tmpdir, &err);
  sbx_error_clear(&err);
  return unit_finish("test-policy");
}
