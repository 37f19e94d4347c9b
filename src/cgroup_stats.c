/* cgroup_stats.c: the container cgroup's statistics as runc's
 * `events --stats` data (runc types.Stats, with Go's omitempty rules and
 * sorted map keys), and OOM notification (see cgroup_resources.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cgroup_resources.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cgroups.h"
#include "utils.h"

/* ---- small readers ---- */

static char *read_text(const char *dir, const char *file)
{
  cleanup_free char *p = NULL;
  char *text = NULL;

  if (dir == NULL)
    return NULL;
  p = sbx_strdup_printf("%s/%s", dir, file);
  if (p == NULL || sbx_read_file(p, &text, NULL, NULL) < 0)
    return NULL;
  return text;
}

static uint64_t u64_of(const char *dir, const char *file)
{
  uint64_t v = 0;

  if (dir == NULL || sbx_cg_read_u64(dir, file, &v) < 0)
    return 0;
  return v;
}

/* The value of "key N" in a flat keyed file; 0 when absent. */
static uint64_t keyed(const char *dir, const char *file, const char *key)
{
  cleanup_free char *text = read_text(dir, file);
  size_t klen = strlen(key);

  for (char *l = text; l && *l;) {
    char *nl = strchr(l, '\n');
    if (strncmp(l, key, klen) == 0 && l[klen] == ' ')
      return strtoull(l + klen + 1, NULL, 10);
    l = nl ? nl + 1 : NULL;
  }
  return 0;
}

/* ---- JSON output ---- */

static void key(yajl_gen g, const char *k)
{
  yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static void u64(yajl_gen g, const char *k, uint64_t v)
{
  char num[32];

  key(g, k);
  snprintf(num, sizeof num, "%" PRIu64, v);
  yajl_gen_number(g, num, strlen(num));
}

static void u64_omitempty(yajl_gen g, const char *k, uint64_t v)
{
  if (v)
    u64(g, k, v);
}

static void u64_array(yajl_gen g, const char *k, const uint64_t *v, size_t n)
{
  if (n == 0)
    return;   /* omitempty */
  key(g, k);
  yajl_gen_array_open(g);
  for (size_t i = 0; i < n; i++) {
    char num[32];
    snprintf(num, sizeof num, "%" PRIu64, v[i]);
    yajl_gen_number(g, num, strlen(num));
  }
  yajl_gen_array_close(g);
}

/* whitespace-separated numbers */
static size_t parse_numbers(const char *text, uint64_t **out)
{
  size_t n = 0, cap = 0;
  uint64_t *v = NULL;
  const char *p = text;
  char *end;

  while (p && *p) {
    unsigned long long x = strtoull(p, &end, 10);
    if (end == p)
      break;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      uint64_t *g = realloc(v, cap * sizeof *v);
      if (g == NULL)
        break;
      v = g;
    }
    v[n++] = x;
    p = end;
  }
  *out = v;
  return n;
}

/* ---- cpu ---- */

struct cpu_stats {
  uint64_t total, kernel, user, periods, throttled, throttled_time;
  uint64_t *percpu, *pk, *pu;
  size_t npercpu, npk, npu;
};

static void gen_cpu(yajl_gen g, const struct cpu_stats *c)
{
  key(g, "cpu");
  yajl_gen_map_open(g);
  key(g, "usage");
  yajl_gen_map_open(g);
  u64_omitempty(g, "total", c->total);
  u64_array(g, "percpu", c->percpu, c->npercpu);
  u64_array(g, "percpu_kernel", c->pk, c->npk);
  u64_array(g, "percpu_user", c->pu, c->npu);
  u64(g, "kernel", c->kernel);
  u64(g, "user", c->user);
  yajl_gen_map_close(g);
  key(g, "throttling");
  yajl_gen_map_open(g);
  u64_omitempty(g, "periods", c->periods);
  u64_omitempty(g, "throttledPeriods", c->throttled);
  u64_omitempty(g, "throttledTime", c->throttled_time);
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);
  free(c->percpu);
  free(c->pk);
  free(c->pu);
}

