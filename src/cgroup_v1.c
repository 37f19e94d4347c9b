/* cgroup_v1.c: linux.resources on cgroup v1 (and hybrid) hosts, the
 * shared write helper, and the entry points that pick v1 or v2 (see
 * cgroup_resources.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cgroup_resources.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups.h"
#include "utils.h"

/* ---- shared helpers ---- */

static int unsupported(struct sbx_error *err, const char *key, const char *fmt, const char *what)
{
  char why[512];

  snprintf(why, sizeof why, fmt, what);
  sbx_invalid(err, "%s: not supported by this host (%s)", key, why);
  if (err)
    err->errnum = EOPNOTSUPP;
  return -1;
}

bool sbx_cg_exists(const char *dir, const char *file)
{
  cleanup_free char *p = NULL;

  if (dir == NULL)
    return false;
  p = sbx_strdup_printf("%s/%s", dir, file);
  return p && access(p, F_OK) == 0;
}

int sbx_cg_write(const char *dir, const char *controller, const char *file, const char *value,
                 const char *key, struct sbx_error *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;

  if (dir == NULL)
    return unsupported(err, key, "no %s cgroup controller", controller);
  path = sbx_strdup_printf("%s/%s", dir, file);
  if (path == NULL)
    return sbx_fail(err, ENOMEM, "%s", key);
  fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT && access(dir, F_OK) == 0)
      return unsupported(err, key, "no %s", file);
    return sbx_fail(err, errno, "%s: open `%s`", key, path);
  }
  if (sbx_write_all(fd, value, strlen(value)) < 0)
    return sbx_fail(err, errno, "%s: write `%s` to `%s`", key, value, path);
  return 0;
}

int sbx_cg_read_u64(const char *dir, const char *file, uint64_t *out)
{
  cleanup_free char *p = sbx_strdup_printf("%s/%s", dir, file);
  cleanup_free char *text = NULL;

  if (p == NULL || sbx_read_file(p, &text, NULL, NULL) < 0)
    return -1;
  if (strncmp(text, "max", 3) == 0) {
    *out = UINT64_MAX;
    return 0;
  }
  errno = 0;
  *out = strtoull(text, NULL, 10);
  return errno ? -1 : 0;
}

/* ---- conversions (runc's) ---- */

uint64_t sbx_cpu_shares_to_weight(uint64_t shares)
{
  if (shares == 0)
    return 0;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t sbx_blkio_weight_to_io_weight(uint64_t weight)
{
  if (weight == 0)
    return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

int sbx_memory_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, const char **why)
{
  if (limit == -1 && swap == 0) {
    *out = -1;   /* unlimited memory, swap not given: both unlimited */
    return 0;
  }
  if (swap == -1 || swap == 0) {
    *out = swap;
    return 0;
  }
  if (limit == 0 || limit == -1) {
    *why = "unable to set swap limit without memory limit";
    return -1;
  }
  if (limit < 0) {
    *why = "invalid memory limit";
    return -1;
  }
  if (swap < limit) {
    *why = "memory+swap limit should be >= memory limit";
    return -1;
  }
  *out = swap - limit;
  return 0;
}

int sbx_parse_cpu_list(const char *s, uint16_t **out, size_t *n)
{
  uint16_t *v = NULL;
  size_t len = 0;
  cleanup_free char *copy = strdup(s ? s : "");
  char *tok, *save = NULL;
  size_t l;

  *out = NULL;
  *n = 0;
  if (copy == NULL)
    return -1;
  l = strlen(copy);
  while (l > 0 && (copy[l - 1] == '\n' || copy[l - 1] == ' '))
    copy[--l] = '\0';
  if (l == 0)
    return -1;
  for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *dash = strchr(tok, '-');
    long lo, hi;
    if (dash) {
      *dash = '\0';
      if (strchr(dash + 1, '-') || !sbx_parse_long(tok, &lo) || !sbx_parse_long(dash + 1, &hi))
        goto bad;
    } else if (!sbx_parse_long(tok, &lo)) {
      goto bad;
    } else {
      hi = lo;
    }
    if (lo < 0 || hi > 65535 || lo > hi)
      goto bad;
    uint16_t *grown = realloc(v, (len + (size_t)(hi - lo + 1)) * sizeof *v);
    if (grown == NULL)
      goto bad;
    v = grown;
    for (long i = lo; i <= hi; i++)
      v[len++] = (uint16_t)i;
  }
  *out = v;
  *n = len;
  return 0;
bad:
  free(v);
  return -1;
}

