/* test-fs-policy.c: the filesystem policy's planner: its incremental
 * matcher agrees with sbx_policy_decide (what `policy explain` prints) on
 * many paths and policies; the walk of a real directory tree gives the
 * overlays, binds and Landlock grants the design asks for; the Landlock
 * plan's text form round-trips. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_policy.h"
#include "fs_policy_mounts.h"
#include "landlock.h"
#include "policy.h"
#include "unit.h"
#include "utils.h"

static struct sbx_policy *load(const char *name_or_json)
{
  struct sbx_policy *p = NULL;
  struct sbx_error err = { 0 };

  if (name_or_json[0] == '{') {
    struct sbx_diags d = { 0 };
    if (sbx_policy_parse(name_or_json, strlen(name_or_json), "test", &p, &d, &err) < 0)
      fprintf(stderr, "parse: %s\n", err.msg ? err.msg : "?");
    sbx_diags_free(&d);
    if (p) {
      /* fill what the parser leaves to the resolver */
      if (!(p->present & SBX_PK_FS_DEFAULT))
        p->fs_default = SBX_PERM_WRITE;
    }
  } else if (sbx_policy_load("/nonexistent", name_or_json, &p, &err) < 0) {
    fprintf(stderr, "load %s: %s\n", name_or_json, err.msg ? err.msg : "?");
  }
  sbx_error_clear(&err);
  return p;
}

static const char *const vocab[] = {
  "workspace", ".env", ".env.local", "secrets", "a", "b", "x.key", "etc", "usr", "lib",
  "data", "output", "id_rsa.pub", ".ssh", "bin", "tmp", "src", "z", "[x]", "c d",
};

/* The matcher and sbx_policy_decide agree, path by path. */
static void check_agrees(const char *policy)
{
  struct sbx_policy *p = load(policy);
  struct sbx_fs_matcher *m = NULL;
  struct sbx_error err = { 0 };
  unsigned seed = 42;
  int mismatches = 0;

  if (!CHECK(p != NULL) || !CHECK(sbx_fs_matcher_new(p, &m, &err) == 0)) {
    sbx_policy_free(p);
    return;
  }
  for (int i = 0; i < 4000 && mismatches < 5; i++) {
    char path[512] = "";
    int depth = (int)(rand_r(&seed) % 6);
    struct sbx_policy_decision d;
    bool hidden;
    enum sbx_perm got;
    for (int k = 0; k < depth; k++) {
      strcat(path, "/");
      strcat(path, vocab[rand_r(&seed) % (sizeof vocab / sizeof vocab[0])]);
    }
    if (depth == 0)
      strcpy(path, "/");
    sbx_policy_decide(p, path, &d);
    got = sbx_fs_matcher_permission(m, path, &hidden);
    if (!unit_report(got == d.permission && hidden == d.hidden, __FILE__, __LINE__,
                     "%s: %s: matcher %s%s, decide %s%s", policy, path, sbx_perm_name(got),
                     hidden ? " (hidden)" : "", sbx_perm_name(d.permission),
                     d.hidden ? " (hidden)" : ""))
      mismatches++;
    sbx_policy_decision_clear(&d);
  }
  sbx_fs_matcher_free(m);
  sbx_policy_free(p);
}

static void test_matcher_agrees_with_decide(void)
{
  check_agrees("agent-safe");
  check_agrees("view-only");
  check_agrees("development");
  check_agrees("strict");
  check_agrees("{\"version\":1,\"filesystem\":{\"default\":\"none\",\"rules\":["
               "{\"pattern\":\"/usr/lib\",\"permission\":\"read\"},"
               "{\"pattern\":\"a/b\",\"permission\":\"view\",\"priority\":5},"
               "{\"pattern\":\"/a/**/z\",\"permission\":\"write\"},"
               "{\"pattern\":\"**\",\"permission\":\"view\",\"priority\":-1},"
               "{\"pattern\":\"*.key\",\"permission\":\"none\",\"priority\":3},"
               "{\"pattern\":\"/workspace/\\\\[x]\",\"permission\":\"write\",\"priority\":9}]}}");
  check_agrees("{\"version\":1,\"filesystem\":{\"default\":\"read\",\"rules\":["
               "{\"pattern\":\"**/secrets/**\",\"permission\":\"none\",\"priority\":100},"
               "{\"pattern\":\"/workspace/secrets/b\",\"permission\":\"read\",\"priority\":200},"
               "{\"pattern\":\"/**\",\"permission\":\"write\"},"
               "{\"pattern\":\"/etc\",\"permission\":\"view\"},"
               "{\"pattern\":\"c d\",\"permission\":\"none\"}]}}");
}