static void v1_cpu(const struct sbx_cgroup_dirs *d, struct cpu_stats *c)
{
  cleanup_free char *stat = read_text(d->cpuacct, "cpuacct.stat");
  cleanup_free char *percpu = read_text(d->cpuacct, "cpuacct.usage_percpu");
  cleanup_free char *all = read_text(d->cpuacct, "cpuacct.usage_all");
  unsigned long long user = 0, sys = 0;
  long tck = sysconf(_SC_CLK_TCK);

  memset(c, 0, sizeof *c);
  c->total = u64_of(d->cpuacct, "cpuacct.usage");
  if (stat && sscanf(stat, "user %llu system %llu", &user, &sys) == 2 && tck > 0) {
    c->user = user * 1000000000ULL / (uint64_t)tck;
    c->kernel = sys * 1000000000ULL / (uint64_t)tck;
  }
  if (percpu)
    c->npercpu = parse_numbers(percpu, &c->percpu);
  if (all) {
    /* "cpu user system" then one line per cpu */
    char *l = strchr(all, '\n');
    size_t cap = 0;
    while (l && *++l) {
      unsigned long long cpu, u, s;
      if (sscanf(l, "%llu %llu %llu", &cpu, &u, &s) == 3) {
        if (c->npk == cap) {
          cap = cap ? cap * 2 : 16;
          uint64_t *a = realloc(c->pk, cap * sizeof *a), *b = a ? realloc(c->pu, cap * sizeof *b) : NULL;
          if (a)
            c->pk = a;
          if (b == NULL)
            break;
          c->pu = b;
        }
        c->pk[c->npk++] = s;
        c->pu[c->npu++] = u;
      }
      l = strchr(l, '\n');
    }
  }
  c->periods = keyed(d->cpu, "cpu.stat", "nr_periods");
  c->throttled = keyed(d->cpu, "cpu.stat", "nr_throttled");
  c->throttled_time = keyed(d->cpu, "cpu.stat", "throttled_time");
}

static void v2_cpu(const char *dir, struct cpu_stats *c)
{
  memset(c, 0, sizeof *c);
  c->total = keyed(dir, "cpu.stat", "usage_usec") * 1000;
  c->user = keyed(dir, "cpu.stat", "user_usec") * 1000;
  c->kernel = keyed(dir, "cpu.stat", "system_usec") * 1000;
  c->periods = keyed(dir, "cpu.stat", "nr_periods");
  c->throttled = keyed(dir, "cpu.stat", "nr_throttled");
  c->throttled_time = keyed(dir, "cpu.stat", "throttled_usec") * 1000;
}

/* ---- cpuset ---- */

static void cpu_list(yajl_gen g, const char *k, const char *dir, const char *file)
{
  cleanup_free char *text = read_text(dir, file);
  cleanup_free uint16_t *v = NULL;
  size_t n = 0;

  if (text == NULL || sbx_parse_cpu_list(text, &v, &n) < 0 || n == 0)
    return;
  key(g, k);
  yajl_gen_array_open(g);
  for (size_t i = 0; i < n; i++)
    yajl_gen_integer(g, v[i]);
  yajl_gen_array_close(g);
}

static void gen_cpuset(yajl_gen g, const char *dir)
{
  cleanup_free char *level = read_text(dir, "cpuset.sched_relax_domain_level");

  key(g, "cpuset");
  yajl_gen_map_open(g);
  cpu_list(g, "cpus", dir, "cpuset.cpus");
  u64(g, "cpu_exclusive", u64_of(dir, "cpuset.cpu_exclusive"));
  cpu_list(g, "mems", dir, "cpuset.mems");
  u64(g, "mem_hardwall", u64_of(dir, "cpuset.mem_hardwall"));
  u64(g, "mem_exclusive", u64_of(dir, "cpuset.mem_exclusive"));
  u64(g, "memory_migrate", u64_of(dir, "cpuset.memory_migrate"));
  u64(g, "memory_spread_page", u64_of(dir, "cpuset.memory_spread_page"));
  u64(g, "memory_spread_slab", u64_of(dir, "cpuset.memory_spread_slab"));
  u64(g, "memory_pressure", u64_of(dir, "cpuset.memory_pressure"));
  u64(g, "sched_load_balance", u64_of(dir, "cpuset.sched_load_balance"));
  key(g, "sched_relax_domain_level");
  yajl_gen_integer(g, level ? strtoll(level, NULL, 10) : 0);
  yajl_gen_map_close(g);
}