/* ---- v1 ---- */

#define KEY(buf, ...) (snprintf(buf, sizeof buf, __VA_ARGS__), buf)

static int w_i64(const char *dir, const char *ctrl, const char *file, int64_t v, const char *key,
                 struct sbx_error *err)
{
  char val[32];

  snprintf(val, sizeof val, "%" PRId64, v);
  return sbx_cg_write(dir, ctrl, file, val, key, err);
}

static int w_u64(const char *dir, const char *ctrl, const char *file, uint64_t v, const char *key,
                 struct sbx_error *err)
{
  char val[32];

  snprintf(val, sizeof val, "%" PRIu64, v);
  return sbx_cg_write(dir, ctrl, file, val, key, err);
}

static int v1_memory_limit(const char *dir, int64_t limit, struct sbx_error *err)
{
  const char *key = "linux.resources.memory.limit";
  uint64_t usage = 0, peak = 0;

  if (limit == 0)
    return 0;
  if (w_i64(dir, "memory", "memory.limit_in_bytes", limit, key, err) == 0)
    return 0;
  if (err == NULL || err->errnum != EBUSY)
    return -1;
  sbx_cg_read_u64(dir, "memory.usage_in_bytes", &usage);
  sbx_cg_read_u64(dir, "memory.max_usage_in_bytes", &peak);
  return sbx_invalid(err, "%s: unable to set memory limit to %" PRId64
                  " (current usage: %" PRIu64 ", peak usage: %" PRIu64 ")", key, limit, usage, peak);
}

static int v1_memory(const char *dir, const struct oci_memory *m, struct sbx_error *err)
{
  int64_t limit = m->has_limit ? m->limit : 0, swap = m->has_swap ? m->swap : 0;
  const char *swap_key = "linux.resources.memory.swap";

  if (limit == -1 && swap == 0 && sbx_cg_exists(dir, "memory.memsw.limit_in_bytes"))
    swap = -1;
  /* memsw must stay >= limit at every step: raise it first when it grows */
  if (limit != 0 && swap != 0) {
    uint64_t cur = 0;
    if (dir && sbx_cg_read_u64(dir, "memory.limit_in_bytes", &cur) == 0 &&
        (swap == -1 || cur < (uint64_t)swap)) {
      if (w_i64(dir, "memory", "memory.memsw.limit_in_bytes", swap, swap_key, err) < 0 ||
          v1_memory_limit(dir, limit, err) < 0)
        return -1;
      goto rest;
    }
  }
  if (v1_memory_limit(dir, limit, err) < 0)
    return -1;
  if (swap != 0 && w_i64(dir, "memory", "memory.memsw.limit_in_bytes", swap, swap_key, err) < 0)
    return -1;
rest:
  if (m->has_reservation && m->reservation != 0 &&
      w_i64(dir, "memory", "memory.soft_limit_in_bytes", m->reservation,
            "linux.resources.memory.reservation", err) < 0)
    return -1;
  if (m->has_disable_oom_killer && m->disable_oom_killer &&
      sbx_cg_write(dir, "memory", "memory.oom_control", "1",
                   "linux.resources.memory.disableOOMKiller", err) < 0)
    return -1;
  if (m->has_swappiness && (int64_t)m->swappiness != -1) {
    if (m->swappiness > 100)
      return sbx_invalid(err, "linux.resources.memory.swappiness: invalid value %" PRIu64
                      " (valid range is 0-100)", m->swappiness);
    if (w_u64(dir, "memory", "memory.swappiness", m->swappiness,
              "linux.resources.memory.swappiness", err) < 0)
      return -1;
  }
  /* kernel, kernelTCP, useHierarchy: ignored, as runc does */
  return 0;
}