/* ---- a walk of a real tree ---- */

static char tmp[64];

static void mk(const char *rel, bool dir)
{
  char path[256];
  snprintf(path, sizeof path, "%s/%s", tmp, rel);
  if (dir)
    mkdir(path, 0755);
  else
    close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
}

static const struct sbx_fs_fixup *fixup(const struct sbx_fs_walk *w, const char *rel)
{
  for (size_t i = 0; i < w->n_fixups; i++)
    if (strcmp(w->fixups[i].rel, rel) == 0)
      return &w->fixups[i];
  return NULL;
}

static uint64_t granted(const struct sbx_fs_walk *w, const char *path)
{
  uint64_t a = 0;
  for (size_t i = 0; i < w->grants.len; i++)
    if (strcmp(w->grants.grants[i].path, path) == 0)
      a |= w->grants.grants[i].access;
  return a;
}

static bool has(char **v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp(v[i], s) == 0)
      return true;
  return false;
}

/* Free a walk test's state and its temporary tree. */
static void walk_done(struct sbx_fs_walk *w, struct sbx_fs_matcher *m, struct sbx_policy *p,
                      struct sbx_error *err)
{
  char cmd[128];

  sbx_fs_walk_release(w);
  if (w->root_fd > 0)
    close(w->root_fd);
  sbx_fs_matcher_free(m);
  sbx_policy_free(p);
  sbx_error_clear(err);
  if (tmp[0]) {
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0);
  }
}