/* ---- memory ---- */

struct mem_entry {
  uint64_t limit, usage, max, failcnt;
};

static void gen_mem_entry(yajl_gen g, const char *k, const struct mem_entry *e)
{
  key(g, k);
  yajl_gen_map_open(g);
  u64(g, "limit", e->limit);
  u64_omitempty(g, "usage", e->usage);
  u64_omitempty(g, "max", e->max);
  u64(g, "failcnt", e->failcnt);
  yajl_gen_map_close(g);
}

struct kv {
  char *k;
  uint64_t v;
};

static int kv_cmp(const void *a, const void *b)
{
  return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/* "key value" lines -> sorted pairs (pointing into text) */
static size_t parse_flat(char *text, struct kv **out)
{
  size_t n = 0, cap = 0;
  struct kv *v = NULL;
  char *save = NULL;

  for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
    char *sp = strchr(l, ' ');
    if (sp == NULL)
      continue;
    *sp = '\0';
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      struct kv *g = realloc(v, cap * sizeof *v);
      if (g == NULL)
        break;
      v = g;
    }
    v[n].k = l;
    v[n].v = strtoull(sp + 1, NULL, 10);
    n++;
  }
  if (n)
    qsort(v, n, sizeof *v, kv_cmp);
  *out = v;
  return n;
}

static uint64_t kv_get(const struct kv *v, size_t n, const char *k)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i].k, k) == 0)
      return v[i].v;
  return 0;
}

static void v1_mem_entry(const char *dir, const char *prefix, struct mem_entry *e)
{
  char f[96];

  memset(e, 0, sizeof *e);
  snprintf(f, sizeof f, "%s.usage_in_bytes", prefix);
  if (!sbx_cg_exists(dir, f))
    return;
  e->usage = u64_of(dir, f);
  snprintf(f, sizeof f, "%s.max_usage_in_bytes", prefix);
  e->max = u64_of(dir, f);
  snprintf(f, sizeof f, "%s.failcnt", prefix);
  e->failcnt = u64_of(dir, f);
  snprintf(f, sizeof f, "%s.limit_in_bytes", prefix);
  e->limit = u64_of(dir, f);
}

static void gen_memory(yajl_gen g, const char *dir, bool v2)
{
  cleanup_free char *text = read_text(dir, "memory.stat");
  cleanup_free struct kv *raw = NULL;
  size_t n = parse_flat(text, &raw);
  struct mem_entry usage, swap, kernel, tcp;

  memset(&kernel, 0, sizeof kernel);
  memset(&tcp, 0, sizeof tcp);
  if (v2) {
    memset(&usage, 0, sizeof usage);
    memset(&swap, 0, sizeof swap);
    usage.usage = u64_of(dir, "memory.current");
    usage.limit = u64_of(dir, "memory.max");
    if (sbx_cg_exists(dir, "memory.swap.current")) {
      swap.usage = u64_of(dir, "memory.swap.current") + usage.usage;
      swap.limit = u64_of(dir, "memory.swap.max");
      if (swap.limit != UINT64_MAX)
        swap.limit += usage.limit;
    }
  } else {
    v1_mem_entry(dir, "memory", &usage);
    v1_mem_entry(dir, "memory.memsw", &swap);
    v1_mem_entry(dir, "memory.kmem", &kernel);
    v1_mem_entry(dir, "memory.kmem.tcp", &tcp);
  }
  key(g, "memory");
  yajl_gen_map_open(g);
  u64_omitempty(g, "cache", kv_get(raw, n, v2 ? "file" : "cache"));
  gen_mem_entry(g, "usage", &usage);
  gen_mem_entry(g, "swap", &swap);
  gen_mem_entry(g, "kernel", &kernel);
  gen_mem_entry(g, "kernelTCP", &tcp);
  if (n) {
    key(g, "raw");
    yajl_gen_map_open(g);
    for (size_t i = 0; i < n; i++)
      u64(g, raw[i].k, raw[i].v);
    yajl_gen_map_close(g);
  }
  yajl_gen_map_close(g);
}