static int v1_cpu(const struct sbx_cgroup_dirs *d, const struct oci_cpu *c, struct sbx_error *err)
{
  const char *dir = d->cpu;
  bool period_pending = false;

  if (c->has_shares && c->shares != 0) {
    const char *key = "linux.resources.cpu.shares";
    uint64_t got = 0;
    if (w_u64(dir, "cpu", "cpu.shares", c->shares, key, err) < 0)
      return -1;
    if (sbx_cg_read_u64(dir, "cpu.shares", &got) == 0 && got != c->shares)
      return sbx_invalid(err, "%s: the %s allowed cpu-shares is %" PRIu64, key,
                      c->shares > got ? "maximum" : "minimum", got);
  }
  if (c->has_period && c->period != 0) {
    /* a new period may be refused (EINVAL) until the quota fits it */
    if (w_u64(dir, "cpu", "cpu.cfs_period_us", c->period, "linux.resources.cpu.period", err) < 0) {
      if (err == NULL || err->errnum != EINVAL || !(c->has_quota && c->quota != 0))
        return -1;
      period_pending = true;
    }
  }
  if (c->has_quota && c->quota != 0) {
    if (w_i64(dir, "cpu", "cpu.cfs_quota_us", c->quota, "linux.resources.cpu.quota", err) < 0)
      return -1;
    if (period_pending &&
        w_u64(dir, "cpu", "cpu.cfs_period_us", c->period, "linux.resources.cpu.period", err) < 0)
      return -1;
  }
  if (c->has_burst &&
      w_u64(dir, "cpu", "cpu.cfs_burst_us", c->burst, "linux.resources.cpu.burst", err) < 0)
    return -1;
  if (c->has_realtime_period && c->realtime_period != 0 &&
      w_u64(dir, "cpu", "cpu.rt_period_us", c->realtime_period,
            "linux.resources.cpu.realtimePeriod", err) < 0)
    return -1;
  if (c->has_realtime_runtime && c->realtime_runtime != 0 &&
      w_i64(dir, "cpu", "cpu.rt_runtime_us", c->realtime_runtime,
            "linux.resources.cpu.realtimeRuntime", err) < 0)
    return -1;
  if (c->has_idle && w_i64(dir, "cpu", "cpu.idle", c->idle, "linux.resources.cpu.idle", err) < 0)
    return -1;
  return 0;
}

static int v1_cpuset(const char *dir, const struct oci_cpu *c, struct sbx_error *err)
{
  if (c->cpus && *c->cpus &&
      sbx_cg_write(dir, "cpuset", "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", err) < 0)
    return -1;
  if (c->mems && *c->mems &&
      sbx_cg_write(dir, "cpuset", "cpuset.mems", c->mems, "linux.resources.cpu.mems", err) < 0)
    return -1;
  return 0;
}

static int throttle(const char *dir, const char *ctrl, const char *file, const char *name,
                    const struct oci_throttle_device *t, size_t n, const char *what,
                    struct sbx_error *err)
{
  for (size_t i = 0; i < n; i++) {
    char key[128], val[96];
    KEY(key, "linux.resources.blockIO.%s[%zu]", name, i);
    if (what)   /* v2 io.max: "maj:min rbps=N" */
      snprintf(val, sizeof val, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i].major, t[i].minor,
               what, t[i].rate);
    else
      snprintf(val, sizeof val, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major, t[i].minor,
               t[i].rate);
    if (sbx_cg_write(dir, ctrl, file, val, key, err) < 0)
      return -1;
  }
  return 0;
}

