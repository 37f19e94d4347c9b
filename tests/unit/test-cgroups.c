/* test-cgroups.c: unit tests of the cgroup resource code: runc's value
 * conversions, cpu lists, device rules -> the v1 table, v1 writes and the
 * v2 BPF program (run here by a small interpreter and compared with the
 * table on a grid of devices), v1/v2 applies and stats on fake cgroup
 * directories, and, when run as root on a v1/hybrid host, the same against
 * real cgroups made for the test (agentsbx-test-PID, removed at the end),
 * with a real OOM kill and a real device program on the cgroup2 hierarchy.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "cgroup_resources.h"
#include "cgroups.h"
#include "unit.h"
#include "utils.h"

/* ---- helpers ---- */

static char tmp_root[256];

static char *mkfake(const char *sub, const char *const files[])
{
  char *dir = sbx_strdup_printf("%s/%s", tmp_root, sub);
  mkdir(dir, 0755);
  for (size_t i = 0; files && files[i]; i += 2) {
    char *p = sbx_strdup_printf("%s/%s", dir, files[i]);
    FILE *f = fopen(p, "w");
    if (f) {
      fputs(files[i + 1], f);
      fclose(f);
    }
    free(p);
  }
  return dir;
}

static char *slurp(const char *dir, const char *file)
{
  char *p = sbx_strdup_printf("%s/%s", dir, file), *text = NULL;
  if (sbx_read_file(p, &text, NULL, NULL) < 0)
    text = NULL;
  free(p);
  return text;
}

#define CHECK_FILE(dir, file, want)                  \
  ({                                                 \
    char *t_ = slurp(dir, file);                     \
    CHECK_STR(t_, want);                             \
    free(t_);                                        \
  })

static struct oci_resources *res(const char *json)
{
  char *e = NULL;
  struct oci_resources *r = oci_resources_parse(json, strlen(json), &e);
  if (r == NULL) {
    fprintf(stderr, "resources parse: %s\n", e);
    free(e);
  }
  return r;
}

/* ---- conversions ---- */

static void test_conversions(void)
{
  const char *why = NULL;
  int64_t v = 7;

  CHECK_U64(sbx_cpu_shares_to_weight(0), 0);
  CHECK_U64(sbx_cpu_shares_to_weight(2), 1);
  CHECK_U64(sbx_cpu_shares_to_weight(1024), 39);
  CHECK_U64(sbx_cpu_shares_to_weight(262144), 10000);
  CHECK_U64(sbx_blkio_weight_to_io_weight(0), 0);
  CHECK_U64(sbx_blkio_weight_to_io_weight(10), 1);
  CHECK_U64(sbx_blkio_weight_to_io_weight(500), 4950);
  CHECK_U64(sbx_blkio_weight_to_io_weight(1000), 10000);

  CHECK(sbx_memory_swap_to_v2(0, 100, &v, &why) == 0 && v == 0);
  CHECK(sbx_memory_swap_to_v2(0, -1, &v, &why) == 0 && v == -1);
  CHECK(sbx_memory_swap_to_v2(-1, 100, &v, &why) == 0 && v == -1);
  CHECK(sbx_memory_swap_to_v2(300, 100, &v, &why) == 0 && v == 200);
  CHECK(sbx_memory_swap_to_v2(100, 100, &v, &why) == 0 && v == 0);
  CHECK(sbx_memory_swap_to_v2(50, 100, &v, &why) < 0);
  CHECK_STR(why, "memory+swap limit should be >= memory limit");
  CHECK(sbx_memory_swap_to_v2(100, 0, &v, &why) < 0);
  CHECK_STR(why, "unable to set swap limit without memory limit");
  CHECK(sbx_memory_swap_to_v2(100, -1, &v, &why) < 0);
}

static void test_cpu_list(void)
{
  uint16_t *v = NULL;
  size_t n = 0;

  CHECK(sbx_parse_cpu_list("0-3,5\n", &v, &n) == 0);
  CHECK_INT(n, 5);
  if (n == 5) {
    CHECK_INT(v[0], 0);
    CHECK_INT(v[3], 3);
    CHECK_INT(v[4], 5);
  }
  free(v);
  CHECK(sbx_parse_cpu_list("7", &v, &n) == 0 && n == 1 && v[0] == 7);
  free(v);
  CHECK(sbx_parse_cpu_list("", &v, &n) < 0);
  CHECK(sbx_parse_cpu_list("1-2-3", &v, &n) < 0);
  CHECK(sbx_parse_cpu_list("3-1", &v, &n) < 0);
  CHECK(sbx_parse_cpu_list("a", &v, &n) < 0);
  CHECK(sbx_parse_cpu_list("0,,1", &v, &n) == 0 && n == 2);   /* strtok skips empties */
  free(v);
  CHECK(sbx_parse_cpu_list("70000", &v, &n) < 0);
}

/* ---- devices ---- */