/* ---- pids ---- */

static void gen_pids(yajl_gen g, const char *dir)
{
  uint64_t cur = u64_of(dir, "pids.current"), max = u64_of(dir, "pids.max");

  if (dir && !sbx_cg_exists(dir, "pids.current")) {
    cleanup_free char *procs = read_text(dir, "cgroup.procs");
    cur = 0;
    for (char *p = procs; p && *p; p++)
      cur += *p == '\n';
  }
  key(g, "pids");
  yajl_gen_map_open(g);
  u64_omitempty(g, "current", cur);
  u64_omitempty(g, "limit", max == UINT64_MAX ? 0 : max);
  yajl_gen_map_close(g);
}

/* ---- blkio ---- */

enum { B_BYTES, B_SERVICED, B_QUEUED, B_STIME, B_WTIME, B_MERGED, B_TIME, B_SECTORS, B_N };
static const char *const blk_names[B_N] = {
  "ioServiceBytesRecursive", "ioServicedRecursive", "ioQueueRecursive", "ioServiceTimeRecursive",
  "ioWaitTimeRecursive", "ioMergedRecursive", "ioTimeRecursive", "sectorsRecursive",
};

struct blk_entry {
  uint64_t major, minor, value;
  char op[16];
};
struct blk_list {
  struct blk_entry *v;
  size_t n, cap;
};

static void blk_add(struct blk_list *l, uint64_t major, uint64_t minor, const char *op, uint64_t value)
{
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    struct blk_entry *g = realloc(l->v, cap * sizeof *g);
    if (g == NULL)
      return;
    l->v = g;
    l->cap = cap;
  }
  struct blk_entry *e = &l->v[l->n++];
  e->major = major;
  e->minor = minor;
  e->value = value;
  snprintf(e->op, sizeof e->op, "%s", op ? op : "");
}

/* v1 "maj:min [Op] value" lines ("Total N" skipped) */
static void v1_blk_file(const char *dir, const char *file, struct blk_list *l)
{
  cleanup_free char *text = read_text(dir, file);
  char *save = NULL;

  for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
       line = strtok_r(NULL, "\n", &save)) {
    unsigned long long maj, min, v;
    char op[16];
    if (sscanf(line, "%llu:%llu %15s %llu", &maj, &min, op, &v) == 4)
      blk_add(l, maj, min, op, v);
    else if (sscanf(line, "%llu:%llu %llu", &maj, &min, &v) == 3)
      blk_add(l, maj, min, NULL, v);
  }
}