/* shared with v2 (io.max) */
int sbx_cg_throttles(const char *dir, const char *ctrl, const struct oci_block_io *b, bool v2,
                     struct sbx_error *err)
{
  if (throttle(dir, ctrl, v2 ? "io.max" : "blkio.throttle.read_bps_device", "throttleReadBpsDevice",
               b->throttle_read_bps_device, b->throttle_read_bps_device_len, v2 ? "rbps" : NULL, err) < 0 ||
      throttle(dir, ctrl, v2 ? "io.max" : "blkio.throttle.write_bps_device", "throttleWriteBpsDevice",
               b->throttle_write_bps_device, b->throttle_write_bps_device_len, v2 ? "wbps" : NULL, err) < 0 ||
      throttle(dir, ctrl, v2 ? "io.max" : "blkio.throttle.read_iops_device", "throttleReadIOPSDevice",
               b->throttle_read_iops_device, b->throttle_read_iops_device_len, v2 ? "riops" : NULL, err) < 0 ||
      throttle(dir, ctrl, v2 ? "io.max" : "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice",
               b->throttle_write_iops_device, b->throttle_write_iops_device_len, v2 ? "wiops" : NULL, err) < 0)
    return -1;
  return 0;
}

static int v1_blkio(const char *dir, const struct oci_block_io *b, struct sbx_error *err)
{
  /* CFQ's blkio.weight, or BFQ's blkio.bfq.weight (as runc) */
  bool cfq = sbx_cg_exists(dir, "blkio.weight");
  const char *wfile = cfq ? "blkio.weight" : "blkio.bfq.weight";
  const char *wdfile = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";

  if (b->has_weight && b->weight != 0 &&
      w_u64(dir, "blkio", wfile, b->weight, "linux.resources.blockIO.weight", err) < 0)
    return -1;
  if (b->has_leaf_weight && b->leaf_weight != 0 &&
      w_u64(dir, "blkio", "blkio.leaf_weight", b->leaf_weight,
            "linux.resources.blockIO.leafWeight", err) < 0)
    return -1;
  for (size_t i = 0; i < b->weight_device_len; i++) {
    const struct oci_weight_device *w = &b->weight_device[i];
    char key[96], val[64];
    if (w->has_weight && w->weight != 0) {
      KEY(key, "linux.resources.blockIO.weightDevice[%zu].weight", i);
      snprintf(val, sizeof val, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight);
      if (sbx_cg_write(dir, "blkio", wdfile, val, key, err) < 0)
        return -1;
    }
    if (w->has_leaf_weight && w->leaf_weight != 0) {
      KEY(key, "linux.resources.blockIO.weightDevice[%zu].leafWeight", i);
      snprintf(val, sizeof val, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->leaf_weight);
      if (sbx_cg_write(dir, "blkio", "blkio.leaf_weight_device", val, key, err) < 0)
        return -1;
    }
  }
  return sbx_cg_throttles(dir, "blkio", b, false, err);
}

/* shared with v2 */
int sbx_cg_page_size_ok(const char *size, const char *key, struct sbx_error *err)
{
  if (size == NULL || *size == '\0' || strchr(size, '/') || strchr(size, '.'))
    return sbx_invalid(err, "%s.pageSize: invalid page size `%s`", key, size ? size : "");
  return 0;
}

static int v1_hugetlb(const char *dir, const struct oci_resources *r, struct sbx_error *err)
{
  for (size_t i = 0; i < r->hugepage_limits_len; i++) {
    const struct oci_hugepage_limit *h = &r->hugepage_limits[i];
    char key[64];
    cleanup_free char *file = NULL;
    KEY(key, "linux.resources.hugepageLimits[%zu]", i);
    if (sbx_cg_page_size_ok(h->page_size, key, err) < 0)
      return -1;
    file = sbx_strdup_printf("hugetlb.%s.limit_in_bytes", h->page_size);
    if (w_u64(dir, "hugetlb", file, h->limit, key, err) < 0)
      return -1;
  }
  return 0;
}

static int v1_network(const struct sbx_cgroup_dirs *d, const struct oci_network *n,
                      struct sbx_error *err)
{
  if (n->has_class_id && n->class_id != 0 &&
      w_u64(d->net_cls, "net_cls", "net_cls.classid", n->class_id,
            "linux.resources.network.classID", err) < 0)
    return -1;
  for (size_t i = 0; i < n->priorities_len; i++) {
    char key[80];
    cleanup_free char *val =
        sbx_strdup_printf("%s %u", n->priorities[i].name, n->priorities[i].priority);
    KEY(key, "linux.resources.network.priorities[%zu]", i);
    if (sbx_cg_write(d->net_prio, "net_prio", "net_prio.ifpriomap", val, key, err) < 0)
      return -1;
  }
  return 0;
}