static void test_dev_rules(void)
{
  struct oci_resources *r = res("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
                                " {\"allow\": true, \"type\": \"b\", \"major\": 8, \"access\": \"r\"}]}");
  struct sbx_dev_rule *rules = NULL;
  size_t n = 0;
  cleanup_error struct sbx_error err = { 0 };
  struct oci_device null_dev = { .path = "/dev/null", .type = "c", .major = 1, .minor = 3 };
  char *s;

  CHECK(r != NULL);
  CHECK(sbx_dev_rules_from_spec(r, NULL, 0, &rules, &n, &err) == 0);
  CHECK_INT(n, 2 + 11);
  if (n == 13) {
    CHECK_INT(rules[0].type, 'a');
    CHECK(!rules[0].allow);
    CHECK_INT(rules[1].major, 8);
    CHECK_INT(rules[1].minor, -1);
    CHECK_INT(rules[1].access, SBX_DEV_READ);
    s = sbx_dev_rule_string(&rules[1]);
    CHECK_STR(s, "b 8:* r");
    free(s);
    s = sbx_dev_rule_string(&rules[2]);
    CHECK_STR(s, "c *:* m");
    free(s);
    s = sbx_dev_rule_string(&rules[4]);
    CHECK_STR(s, "c 1:3 rwm");
    free(s);
    s = sbx_dev_rule_string(&rules[0]);
    CHECK_STR(s, "a");
    free(s);
  }
  free(rules);
  /* a /dev/null in linux.devices replaces runc's default rule for it */
  CHECK(sbx_dev_rules_from_spec(r, &null_dev, 1, &rules, &n, &err) == 0);
  CHECK_INT(n, 2 + 10);
  for (size_t i = 0; i < n; i++)
    CHECK(!(rules[i].major == 1 && rules[i].minor == 3));
  free(rules);
  oci_resources_free(r);

  r = res("{\"devices\": [{\"allow\": true, \"type\": \"x\", \"access\": \"r\"}]}");
  CHECK(sbx_dev_rules_from_spec(r, NULL, 0, &rules, &n, &err) < 0);
  CHECK_STR(err.msg, "linux.resources.devices[0].type: invalid cgroup device type `x`");
  oci_resources_free(r);
  r = res("{\"devices\": [{\"allow\": true}, {\"allow\": true, \"access\": \"rwx\"}]}");
  CHECK(sbx_dev_rules_from_spec(r, NULL, 0, &rules, &n, &err) < 0);
  CHECK_STR(err.msg, "linux.resources.devices[1].access: invalid access `rwx` (a non-empty subset of \"rwm\")");
  oci_resources_free(r);
  CHECK_INT(sbx_dev_parse_access(NULL), 7);
  CHECK_INT(sbx_dev_parse_access("mr"), SBX_DEV_MKNOD | SBX_DEV_READ);
  CHECK_INT(sbx_dev_parse_access(""), -1);
}

#define R(t, ma, mi, acc, al) ((struct sbx_dev_rule){ t, ma, mi, acc, al })

static void test_dev_emulate(void)
{
  struct sbx_dev_rule *rules = NULL;
  size_t n = 0;
  struct sbx_dev_state st;
  cleanup_error struct sbx_error err = { 0 };
  struct oci_resources *r = res("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}");

  /* runc spec's config: deny all, then the defaults */
  sbx_dev_rules_from_spec(r, NULL, 0, &rules, &n, &err);
  sbx_dev_emulate(rules, n, &st);
  CHECK(!st.default_allow);
  CHECK_INT(st.n, 11);
  CHECK(sbx_dev_state_permits(&st, 'c', 1, 3, SBX_DEV_READ | SBX_DEV_WRITE));   /* null */
  CHECK(sbx_dev_state_permits(&st, 'c', 136, 4, SBX_DEV_READ));                 /* pts */
  CHECK(sbx_dev_state_permits(&st, 'b', 8, 0, SBX_DEV_MKNOD));                  /* mknod */
  CHECK(!sbx_dev_state_permits(&st, 'b', 8, 0, SBX_DEV_READ));
  CHECK(!sbx_dev_state_permits(&st, 'c', 1, 1, SBX_DEV_READ));                  /* mem */
  CHECK(!sbx_dev_state_permits(&st, 'c', 10, 237, SBX_DEV_READ | SBX_DEV_MKNOD));
  sbx_dev_state_free(&st);
  free(rules);
  oci_resources_free(r);

  /* the fresh cgroup allows all; a deny adds an exception, an allow of the
   * same device then removes it (exact match only) */
  struct sbx_dev_rule seq[] = {
    R('c', 1, 1, SBX_DEV_RWM, false), R('c', 1, 2, SBX_DEV_READ, false),
    R('c', 1, 1, SBX_DEV_WRITE, true), R('c', 1, -1, SBX_DEV_RWM, true),
  };
  sbx_dev_emulate(seq, 4, &st);
  CHECK(st.default_allow);
  CHECK_INT(st.n, 2);
  CHECK(sbx_dev_state_permits(&st, 'c', 1, 1, SBX_DEV_WRITE));
  CHECK(!sbx_dev_state_permits(&st, 'c', 1, 1, SBX_DEV_READ));
  CHECK(!sbx_dev_state_permits(&st, 'c', 1, 1, SBX_DEV_READ | SBX_DEV_WRITE));  /* partial */
  CHECK(!sbx_dev_state_permits(&st, 'c', 1, 2, SBX_DEV_READ));
  CHECK(sbx_dev_state_permits(&st, 'c', 1, 2, SBX_DEV_WRITE));
  CHECK(sbx_dev_state_permits(&st, 'b', 1, 1, SBX_DEV_READ));
  sbx_dev_state_free(&st);

  /* deny all, allow r, allow w (merged), deny m (no exception to trim), a later
   * "a" allow resets everything */
  struct sbx_dev_rule seq2[] = {
    R('a', -1, -1, SBX_DEV_RWM, false), R('c', 5, 1, SBX_DEV_READ, true),
    R('c', 5, 1, SBX_DEV_WRITE, true), R('c', 5, 1, SBX_DEV_MKNOD, false),
    R('c', 5, 1, SBX_DEV_READ, false),
  };
  sbx_dev_emulate(seq2, 5, &st);
  CHECK(!st.default_allow);
  CHECK_INT(st.n, 1);
  CHECK(sbx_dev_state_permits(&st, 'c', 5, 1, SBX_DEV_WRITE));
  CHECK(!sbx_dev_state_permits(&st, 'c', 5, 1, SBX_DEV_READ));
  sbx_dev_state_free(&st);
  struct sbx_dev_rule seq3[] = { R('a', -1, -1, SBX_DEV_RWM, false), R('c', 5, 1, SBX_DEV_READ, true),
                                 R('a', -1, -1, SBX_DEV_READ, true) };
  sbx_dev_emulate(seq3, 3, &st);
  CHECK(st.default_allow);
  CHECK_INT(st.n, 0);
  sbx_dev_state_free(&st);
}