static void v1_blkio(const char *dir, struct blk_list *l)
{
  static const struct { const char *file; int slot; } cfq[] = {
    { "blkio.sectors_recursive", B_SECTORS }, { "blkio.io_service_time_recursive", B_STIME },
    { "blkio.io_wait_time_recursive", B_WTIME }, { "blkio.io_merged_recursive", B_MERGED },
    { "blkio.io_queued_recursive", B_QUEUED }, { "blkio.time_recursive", B_TIME },
    { "blkio.io_serviced_recursive", B_SERVICED }, { "blkio.io_service_bytes_recursive", B_BYTES },
  }, bfq[] = {
    { "blkio.bfq.sectors_recursive", B_SECTORS }, { "blkio.bfq.io_service_time_recursive", B_STIME },
    { "blkio.bfq.io_wait_time_recursive", B_WTIME }, { "blkio.bfq.io_merged_recursive", B_MERGED },
    { "blkio.bfq.io_queued_recursive", B_QUEUED }, { "blkio.bfq.time_recursive", B_TIME },
    { "blkio.bfq.io_serviced_recursive", B_SERVICED }, { "blkio.bfq.io_service_bytes_recursive", B_BYTES },
  }, thr[] = {
    { "blkio.throttle.io_serviced_recursive", B_SERVICED },
    { "blkio.throttle.io_service_bytes_recursive", B_BYTES },
  };
  const __typeof__(cfq[0]) *set = thr;
  size_t n = 2;

  if (dir == NULL)
    return;
  if (sbx_cg_exists(dir, "blkio.io_serviced_recursive"))
    set = cfq, n = 8;
  else if (sbx_cg_exists(dir, "blkio.bfq.io_serviced_recursive"))
    set = bfq, n = 8;   /* the debug files are skipped when absent */
  for (size_t i = 0; i < n; i++)
    v1_blk_file(dir, set[i].file, &l[set[i].slot]);
}

/* v2 io.stat: "maj:min rbytes=N wbytes=N rios=N wios=N ..." */
static void v2_io(const char *dir, struct blk_list *l)
{
  cleanup_free char *text = read_text(dir, "io.stat");
  char *save = NULL;

  for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
       line = strtok_r(NULL, "\n", &save)) {
    unsigned long long maj, min;
    int off = 0;
    if (sscanf(line, "%llu:%llu%n", &maj, &min, &off) != 2)
      continue;
    char *save2 = NULL;
    for (char *f = strtok_r(line + off, " ", &save2); f; f = strtok_r(NULL, " ", &save2)) {
      char *eq = strchr(f, '=');
      if (eq == NULL)
        continue;
      *eq = '\0';
      uint64_t v = strtoull(eq + 1, NULL, 10);
      if (strcmp(f, "rbytes") == 0)
        blk_add(&l[B_BYTES], maj, min, "Read", v);
      else if (strcmp(f, "wbytes") == 0)
        blk_add(&l[B_BYTES], maj, min, "Write", v);
      else if (strcmp(f, "rios") == 0)
        blk_add(&l[B_SERVICED], maj, min, "Read", v);
      else if (strcmp(f, "wios") == 0)
        blk_add(&l[B_SERVICED], maj, min, "Write", v);
    }
  }
}