/* shared with v2: rdma.max */
int sbx_cg_rdma(const char *dir, const struct oci_resources *r, struct sbx_error *err)
{
  for (size_t i = 0; i < r->rdma_len; i++) {
    const struct oci_rdma *x = &r->rdma[i];
    char key[300], val[300];
    int k;
    KEY(key, "linux.resources.rdma.%s", x->device);
    if (!x->has_hca_handles && !x->has_hca_objects)
      continue;
    k = snprintf(val, sizeof val, "%s", x->device);
    if (x->has_hca_handles)
      k += snprintf(val + k, sizeof val - k, " hca_handle=%u", x->hca_handles);
    if (x->has_hca_objects)
      snprintf(val + k, sizeof val - k, " hca_object=%u", x->hca_objects);
    if (sbx_cg_write(dir, "rdma", "rdma.max", val, key, err) < 0)
      return -1;
  }
  return 0;
}

/* shared with v2: each unified key as a file of dir */
int sbx_cg_unified(const char *dir, const struct oci_resources *r, struct sbx_error *err)
{
  for (size_t i = 0; i < r->unified_len; i++) {
    const char *k = r->unified[i].key;
    char key[300];
    KEY(key, "linux.resources.unified.%s", k);
    if (*k == '\0' || strchr(k, '/') || strcmp(k, ".") == 0 || strcmp(k, "..") == 0)
      return sbx_invalid(err, "%s: invalid cgroup file name", key);
    if (sbx_cg_write(dir, "cgroup2", k, r->unified[i].value, key, err) < 0)
      return -1;
  }
  return 0;
}

/* shared with v2: pids.max; 0 is unset, < 0 is "max" (runc) */
int sbx_cg_pids(const char *dir, const char *ctrl, const struct oci_pids *p, struct sbx_error *err)
{
  char val[32] = "max";

  if (p->limit == 0)
    return 0;
  if (p->limit > 0)
    snprintf(val, sizeof val, "%" PRId64, p->limit);
  return sbx_cg_write(dir, ctrl, "pids.max", val, "linux.resources.pids.limit", err);
}

static int v1_devices(const char *dir, const struct sbx_dev_rule *rules, size_t nrules,
                      struct sbx_error *err)
{
  struct sbx_dev_state st;
  const char **files = NULL;
  char **lines = NULL;
  size_t n;
  int ret = 0;

  if (sbx_dev_emulate(rules, nrules, &st) < 0)
    return sbx_fail(err, ENOMEM, "linux.resources.devices");
  n = sbx_dev_v1_writes(&st, &files, &lines);
  if (n == 0)
    ret = sbx_fail(err, ENOMEM, "linux.resources.devices");
  for (size_t i = 0; i < n && ret == 0; i++)
    ret = sbx_cg_write(dir, "devices", files[i], lines[i], "linux.resources.devices", err);
  sbx_dev_v1_writes_free(files, lines, n);
  sbx_dev_state_free(&st);
  return ret;
}