static void test_dev_v1_writes(void)
{
  struct sbx_dev_rule seq[] = { R('a', -1, -1, SBX_DEV_RWM, false), R('c', 1, 3, SBX_DEV_RWM, true),
                                R('b', -1, -1, SBX_DEV_MKNOD, true) };
  struct sbx_dev_state st;
  const char **files;
  char **lines;
  size_t n;

  sbx_dev_emulate(seq, 3, &st);
  n = sbx_dev_v1_writes(&st, &files, &lines);
  CHECK_INT(n, 3);
  if (n == 3) {
    CHECK_STR(files[0], "devices.deny");
    CHECK_STR(lines[0], "a");
    CHECK_STR(files[1], "devices.allow");
    CHECK_STR(lines[1], "c 1:3 rwm");
    CHECK_STR(lines[2], "b *:* m");
  }
  sbx_dev_v1_writes_free(files, lines, n);
  sbx_dev_state_free(&st);
}

/* A tiny interpreter of the instructions sbx_dev_bpf_program emits. */
static int bpf_run(const struct bpf_insn *p, size_t n, uint32_t ctx[3], bool *ok)
{
  uint64_t r[11] = { 0 };
  size_t pc = 0;
  int steps = 0;

  *ok = true;
  while (pc < n && steps++ < 100000) {
    const struct bpf_insn *i = &p[pc++];
    switch (i->code) {
    case BPF_LDX | BPF_MEM | BPF_W:
      if (i->src_reg != 1 || i->off % 4 || i->off > 8)
        goto bad;
      r[i->dst_reg] = ctx[i->off / 4];
      break;
    case BPF_ALU64 | BPF_MOV | BPF_X: r[i->dst_reg] = r[i->src_reg]; break;
    case BPF_ALU64 | BPF_MOV | BPF_K: r[i->dst_reg] = (uint64_t)(int64_t)i->imm; break;
    case BPF_ALU64 | BPF_AND | BPF_K: r[i->dst_reg] &= (uint64_t)(int64_t)i->imm; break;
    case BPF_ALU64 | BPF_RSH | BPF_K: r[i->dst_reg] >>= i->imm; break;
    case BPF_JMP32 | BPF_JNE | BPF_K:
      if ((uint32_t)r[i->dst_reg] != (uint32_t)i->imm)
        pc += i->off;
      break;
    case BPF_JMP32 | BPF_JEQ | BPF_K:
      if ((uint32_t)r[i->dst_reg] == (uint32_t)i->imm)
        pc += i->off;
      break;
    case BPF_JMP | BPF_EXIT: return (int)r[0];
    default: goto bad;
    }
  }
bad:
  *ok = false;
  return -1;
}