static void gen_blkio(yajl_gen g, struct blk_list *l)
{
  key(g, "blkio");
  yajl_gen_map_open(g);
  for (int s = 0; s < B_N; s++) {
    if (l[s].n == 0)
      continue;
    key(g, blk_names[s]);
    yajl_gen_array_open(g);
    for (size_t i = 0; i < l[s].n; i++) {
      const struct blk_entry *e = &l[s].v[i];
      yajl_gen_map_open(g);
      u64_omitempty(g, "major", e->major);
      u64_omitempty(g, "minor", e->minor);
      if (e->op[0]) {
        key(g, "op");
        key(g, e->op);
      }
      u64_omitempty(g, "value", e->value);
      yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    free(l[s].v);
  }
  yajl_gen_map_close(g);
}

/* ---- hugetlb ---- */

static int str_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "hugepages-2048kB" -> "2MB" (runc's naming) */
static char *page_size_name(const char *dname)
{
  unsigned long long kb;
  const char *unit[] = { "KB", "MB", "GB", "TB", "PB" };
  int u = 0;

  if (sscanf(dname, "hugepages-%llukB", &kb) != 1)
    return NULL;
  while (kb >= 1024 && kb % 1024 == 0 && u < 4) {
    kb /= 1024;
    u++;
  }
  return sbx_strdup_printf("%llu%s", kb, unit[u]);
}

static void gen_hugetlb(yajl_gen g, const char *dir, bool v2)
{
  DIR *d = dir ? opendir("/sys/kernel/mm/hugepages") : NULL;
  char *names[64];
  size_t n = 0;
  struct dirent *de;

  while (d && (de = readdir(d)) && n < 64) {
    char *s = page_size_name(de->d_name);
    if (s)
      names[n++] = s;
  }
  if (d)
    closedir(d);
  qsort(names, n, sizeof names[0], str_cmp);
  key(g, "hugetlb");
  yajl_gen_map_open(g);
  for (size_t i = 0; i < n; i++) {
    char f[96];
    uint64_t usage, max = 0, failcnt;
    if (v2) {
      snprintf(f, sizeof f, "hugetlb.%s.current", names[i]);
      usage = u64_of(dir, f);
      snprintf(f, sizeof f, "hugetlb.%s.events", names[i]);
      failcnt = keyed(dir, f, "max");
    } else {
      snprintf(f, sizeof f, "hugetlb.%s.usage_in_bytes", names[i]);
      usage = u64_of(dir, f);
      snprintf(f, sizeof f, "hugetlb.%s.max_usage_in_bytes", names[i]);
      max = u64_of(dir, f);
      snprintf(f, sizeof f, "hugetlb.%s.failcnt", names[i]);
      failcnt = u64_of(dir, f);
    }
    key(g, names[i]);
    yajl_gen_map_open(g);
    u64_omitempty(g, "usage", usage);
    u64_omitempty(g, "max", max);
    u64(g, "failcnt", failcnt);
    yajl_gen_map_close(g);
    free(names[i]);
  }
  yajl_gen_map_close(g);
}

/* ---- the document ---- */

static char *finish(yajl_gen g, struct sbx_error *err)
{
  const unsigned char *buf;
  size_t len;
  char *out = NULL;

  /* intel_rdt: not collected; network_interfaces: none (runc: null) */
  key(g, "intel_rdt");
  yajl_gen_map_open(g);
  yajl_gen_map_close(g);
  key(g, "network_interfaces");
  yajl_gen_null(g);
  yajl_gen_map_close(g);
  if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
    out = strndup((const char *)buf, len);
  yajl_gen_free(g);
  if (out == NULL)
    sbx_fail(err, ENOMEM, "cgroup stats");
  return out;
}

char *sbx_cgroup_v1_stats_json(const struct sbx_cgroup_dirs *d, struct sbx_error *err)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  struct cpu_stats c;
  struct blk_list blk[B_N];

  if (g == NULL)
    return sbx_fail(err, ENOMEM, "cgroup stats"), NULL;
  if (d->memory && access(d->memory, F_OK) < 0) {
    int e = errno;
    yajl_gen_free(g);
    return sbx_fail(err, e, "cgroup stats: `%s`", d->memory), NULL;
  }
  memset(blk, 0, sizeof blk);
  yajl_gen_map_open(g);
  v1_cpu(d, &c);
  gen_cpu(g, &c);
  gen_cpuset(g, d->cpuset);
  gen_memory(g, d->memory, false);
  gen_pids(g, d->pids);
  v1_blkio(d->blkio, blk);
  gen_blkio(g, blk);
  gen_hugetlb(g, d->hugetlb, false);
  return finish(g, err);
}

char *sbx_cgroup_v2_stats_json(const char *dir, struct sbx_error *err)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  struct cpu_stats c;
  struct blk_list blk[B_N];

  if (g == NULL)
    return sbx_fail(err, ENOMEM, "cgroup stats"), NULL;
  if (access(dir, F_OK) < 0) {
    int e = errno;
    yajl_gen_free(g);
    return sbx_fail(err, e, "cgroup stats: `%s`", dir), NULL;
  }
  memset(blk, 0, sizeof blk);
  yajl_gen_map_open(g);
  v2_cpu(dir, &c);
  gen_cpu(g, &c);
  gen_cpuset(g, NULL);   /* runc 1.1.5 collects no cpuset stats on v2 */
  gen_memory(g, dir, true);
  gen_pids(g, dir);
  v2_io(dir, blk);
  gen_blkio(g, blk);
  gen_hugetlb(g, dir, true);
  return finish(g, err);
}