int sbx_cgroup_v1_set(const struct sbx_cgroup_dirs *d, const struct oci_resources *r,
                      const struct sbx_dev_rule *rules, size_t nrules, struct sbx_error *err)
{
  if (r && r->unified_len > 0 && d->unified == NULL)
    return sbx_invalid(err, "linux.resources.unified.%s: not supported by this host "
                    "(cgroup v1 only, no cgroup2 hierarchy)", r->unified[0].key);
  if (r && r->cpu && v1_cpuset(d->cpuset, r->cpu, err) < 0)
    return -1;
  if (rules && (d->devices || (r && r->devices_len > 0)) &&
      v1_devices(d->devices, rules, nrules, err) < 0)
    return -1;
  if (r == NULL)
    return 0;
  if (r->memory && v1_memory(d->memory, r->memory, err) < 0)
    return -1;
  if (r->cpu && v1_cpu(d, r->cpu, err) < 0)
    return -1;
  if (r->pids && sbx_cg_pids(d->pids, "pids", r->pids, err) < 0)
    return -1;
  if (r->block_io && v1_blkio(d->blkio, r->block_io, err) < 0)
    return -1;
  if (v1_hugetlb(d->hugetlb, r, err) < 0)
    return -1;
  if (r->network && v1_network(d, r->network, err) < 0)
    return -1;
  if (sbx_cg_rdma(d->rdma, r, err) < 0)
    return -1;
  if (r->unified_len > 0 && sbx_cg_unified(d->unified, r, err) < 0)
    return -1;
  return 0;
}

/* ---- entry points ---- */

void sbx_cgroup_dirs_free(struct sbx_cgroup_dirs *d)
{
  char **all[] = { &d->cpu, &d->cpuacct, &d->cpuset, &d->memory, &d->pids, &d->blkio,
                   &d->devices, &d->hugetlb, &d->net_cls, &d->net_prio, &d->rdma, &d->unified };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    free(*all[i]);
    *all[i] = NULL;
  }
}

/* The v1 dirs of path (hybrid: with the unified one). */
int sbx_cgroup_v1_dirs(const char *path, struct sbx_cgroup_dirs *d)
{
  memset(d, 0, sizeof *d);
  d->cpu = sbx_cgroup_controller_dir("cpu", path);
  d->cpuacct = sbx_cgroup_controller_dir("cpuacct", path);
  d->cpuset = sbx_cgroup_controller_dir("cpuset", path);
  d->memory = sbx_cgroup_controller_dir("memory", path);
  d->pids = sbx_cgroup_controller_dir("pids", path);
  d->blkio = sbx_cgroup_controller_dir("blkio", path);
  d->devices = sbx_cgroup_controller_dir("devices", path);
  d->hugetlb = sbx_cgroup_controller_dir("hugetlb", path);
  d->net_cls = sbx_cgroup_controller_dir("net_cls", path);
  d->net_prio = sbx_cgroup_controller_dir("net_prio", path);
  d->rdma = sbx_cgroup_controller_dir("rdma", path);
  if (sbx_cgroup_mode() == SBX_CGROUP_HYBRID)
    d->unified = sbx_cgroup_controller_dir(NULL, path);
  return 0;
}

static char *v2_dir(const char *path)
{
  return sbx_strdup_printf("/sys/fs/cgroup%s", strcmp(path, "/") == 0 ? "" : path);
}

static int set_resources(const char *path, const struct oci_resources *r,
                         const struct sbx_dev_rule *rules, size_t nrules, struct sbx_error *err)
{
  int ret;

  if (sbx_cgroup_mode() == SBX_CGROUP_V2) {
    cleanup_free char *dir = v2_dir(path);
    return sbx_cgroup_v2_set(dir, r, rules, nrules, err);
  }
  struct sbx_cgroup_dirs d;
  sbx_cgroup_v1_dirs(path, &d);
  ret = sbx_cgroup_v1_set(&d, r, rules, nrules, err);
  sbx_cgroup_dirs_free(&d);
  return ret;
}

int sbx_cgroup_apply_resources(const char *path, const struct oci_linux *linux_,
                               struct sbx_error *err)
{
  const struct oci_resources *r = linux_ ? linux_->resources : NULL;
  cleanup_free struct sbx_dev_rule *rules = NULL;
  size_t n = 0;

  if (sbx_dev_rules_from_spec(r, linux_ ? linux_->devices : NULL, linux_ ? linux_->devices_len : 0,
                              &rules, &n, err) < 0)
    return -1;
  return set_resources(path, r, rules, n, err);
}

int sbx_cgroup_update_resources(const char *path, const struct oci_resources *r,
                                struct sbx_error *err)
{
  return set_resources(path, r, NULL, 0, err);
}