static void check_program_matches(const struct sbx_dev_rule *rules, size_t nr)
{
  struct sbx_dev_state st;
  struct bpf_insn *p = NULL;
  size_t n = 0;
  static const int64_t majors[] = { 1, 5, 8, 10, 136, 4000000 };
  static const int64_t minors[] = { 0, 1, 2, 3, 7, 9, 200, 237 };
  int mismatches = 0;

  sbx_dev_emulate(rules, nr, &st);
  CHECK(sbx_dev_bpf_program(&st, &p, &n) == 0);
  for (int t = 0; t < 2; t++)
    for (size_t a = 0; a < 6; a++)
      for (size_t b = 0; b < 8; b++)
        for (unsigned acc = 1; acc <= 7; acc++) {
          char type = t ? 'b' : 'c';
          uint32_t ctx[3] = { acc << 16 | (t ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
                              (uint32_t)majors[a], (uint32_t)minors[b] };
          bool ok;
          int got = bpf_run(p, n, ctx, &ok);
          bool want = sbx_dev_state_permits(&st, type, majors[a], minors[b], acc);
          if (!ok || got != (want ? 1 : 0)) {
            if (mismatches++ < 3)
              fprintf(stderr, "  bpf %c %lld:%lld acc %u: got %d want %d\n", type,
                      (long long)majors[a], (long long)minors[b], acc, got, want);
          }
        }
  CHECK_INT(mismatches, 0);
  free(p);
  sbx_dev_state_free(&st);
}

static void test_dev_bpf_program(void)
{
  struct sbx_dev_rule *rules = NULL;
  size_t n = 0;
  cleanup_error struct sbx_error err = { 0 };
  struct oci_resources *r = res("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
                                " {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 237, \"access\": \"r\"},"
                                " {\"allow\": true, \"type\": \"b\", \"major\": 4000000, \"access\": \"rw\"}]}");

  sbx_dev_rules_from_spec(r, NULL, 0, &rules, &n, &err);
  check_program_matches(rules, n);
  free(rules);
  oci_resources_free(r);
  struct sbx_dev_rule seq[] = {
    R('c', 1, 1, SBX_DEV_RWM, false), R('c', 1, 2, SBX_DEV_READ, false),
    R('c', 1, 1, SBX_DEV_WRITE, true), R('b', -1, 3, SBX_DEV_MKNOD | SBX_DEV_WRITE, false),
  };
  check_program_matches(seq, 4);
  check_program_matches(NULL, 0);
  struct sbx_dev_rule none[] = { R('a', -1, -1, SBX_DEV_RWM, false) };
  check_program_matches(none, 1);
}

/* ---- v1 apply on fake directories ---- */

static void fake_v1(struct sbx_cgroup_dirs *d, const char *name)
{
  static const char *const cpu[] = { "cpu.shares", "", "cpu.cfs_period_us", "", "cpu.cfs_quota_us", "",
                                     "cpu.cfs_burst_us", "", NULL };
  static const char *const mem[] = { "memory.limit_in_bytes", "9223372036854771712\n",
                                     "memory.memsw.limit_in_bytes", "", "memory.soft_limit_in_bytes", "",
                                     "memory.oom_control", "", "memory.swappiness", "", NULL };
  static const char *const cpuset[] = { "cpuset.cpus", "", "cpuset.mems", "", NULL };
  static const char *const pids[] = { "pids.max", "", NULL };
  static const char *const blkio[] = { "blkio.bfq.weight", "", "blkio.bfq.weight_device", "",
                                       "blkio.throttle.read_bps_device", "", NULL };
  static const char *const devs[] = { "devices.allow", "", "devices.deny", "", NULL };
  char *base = mkfake(name, NULL);
  char sub[300];

  memset(d, 0, sizeof *d);
#define SUB(field, files) (snprintf(sub, sizeof sub, "%s/" #field, name), d->field = mkfake(sub, files))
  SUB(cpu, cpu);
  SUB(cpuset, cpuset);
  SUB(memory, mem);
  SUB(pids, pids);
  SUB(blkio, blkio);
  SUB(devices, devs);
#undef SUB
  free(base);
}

static void test_v1_apply(void)
{
  struct sbx_cgroup_dirs d;
  cleanup_error struct sbx_error err = { 0 };
  struct oci_resources *r;
  struct sbx_dev_rule rules[] = { R('a', -1, -1, SBX_DEV_RWM, false), R('c', 1, 3, SBX_DEV_RWM, true) };

  fake_v1(&d, "v1a");
  r = res("{\"memory\": {\"limit\": 33554432, \"swap\": 67108864, \"reservation\": 1000,"
          " \"disableOOMKiller\": true, \"swappiness\": 10, \"kernel\": 5},"
          " \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"burst\": 1000, \"cpus\": \"0\", \"mems\": \"0\"},"
          " \"pids\": {\"limit\": -1},"
          " \"blockIO\": {\"weight\": 300, \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 50}],"
          "  \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}]}}");
  CHECK(sbx_cgroup_v1_set(&d, r, rules, 2, &err) == 0);
  if (err.msg)
    fprintf(stderr, "  %s\n", err.msg);
  CHECK_FILE(d.memory, "memory.memsw.limit_in_bytes", "67108864");
  /* the fake limit file was longer than the value: the write overlaid it */
  char *t = slurp(d.memory, "memory.limit_in_bytes");
  CHECK(t && strncmp(t, "33554432", 8) == 0);
  free(t);
  CHECK_FILE(d.memory, "memory.soft_limit_in_bytes", "1000");
  CHECK_FILE(d.memory, "memory.oom_control", "1");
  CHECK_FILE(d.memory, "memory.swappiness", "10");
  CHECK_FILE(d.cpu, "cpu.shares", "512");
  CHECK_FILE(d.cpu, "cpu.cfs_quota_us", "50000");
  CHECK_FILE(d.cpu, "cpu.cfs_period_us", "100000");
  CHECK_FILE(d.cpu, "cpu.cfs_burst_us", "1000");
  CHECK_FILE(d.cpuset, "cpuset.cpus", "0");
  CHECK_FILE(d.pids, "pids.max", "max");
  CHECK_FILE(d.blkio, "blkio.bfq.weight", "300");
  CHECK_FILE(d.blkio, "blkio.bfq.weight_device", "8:0 50");
  CHECK_FILE(d.blkio, "blkio.throttle.read_bps_device", "8:0 1048576");
  CHECK_FILE(d.devices, "devices.deny", "a");
  CHECK_FILE(d.devices, "devices.allow", "c 1:3 rwm");
  oci_resources_free(r);

  /* values this host cannot apply name their key */
  struct { const char *json, *msg; } bad[] = {
    { "{\"cpu\": {\"realtimeRuntime\": 950000}}",
      "linux.resources.cpu.realtimeRuntime: not supported by this host (no cpu.rt_runtime_us)" },
    { "{\"cpu\": {\"idle\": 1}}", "linux.resources.cpu.idle: not supported by this host (no cpu.idle)" },
    { "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 0}]}",
      "linux.resources.hugepageLimits[0]: not supported by this host (no hugetlb cgroup controller)" },
    { "{\"network\": {\"classID\": 1048577}}",
      "linux.resources.network.classID: not supported by this host (no net_cls cgroup controller)" },
    { "{\"network\": {\"priorities\": [{\"name\": \"eth0\", \"priority\": 5}]}}",
      "linux.resources.network.priorities[0]: not supported by this host (no net_prio cgroup controller)" },
    { "{\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3}}}",
      "linux.resources.rdma.mlx5_1: not supported by this host (no rdma cgroup controller)" },
    { "{\"unified\": {\"memory.max\": \"1000\"}}",
      "linux.resources.unified.memory.max: not supported by this host (cgroup v1 only, no cgroup2 hierarchy)" },
    { "{\"memory\": {\"swappiness\": 101}}",
      "linux.resources.memory.swappiness: invalid value 101 (valid range is 0-100)" },
    { "{\"blockIO\": {\"leafWeight\": 300}}",
      "linux.resources.blockIO.leafWeight: not supported by this host (no blkio.leaf_weight)" },
    { "{\"devices\": [{\"allow\": true, \"access\": \"r\"}]}", NULL },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    r = res(bad[i].json);
    int rc = sbx_cgroup_v1_set(&d, r, NULL, 0, &err);
    if (bad[i].msg) {
      CHECK(rc < 0);
      CHECK_STR(err.msg, bad[i].msg);
    } else {
      CHECK(rc == 0);
    }
    oci_resources_free(r);
  }
  /* the memory limit is written after memsw when memsw grows beyond it */
  sbx_cgroup_dirs_free(&d);
}

/* ---- v2 apply on a fake directory ---- */

static void test_v2_apply(void)
{
  static const char *const files[] = {
    "cpu.weight", "", "cpu.max", "max 100000\n", "cpu.max.burst", "", "cpu.idle", "",
    "memory.max", "", "memory.swap.max", "", "memory.low", "", "memory.current", "5000\n",
    "pids.max", "", "io.weight", "", "io.max", "", "cpuset.cpus", "", "hugetlb.2MB.max", "",
    "cgroup.max.depth", "", NULL };
  char *dir = mkfake("v2a", files);
  cleanup_error struct sbx_error err = { 0 };
  struct oci_resources *r =
      res("{\"memory\": {\"limit\": 1000000, \"swap\": 3000000, \"reservation\": 500, \"swappiness\": 20,"
          " \"disableOOMKiller\": true},"
          " \"cpu\": {\"shares\": 1024, \"quota\": 20000, \"burst\": 500, \"idle\": 1, \"cpus\": \"0-1\"},"
          " \"pids\": {\"limit\": 10}, \"blockIO\": {\"weight\": 500,"
          " \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 30}]},"
          " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}],"
          " \"unified\": {\"cgroup.max.depth\": \"3\"}}");

  CHECK(sbx_cgroup_v2_set(dir, r, NULL, 0, &err) == 0);
  if (err.msg)
    fprintf(stderr, "  %s\n", err.msg);
  CHECK_FILE(dir, "memory.max", "1000000");
  CHECK_FILE(dir, "memory.swap.max", "2000000");
  CHECK_FILE(dir, "memory.low", "500");
  CHECK_FILE(dir, "cpu.weight", "39");
  char *t = slurp(dir, "cpu.max");
  CHECK(t && strncmp(t, "20000 100000", 12) == 0);
  free(t);
  CHECK_FILE(dir, "cpu.max.burst", "500");
  CHECK_FILE(dir, "cpu.idle", "1");
  CHECK_FILE(dir, "cpuset.cpus", "0-1");
  CHECK_FILE(dir, "pids.max", "10");
  CHECK_FILE(dir, "io.weight", "4950");
  CHECK_FILE(dir, "io.max", "8:16 wiops=30");
  CHECK_FILE(dir, "hugetlb.2MB.max", "4194304");
  CHECK_FILE(dir, "cgroup.max.depth", "3");
  oci_resources_free(r);

  struct { const char *json, *msg; } bad[] = {
    { "{\"cpu\": {\"realtimeRuntime\": 950000}}",
      "linux.resources.cpu.realtimeRuntime: not supported by this host (no cpu.rt_runtime_us: cgroup v2 has no realtime scheduling limits)" },
    { "{\"memory\": {\"limit\": 1000, \"swap\": 500}}",
      "linux.resources.memory.swap: memory+swap limit should be >= memory limit" },
    { "{\"memory\": {\"limit\": 1000, \"checkBeforeUpdate\": true}}",
      "linux.resources.memory.limit: the memory usage 5000 is above the new limit 1000 (checkBeforeUpdate)" },
    { "{\"hugepageLimits\": [{\"pageSize\": \"1MB\", \"limit\": 0}]}",
      "linux.resources.hugepageLimits[0]: not supported by this host (no hugetlb.1MB.max)" },
    { "{\"hugepageLimits\": [{\"pageSize\": \"../x\", \"limit\": 0}]}",
      "linux.resources.hugepageLimits[0].pageSize: invalid page size `../x`" },
    { "{\"network\": {\"classID\": 1}}",
      "linux.resources.network.classID: not supported by this host (no net_cls on cgroup v2)" },
    { "{\"unified\": {\"memory.oom.group\": \"1\"}}",
      "linux.resources.unified.memory.oom.group: not supported by this host (no memory.oom.group)" },
    { "{\"unified\": {\"../x\": \"1\"}}", "linux.resources.unified.../x: invalid cgroup file name" },
    { "{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 10}]}}",
      "linux.resources.blockIO.weightDevice[0].weight: not supported by this host (no io.bfq.weight with per-device weights)" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    r = res(bad[i].json);
    CHECK(sbx_cgroup_v2_set(dir, r, NULL, 0, &err) < 0);
    CHECK_STR(err.msg, bad[i].msg);
    oci_resources_free(r);
  }
  /* only the period: the quota in cpu.max is kept */
  char *dir2 = mkfake("v2b", (const char *const[]){ "cpu.max", "30000 100000\n", NULL });
  r = res("{\"cpu\": {\"period\": 50000}}");
  CHECK(sbx_cgroup_v2_set(dir2, r, NULL, 0, &err) == 0);
  t = slurp(dir2, "cpu.max");
  CHECK(t && strncmp(t, "30000 50000", 11) == 0);
  free(t);
  oci_resources_free(r);
  free(dir2);
  free(dir);
}

/* ---- stats on fake directories ---- */

static yajl_val jget(yajl_val root, const char *p1, const char *p2, const char *p3)
{
  const char *path[] = { p1, p2, p3, NULL };
  return yajl_tree_get(root, path, yajl_t_any);
}

static void test_stats_fake(void)
{
  struct sbx_cgroup_dirs d = { 0 };
  cleanup_error struct sbx_error err = { 0 };
  d.cpuacct = mkfake("s1acct", (const char *const[]){
      "cpuacct.usage", "3000\n", "cpuacct.usage_percpu", "1000 2000 \n",
      "cpuacct.usage_all", "cpu user system\n0 600 400\n1 1500 500\n",
      "cpuacct.stat", "user 3\nsystem 1\n", NULL });
  d.cpu = mkfake("s1cpu", (const char *const[]){
      "cpu.stat", "nr_periods 4\nnr_throttled 2\nthrottled_time 99\n", NULL });
  d.memory = mkfake("s1mem", (const char *const[]){
      "memory.stat", "rss 10\ncache 20\nactive_anon 5\n", "memory.usage_in_bytes", "100\n",
      "memory.max_usage_in_bytes", "150\n", "memory.failcnt", "0\n",
      "memory.limit_in_bytes", "33554432\n", NULL });
  d.pids = mkfake("s1pids", (const char *const[]){ "pids.current", "3\n", "pids.max", "max\n", NULL });
  d.cpuset = mkfake("s1cpuset", (const char *const[]){ "cpuset.cpus", "0-1\n", "cpuset.mems", "0\n",
                                                       "cpuset.sched_relax_domain_level", "-1\n", NULL });
  d.blkio = mkfake("s1blk", (const char *const[]){
      "blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 0\nTotal 4096\n",
      "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 0\nTotal 1\n", NULL });
  char *json = sbx_cgroup_v1_stats_json(&d, &err);
  char ebuf[256];
  yajl_val root = json ? yajl_tree_parse(json, ebuf, sizeof ebuf) : NULL;

  CHECK(root != NULL);
  if (root) {
    long tck = sysconf(_SC_CLK_TCK);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "cpu", "usage", "total")), 3000);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "cpu", "usage", "user")), 3 * 1000000000LL / tck);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "cpu", "usage", "kernel")), 1000000000LL / tck);
    yajl_val pc = jget(root, "cpu", "usage", "percpu");
    CHECK(YAJL_IS_ARRAY(pc) && pc->u.array.len == 2);
    yajl_val pk = jget(root, "cpu", "usage", "percpu_kernel");
    CHECK(YAJL_IS_ARRAY(pk) && pk->u.array.len == 2 && YAJL_GET_INTEGER(pk->u.array.values[1]) == 500);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "cpu", "throttling", "throttledPeriods")), 2);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "memory", "cache", NULL)), 20);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "memory", "usage", "limit")), 33554432);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "memory", "usage", "max")), 150);
    CHECK(jget(root, "memory", "usage", "failcnt") != NULL);
    CHECK(jget(root, "memory", "swap", "limit") != NULL);   /* not omitempty */
    CHECK(jget(root, "memory", "swap", "usage") == NULL);   /* omitempty */
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "memory", "raw", "rss")), 10);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "pids", "current", NULL)), 3);
    CHECK(jget(root, "pids", "limit", NULL) == NULL);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "cpuset", "sched_relax_domain_level", NULL)), -1);
    yajl_val cpus = jget(root, "cpuset", "cpus", NULL);
    CHECK(YAJL_IS_ARRAY(cpus) && cpus->u.array.len == 2);
    yajl_val b = jget(root, "blkio", "ioServiceBytesRecursive", NULL);
    CHECK(YAJL_IS_ARRAY(b) && b->u.array.len == 2);
    if (YAJL_IS_ARRAY(b) && b->u.array.len == 2) {
      const char *op[] = { "op", NULL }, *val[] = { "value", NULL };
      CHECK_STR(YAJL_GET_STRING(yajl_tree_get(b->u.array.values[0], op, yajl_t_string)), "Read");
      CHECK(yajl_tree_get(b->u.array.values[1], val, yajl_t_any) == NULL);   /* 0 omitted */
    }
    CHECK(YAJL_IS_OBJECT(jget(root, "hugetlb", NULL, NULL)));
    CHECK(YAJL_IS_NULL(jget(root, "network_interfaces", NULL, NULL)));
  }
  /* raw keys sorted as Go's encoding/json sorts map keys */
  CHECK(json && strstr(json, "\"raw\":{\"active_anon\":5,\"cache\":20,\"rss\":10}"));
  yajl_tree_free(root);
  free(json);
  sbx_cgroup_dirs_free(&d);

  char *dir = mkfake("s2", (const char *const[]){
      "cpu.stat", "usage_usec 7\nuser_usec 5\nsystem_usec 2\nnr_periods 0\n",
      "memory.stat", "anon 1\nfile 2\n", "memory.current", "300\n", "memory.max", "max\n",
      "memory.swap.current", "10\n", "memory.swap.max", "max\n", "pids.current", "2\n",
      "pids.max", "10\n", "io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n", NULL });
  json = sbx_cgroup_v2_stats_json(dir, &err);
  root = json ? yajl_tree_parse(json, ebuf, sizeof ebuf) : NULL;
  CHECK(root != NULL);
  if (root) {
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "cpu", "usage", "total")), 7000);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "memory", "cache", NULL)), 2);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "memory", "swap", "usage")), 310);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "pids", "limit", NULL)), 10);
    yajl_val b = jget(root, "blkio", "ioServicedRecursive", NULL);
    CHECK(YAJL_IS_ARRAY(b) && b->u.array.len == 2);
  }
  CHECK(json && strstr(json, "\"usage\":{\"limit\":18446744073709551615,\"usage\":300,\"failcnt\":0}"));
  yajl_tree_free(root);
  free(json);
  free(dir);
}