char *sbx_cgroup_stats_json(const char *path, struct sbx_error *err)
{
  char *out;

  if (sbx_cgroup_mode() == SBX_CGROUP_V2) {
    cleanup_free char *dir = sbx_cgroup_controller_dir(NULL, path);
    if (dir == NULL)
      return sbx_fail(err, ENOENT, "cgroup stats: no cgroup2 hierarchy"), NULL;
    return sbx_cgroup_v2_stats_json(dir, err);
  }
  struct sbx_cgroup_dirs d;
  sbx_cgroup_v1_dirs(path, &d);
  out = sbx_cgroup_v1_stats_json(&d, err);
  sbx_cgroup_dirs_free(&d);
  return out;
}

/* ---- OOM ---- */

/* The memory controller's dir of path and whether it is v2. */
static char *memory_dir(const char *path, bool *v2)
{
  *v2 = sbx_cgroup_mode() == SBX_CGROUP_V2;
  return sbx_cgroup_controller_dir(*v2 ? NULL : "memory", path);
}

int sbx_cgroup_oom_watch(const char *path, struct sbx_error *err)
{
  bool v2;
  cleanup_free char *dir = memory_dir(path, &v2);
  cleanup_free char *file = NULL;

  if (dir == NULL)
    return sbx_fail(err, ENOENT, "oom watch: no memory cgroup controller");
  if (v2) {
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    file = sbx_strdup_printf("%s/memory.events", dir);
    if (fd < 0)
      return sbx_fail(err, errno, "oom watch: inotify");
    if (inotify_add_watch(fd, file, IN_MODIFY) < 0) {
      int e = errno;
      close(fd);
      return sbx_fail(err, e, "oom watch: watch `%s`", file);
    }
    return fd;
  }
  file = sbx_strdup_printf("%s/memory.oom_control", dir);
  cleanup_close int ofd = open(file, O_RDONLY | O_CLOEXEC);
  if (ofd < 0)
    return sbx_fail(err, errno, "oom watch: open `%s`", file);
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0)
    return sbx_fail(err, errno, "oom watch: eventfd");
  char line[64];
  int n = snprintf(line, sizeof line, "%d %d", efd, ofd);
  cleanup_free char *ctl = sbx_strdup_printf("%s/cgroup.event_control", dir);
  struct sbx_error e2 = { 0 };
  if (ctl == NULL || sbx_write_file(ctl, line, (size_t)n, &e2) < 0) {
    close(efd);
    sbx_fail(err, e2.errnum, "oom watch: %s", e2.msg ? e2.msg : "register");
    sbx_error_clear(&e2);
    return -1;
  }
  return efd;
}

void sbx_cgroup_oom_ack(int fd)
{
  char buf[4096];

  while (read(fd, buf, sizeof buf) > 0)
    ;
}

int sbx_cgroup_oom_count(const char *path, unsigned long long *count, struct sbx_error *err)
{
  bool v2;
  cleanup_free char *dir = memory_dir(path, &v2);
  const char *file = v2 ? "memory.events" : "memory.oom_control";
  cleanup_free char *text = NULL;

  *count = 0;
  if (dir == NULL)
    return sbx_fail(err, ENOENT, "oom count: no memory cgroup controller");
  cleanup_free char *p = sbx_strdup_printf("%s/%s", dir, file);
  if (p == NULL || sbx_read_file(p, &text, NULL, err) < 0)
    return -1;
  for (char *l = text; l && *l;) {
    if (strncmp(l, "oom_kill ", 9) == 0) {
      *count = strtoull(l + 9, NULL, 10);
      return 0;
    }
    l = strchr(l, '\n');
    l = l ? l + 1 : NULL;
  }
  return 0;
}