static void test_walk_workspace(void)
{
  struct sbx_policy *p = load("{\"version\":1,\"extends\":\"agent-safe\"}");
  struct sbx_fs_matcher *m = NULL;
  struct sbx_error err = { 0 };
  struct sbx_fs_walk w = { 0 };
  const struct sbx_fs_fixup *f;
  const char *dirs[] = { "src", "output", "secrets", "keys", "a", "a/b", "a/b/secrets", "data" };
  const char *files[] = { ".env", "src/app.py", "secrets/db.txt", "keys/server.key",
                          "a/b/secrets/db.txt", "a/b/c.txt", "output/.env", "data/big" };

  sbx_policy_free(p);
  p = load("{\"version\":1,\"filesystem\":{\"default\":\"read\",\"rules\":["
           "{\"pattern\":\"/workspace/output\",\"permission\":\"write\"},"
           "{\"pattern\":\"/workspace/data\",\"permission\":\"view\"},"
           "{\"pattern\":\"**/.env*\",\"permission\":\"none\",\"priority\":100},"
           "{\"pattern\":\"**/secrets/**\",\"permission\":\"none\",\"priority\":100},"
           "{\"pattern\":\"**/*.key\",\"permission\":\"none\",\"priority\":100}]},"
           "\"exec\":{\"allow\":[\"/workspace/src/*.py\"]}}");
  strcpy(tmp, "/tmp/test-fs-policy.XXXXXX");
  if (!CHECK(p != NULL) || !CHECK(mkdtemp(tmp) != NULL) ||
      !CHECK(sbx_fs_matcher_new(p, &m, &err) == 0))
    goto out;
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    mk(dirs[i], true);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    mk(files[i], false);
  w = (struct sbx_fs_walk){ .matcher = m, .mount_path = "/workspace", .writable = true,
                            .root_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
  if (!CHECK(sbx_fs_walk_mount(&w, &err) == 0)) {
    fprintf(stderr, "walk: %s\n", err.msg);
    goto out;
  }
  CHECK(!w.hidden);
  CHECK(w.root_ro);
  CHECK(!w.all_read);  /* data is view */
  CHECK(w.has_view);
  /* hidden entries: an overlay on their directory, one whiteout each */
  f = fixup(&w, "");
  CHECK(f && f->kind == SBX_FIXUP_OVERLAY && has(f->whiteouts, ".env") &&
        has(f->whiteouts, "secrets") && !has(f->whiteouts, "src"));
  f = fixup(&w, "keys");
  CHECK(f && f->kind == SBX_FIXUP_OVERLAY && has(f->whiteouts, "server.key"));
  f = fixup(&w, "a/b");
  CHECK(f && f->kind == SBX_FIXUP_OVERLAY && has(f->whiteouts, "secrets") &&
        !has(f->whiteouts, "c.txt"));
  /* the overlay's directories are bound from the real tree (live) */
  f = fixup(&w, "a");
  CHECK(f && f->kind == SBX_FIXUP_BIND_RO);
  f = fixup(&w, "src");
  CHECK(f && f->kind == SBX_FIXUP_BIND_RO);
  CHECK(fixup(&w, "a/b/c.txt") == NULL);
  /* output is write in a read-only parent, and holds a hidden .env */
  f = fixup(&w, "output");
  CHECK(f && f->kind == SBX_FIXUP_OVERLAY && has(f->whiteouts, ".env"));
  /* READ_FILE: the readable siblings of the view directory, not data */
  CHECK(granted(&w, "/workspace/src") & SBX_LL_READ_FILE);
  CHECK(granted(&w, "/workspace/a") & SBX_LL_READ_FILE);
  CHECK(!(granted(&w, "/workspace/data") & SBX_LL_READ_FILE));
  CHECK(!(granted(&w, "/workspace") & SBX_LL_READ_FILE));
  /* the write rights: on the write subtree only */
  CHECK_U64(granted(&w, "/workspace/output") & ~SBX_LL_READ_FILE, SBX_LL_WRITE);
  CHECK(!(SBX_LL_WRITE & SBX_LL_MAKE_BLOCK));
  CHECK(!(granted(&w, "/workspace") & SBX_LL_WRITE_FILE));
  CHECK(!(granted(&w, "/workspace/src") & SBX_LL_WRITE_FILE));
  /* the exec allowlist found its file */
  CHECK(w.n_exec_files == 1 && has(w.exec_files, "/workspace/src/app.py"));
out:
  walk_done(&w, m, p, &err);
}

/* A write directory with a view entry is fixed: read-only, its write
 * children bound read-write. */
static void test_walk_fixed_write_dir(void)
{
  struct sbx_policy *p = load("{\"version\":1,\"filesystem\":{\"default\":\"write\",\"rules\":["
                              "{\"pattern\":\"/w/v\",\"permission\":\"view\"},"
                              "{\"pattern\":\"/w/r\",\"permission\":\"read\"}]}}");
  struct sbx_fs_matcher *m = NULL;
  struct sbx_error err = { 0 };
  struct sbx_fs_walk w = { 0 };
  const struct sbx_fs_fixup *f;

  strcpy(tmp, "/tmp/test-fs-policy.XXXXXX");
  if (!CHECK(p != NULL) || !CHECK(mkdtemp(tmp) != NULL) ||
      !CHECK(sbx_fs_matcher_new(p, &m, &err) == 0))
    goto out;
  mk("v", false);
  mk("r", false);
  mk("sub", true);
  mk("f", false);
  w = (struct sbx_fs_walk){ .matcher = m, .mount_path = "/w", .writable = true,
                            .root_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
  if (!CHECK(sbx_fs_walk_mount(&w, &err) == 0))
    goto out;
  CHECK(w.root_ro);  /* fixed: no entry created or removed at its top */
  f = fixup(&w, "sub");
  CHECK(f && f->kind == SBX_FIXUP_BIND_RW);
  f = fixup(&w, "f");
  CHECK(f && f->kind == SBX_FIXUP_BIND_RW);
  CHECK(fixup(&w, "r") == NULL && fixup(&w, "v") == NULL);
  CHECK(granted(&w, "/w/r") & SBX_LL_READ_FILE);
  CHECK(!(granted(&w, "/w/v") & SBX_LL_READ_FILE));
out:
  walk_done(&w, m, p, &err);
}

static void test_landlock_plan_text(void)
{
  struct sbx_landlock_plan p = { .handled = 0x2005 }, q;
  struct sbx_error err = { 0 };
  char *text;

  CHECK(sbx_landlock_plan_add(&p, "/a b/new\nline\\x", SBX_LL_READ_FILE, &err) == 0);
  CHECK(sbx_landlock_plan_add(&p, "/", SBX_LL_EXECUTE, &err) == 0);
  p.grants[0].dev = 2049;
  p.grants[0].ino = 77;
  text = sbx_landlock_plan_format(&p);
  CHECK(text != NULL);
  CHECK(text && sbx_landlock_plan_parse(text, &q, &err) == 0);
  CHECK_U64(q.handled, 0x2005);
  CHECK(q.len == 2);
  if (q.len == 2) {
    CHECK_STR(q.grants[0].path, "/a b/new\nline\\x");
    CHECK(q.grants[0].dev == 2049 && q.grants[0].ino == 77);
    CHECK_U64(q.grants[1].access, SBX_LL_EXECUTE);
  }
  sbx_landlock_plan_release(&q);
  CHECK(sbx_landlock_plan_parse("handled 1\nzz 1 2 /x\n", &q, &err) == -1);
  CHECK(sbx_landlock_plan_parse("nothing", &q, &err) == -1);
  CHECK(sbx_landlock_plan_parse("handled 1\n4 1 2 relative\n", &q, &err) == -1);
  free(text);
  sbx_landlock_plan_release(&p);
  sbx_error_clear(&err);
}

/* The rules apply where the config names the mount (/workspace), not
 * where the image's symlink put it (/tmp/ws, write). */
static void test_walk_named_path(void)
{
  struct sbx_policy *p = load("{\"version\":1,\"filesystem\":{\"default\":\"read\",\"rules\":["
                              "{\"pattern\":\"/tmp\",\"permission\":\"write\"},"
                              "{\"pattern\":\"/workspace/src\",\"permission\":\"none\"}]}}");
  struct sbx_fs_matcher *m = NULL;
  struct sbx_error err = { 0 };
  struct sbx_fs_walk w = { 0 };
  const struct sbx_fs_fixup *f;

  strcpy(tmp, "/tmp/test-fs-policy.XXXXXX");
  if (!CHECK(p != NULL) || !CHECK(mkdtemp(tmp) != NULL) ||
      !CHECK(sbx_fs_matcher_new(p, &m, &err) == 0))
    goto out;
  mk("src", true);
  mk("src/app.py", false);
  mk("README", false);
  w = (struct sbx_fs_walk){ .matcher = m, .mount_path = "/tmp/ws", .policy_path = "/workspace",
                            .writable = true,
                            .root_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
  if (!CHECK(sbx_fs_walk_mount(&w, &err) == 0))
    goto out;
  CHECK(!w.hidden);
  CHECK(w.root_perm == SBX_PERM_READ);
  CHECK(w.root_ro);
  f = fixup(&w, "");
  CHECK(f && f->kind == SBX_FIXUP_OVERLAY && has(f->whiteouts, "src"));
  CHECK(w.all_read);
  for (size_t i = 0; i < w.grants.len; i++)
    CHECK(!(w.grants.grants[i].access & SBX_LL_WRITE_FILE));
out:
  walk_done(&w, m, p, &err);
}

/* What the walk cannot reach (a path longer than max_path, here a short
 * one) is cut off with a whiteout in the last directory it reaches. */
static void test_walk_cuts_what_it_cannot_reach(void)
{
  struct sbx_policy *p = load("{\"version\":1,\"filesystem\":{\"default\":\"write\",\"rules\":["
                              "{\"pattern\":\"**/.env\",\"permission\":\"none\"}]}}");
  struct sbx_fs_matcher *m = NULL;
  struct sbx_error err = { 0 };
  struct sbx_fs_walk w = { 0 };
  const struct sbx_fs_fixup *f;

  strcpy(tmp, "/tmp/test-fs-policy.XXXXXX");
  if (!CHECK(p != NULL) || !CHECK(mkdtemp(tmp) != NULL) ||
      !CHECK(sbx_fs_matcher_new(p, &m, &err) == 0))
    goto out;
  mk("a", true);
  mk("a/bbbbbbbbbb", true);
  mk("a/bbbbbbbbbb/cccccccccccccccccccc", true);
  mk("a/bbbbbbbbbb/cccccccccccccccccccc/.env", false);
  mk("a/ok", false);
  /* "/w/a/bbbbbbbbbb" is 15 characters, its child 36 */
  w = (struct sbx_fs_walk){ .matcher = m, .mount_path = "/w", .writable = true, .max_path = 20,
                            .root_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
  if (!CHECK(sbx_fs_walk_mount(&w, &err) == 0)) {
    fprintf(stderr, "walk: %s\n", err.msg);
    goto out;
  }
  f = fixup(&w, "a/bbbbbbbbbb");
  CHECK(f && f->kind == SBX_FIXUP_OVERLAY && has(f->whiteouts, "cccccccccccccccccccc"));
  for (size_t i = 0; i < w.n_fixups; i++)
    CHECK(strlen(w.fixups[i].rel) + strlen("/w/") <= 20);
  for (size_t i = 0; i < w.grants.len; i++)
    CHECK(strlen(w.grants.grants[i].path) <= 20);
out:
  walk_done(&w, m, p, &err);
}

/* strict enforcement names what the kernel's Landlock lacks; best-effort
 * handles what it has. */
static void test_landlock_handled_by_abi(void)
{
  struct sbx_policy *p = load("{\"version\":1,\"filesystem\":{\"default\":\"read\"}}");
  struct sbx_error err = { 0 };
  uint64_t h = 1;

  if (!CHECK(p != NULL))
    return;
  CHECK(sbx_fs_landlock_handled(p, 7, &h, &err) == 0);
  CHECK_U64(h, SBX_LL_READ_FILE | SBX_LL_WRITE | SBX_LL_MAKE_BLOCK);
  CHECK(sbx_fs_landlock_handled(p, 3, &h, &err) == 0);
  CHECK(h & SBX_LL_TRUNCATE);
  CHECK(sbx_fs_landlock_handled(p, 2, &h, &err) == -1);
  CHECK(err.msg && strstr(err.msg, "TRUNCATE") && strstr(err.msg, "best-effort"));
  sbx_error_clear(&err);
  CHECK(sbx_fs_landlock_handled(p, 1, &h, &err) == -1);
  CHECK(err.msg && strstr(err.msg, "REFER"));
  sbx_error_clear(&err);
  CHECK(sbx_fs_landlock_handled(p, 0, &h, &err) == -1);
  CHECK(err.msg && strstr(err.msg, "no Landlock"));
  sbx_error_clear(&err);
  p->fs_best_effort = true;
  CHECK(sbx_fs_landlock_handled(p, 2, &h, &err) == 0);
  CHECK_U64(h, SBX_LL_READ_FILE | ((SBX_LL_WRITE | SBX_LL_MAKE_BLOCK) & ~SBX_LL_TRUNCATE));
  CHECK(sbx_fs_landlock_handled(p, 1, &h, &err) == 0);
  CHECK(!(h & (SBX_LL_REFER | SBX_LL_TRUNCATE)) && (h & SBX_LL_WRITE_FILE));
  CHECK(sbx_fs_landlock_handled(p, 0, &h, &err) == 0);
  CHECK_U64(h, 0);
  p->exec_restricted = true;
  CHECK(sbx_fs_landlock_handled(p, 7, &h, &err) == 0);
  CHECK(h & SBX_LL_EXECUTE);
  sbx_policy_free(p);
}

int main(void)
{
  RUN(test_matcher_agrees_with_decide);
  RUN(test_walk_workspace);
  RUN(test_walk_fixed_write_dir);
  RUN(test_walk_named_path);
  RUN(test_walk_cuts_what_it_cannot_reach);
  RUN(test_landlock_handled_by_abi);
  RUN(test_landlock_plan_text);
  return unit_finish("test-fs-policy");
}