/* ---- real cgroups (root on a v1/hybrid host) ---- */

static bool real_ok(void)
{
  return geteuid() == 0 && sbx_cgroup_mode() != SBX_CGROUP_V2 &&
         access("/sys/fs/cgroup/memory/cgroup.procs", W_OK) == 0;
}

static pid_t spawn_sleeper(void)
{
  pid_t p = fork();
  if (p == 0) {
    for (;;)
      pause();
  }
  return p;
}

/* In a child: join the cgroup dir (cgroup.procs), then run fn; the exit
 * status is fn's. */
static int in_cgroup(const char *const dirs[], int (*fn)(void *), void *arg)
{
  pid_t p = fork();
  int st;

  if (p == 0) {
    for (size_t i = 0; dirs[i]; i++) {
      char *procs = sbx_strdup_printf("%s/cgroup.procs", dirs[i]);
      if (sbx_write_file(procs, "0", 1, NULL) < 0)
        _exit(100);
      free(procs);
    }
    _exit(fn(arg));
  }
  if (waitpid(p, &st, 0) < 0)
    return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* exit 0: opened, 1: EPERM, 2: other error */
static int try_open(void *arg)
{
  int fd = open(arg, O_RDONLY | O_NONBLOCK);
  if (fd >= 0)
    return 0;
  return errno == EPERM ? 1 : 2;
}

static int eat_memory(void *arg)
{
  size_t total = 256 << 20;
  volatile char *p = malloc(total);   /* volatile: the stores must happen */
  if (p == NULL)
    return 3;
  for (size_t i = 0; i < total; i += 4096)
    p[i] = 1;
  return p[4096] == 1 ? 0 : 4;
}

static void test_real_v1(void)
{
  char path[64];
  struct sbx_cgroup *cg = NULL;
  cleanup_error struct sbx_error err = { 0 };
  pid_t sleeper;
  struct oci_linux lin = { 0 };

  if (!real_ok()) {
    printf("test_real_v1: skipped (needs root on a v1/hybrid host)\n");
    return;
  }
  snprintf(path, sizeof path, "/agentsbx-test-%d", getpid());
  sleeper = spawn_sleeper();
  if (sbx_cgroup_create(path, sleeper, &cg, &err) < 0) {
    CHECK_STR(err.msg, NULL);
    goto out;
  }
  lin.resources = res("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}],"
                      " \"memory\": {\"limit\": 33554432, \"swap\": 33554432, \"swappiness\": 0},"
                      " \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0\", \"mems\": \"0\"},"
                      " \"pids\": {\"limit\": 10}}");
  CHECK(sbx_cgroup_apply_resources(path, &lin, &err) == 0);
  if (err.msg)
    fprintf(stderr, "  %s\n", err.msg);
  char *mem = sbx_cgroup_controller_dir("memory", path), *cpu = sbx_cgroup_controller_dir("cpu", path);
  char *pids = sbx_cgroup_controller_dir("pids", path), *devs = sbx_cgroup_controller_dir("devices", path);
  char *cpuset = sbx_cgroup_controller_dir("cpuset", path);
  CHECK_FILE(mem, "memory.limit_in_bytes", "33554432\n");
  CHECK_FILE(mem, "memory.memsw.limit_in_bytes", "33554432\n");
  CHECK_FILE(cpu, "cpu.shares", "512\n");
  CHECK_FILE(cpu, "cpu.cfs_quota_us", "50000\n");
  CHECK_FILE(pids, "pids.max", "10\n");
  CHECK_FILE(cpuset, "cpuset.cpus", "0\n");
  char *list = slurp(devs, "devices.list");
  CHECK(list && strstr(list, "c 1:3 rwm") && strstr(list, "c *:* m") && !strstr(list, "a *:* rwm"));
  free(list);

  /* devices: /dev/null opens, a block device does not */
  const char *const in_devs[] = { devs, NULL };
  CHECK_INT(in_cgroup(in_devs, try_open, "/dev/null"), 0);
  if (access("/dev/loop-control", F_OK) == 0)
    CHECK_INT(in_cgroup(in_devs, try_open, "/dev/loop-control"), 1);

  /* update: only the given keys change */
  struct oci_resources *up = res("{\"memory\": {\"limit\": 67108864, \"swap\": 67108864}, \"pids\": {\"limit\": 20}}");
  CHECK(sbx_cgroup_update_resources(path, up, &err) == 0);
  CHECK_FILE(mem, "memory.limit_in_bytes", "67108864\n");
  CHECK_FILE(pids, "pids.max", "20\n");
  CHECK_FILE(cpu, "cpu.shares", "512\n");
  oci_resources_free(up);
  up = res("{\"memory\": {\"limit\": 33554432, \"swap\": 33554432}}");   /* lowering: limit first */
  CHECK(sbx_cgroup_update_resources(path, up, &err) == 0);
  CHECK_FILE(mem, "memory.memsw.limit_in_bytes", "33554432\n");
  oci_resources_free(up);
  up = res("{\"cpu\": {\"realtimeRuntime\": 1000, \"realtimePeriod\": 1000000}}");
  int rc = sbx_cgroup_update_resources(path, up, &err);
  if (rc == 0)
    CHECK_FILE(cpu, "cpu.rt_runtime_us", "1000\n");
  else
    fprintf(stderr, "  (rt on this host: %s)\n", err.msg);
  oci_resources_free(up);

  /* OOM: a child in the memory cgroup eats 256 MiB under 32 MiB */
  unsigned long long before = 99, after = 0;
  int wfd = sbx_cgroup_oom_watch(path, &err);
  CHECK(wfd >= 0);
  CHECK(sbx_cgroup_oom_count(path, &before, &err) == 0);
  CHECK_U64(before, 0);
  const char *const in_mem[] = { mem, NULL };
  CHECK_INT(in_cgroup(in_mem, eat_memory, NULL), 128 + SIGKILL);
  struct pollfd pfd = { .fd = wfd, .events = POLLIN };
  CHECK_INT(poll(&pfd, 1, 5000), 1);
  sbx_cgroup_oom_ack(wfd);
  CHECK(sbx_cgroup_oom_count(path, &after, &err) == 0);
  CHECK_U64(after, 1);
  close(wfd);

  /* stats */
  char *json = sbx_cgroup_stats_json(path, &err);
  char ebuf[256];
  yajl_val root = json ? yajl_tree_parse(json, ebuf, sizeof ebuf) : NULL;
  CHECK(root != NULL);
  if (root) {
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "memory", "usage", "limit")), 33554432);
    CHECK(YAJL_GET_INTEGER(jget(root, "memory", "usage", "max")) >= 33554432 - (1 << 20));
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "pids", "current", NULL)), 1);
    CHECK_INT(YAJL_GET_INTEGER(jget(root, "pids", "limit", NULL)), 20);
    CHECK(YAJL_IS_ARRAY(jget(root, "cpu", "usage", "percpu")));
    CHECK(YAJL_IS_OBJECT(jget(root, "memory", "raw", NULL)));
  }
  yajl_tree_free(root);
  free(json);

  /* a missing hugetlb/net_cls controller is an error naming the key */
  up = res("{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 0}]}");
  if (sbx_cgroup_controller_dir("hugetlb", "/") == NULL) {
    CHECK(sbx_cgroup_update_resources(path, up, &err) < 0);
    CHECK_STR(err.msg, "linux.resources.hugepageLimits[0]: not supported by this host (no hugetlb cgroup controller)");
  }
  oci_resources_free(up);

  free(mem);
  free(cpu);
  free(pids);
  free(devs);
  free(cpuset);
  oci_resources_free(lin.resources);
out:
  kill(sleeper, SIGKILL);
  waitpid(sleeper, NULL, 0);
  if (cg) {
    CHECK(sbx_cgroup_destroy(cg, &err) == 0);
    sbx_cgroup_free(cg);
  }
}

/* the v2 device program, for real, on the cgroup2 hierarchy (which needs
 * no controller for it) */
static void test_real_bpf(void)
{
  char *dir;
  cleanup_error struct sbx_error err = { 0 };
  struct sbx_dev_rule *rules = NULL;
  size_t n = 0;
  struct sbx_dev_state st;
  struct oci_resources *r = res("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
                                " {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 237, \"access\": \"r\"}]}");

  dir = sbx_cgroup_controller_dir(NULL, "/");
  if (geteuid() != 0 || dir == NULL) {
    printf("test_real_bpf: skipped (needs root and a cgroup2 hierarchy)\n");
    free(dir);
    oci_resources_free(r);
    return;
  }
  char *root = dir;
  dir = sbx_strdup_printf("%s/agentsbx-test-%d-bpf", root, getpid());
  free(root);
  CHECK(mkdir(dir, 0755) == 0);
  sbx_dev_rules_from_spec(r, NULL, 0, &rules, &n, &err);
  sbx_dev_emulate(rules, n, &st);
  CHECK(sbx_dev_bpf_apply(dir, &st, &err) == 0);
  if (err.msg)
    fprintf(stderr, "  %s\n", err.msg);
  /* again: replaces, does not stack */
  CHECK(sbx_dev_bpf_apply(dir, &st, &err) == 0);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  uint32_t ids[8];
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.query.target_fd = dfd;
  a.query.attach_type = BPF_CGROUP_DEVICE;
  a.query.prog_ids = (uintptr_t)ids;
  a.query.prog_cnt = 8;
  CHECK(syscall(SYS_bpf, BPF_PROG_QUERY, &a, sizeof a) == 0);
  CHECK_INT(a.query.prog_cnt, 1);
  close(dfd);

  const char *const in[] = { dir, NULL };
  CHECK_INT(in_cgroup(in, try_open, "/dev/null"), 0);
  CHECK_INT(in_cgroup(in, try_open, "/dev/zero"), 0);
  if (access("/dev/loop-control", F_OK) == 0)
    CHECK_INT(in_cgroup(in, try_open, "/dev/loop-control"), 0);   /* allowed r */
  if (access("/dev/vda", F_OK) == 0)
    CHECK_INT(in_cgroup(in, try_open, "/dev/vda"), 1);
  if (access("/dev/kmsg", F_OK) == 0)
    CHECK_INT(in_cgroup(in, try_open, "/dev/kmsg"), 1);
  sbx_dev_state_free(&st);
  free(rules);
  oci_resources_free(r);
  CHECK(rmdir(dir) == 0);
  free(dir);
}

int main(void)
{
  snprintf(tmp_root, sizeof tmp_root, "/tmp/test-cgroups.XXXXXX");
  if (mkdtemp(tmp_root) == NULL)
    return 2;
  RUN(test_conversions);
  RUN(test_cpu_list);
  RUN(test_dev_rules);
  RUN(test_dev_emulate);
  RUN(test_dev_v1_writes);
  RUN(test_dev_bpf_program);
  RUN(test_v1_apply);
  RUN(test_v2_apply);
  RUN(test_stats_fake);
  RUN(test_real_v1);
  RUN(test_real_bpf);
  sbx_remove_tree(tmp_root, NULL);
  return unit_finish("cgroups");
}
