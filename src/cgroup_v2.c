/* cgroup_v2.c: linux.resources on a cgroup v2 (unified) host, all in one
 * directory (see cgroup_resources.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cgroup_resources.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "utils.h"

#define CTRL "cgroup2"

static int unsupported(struct sbx_error *err, const char *key, const char *why)
{
  sbx_invalid(err, "%s: not supported by this host (%s)", key, why);
  if (err)
    err->errnum = EOPNOTSUPP;
  return -1;
}

/* "max" for -1, the number otherwise */
static void num(char *buf, size_t len, int64_t v)
{
  if (v == -1)
    snprintf(buf, len, "max");
  else
    snprintf(buf, len, "%" PRId64, v);
}

static int v2_memory(const char *dir, const struct oci_memory *m, struct sbx_error *err)
{
  int64_t limit = m->has_limit ? m->limit : 0, swap = m->has_swap ? m->swap : 0;
  int64_t reservation = m->has_reservation ? m->reservation : 0, swap2;
  const char *why = NULL;
  char val[32];

  if (limit == 0 && swap == 0 && reservation == 0)
    return 0;
  if (sbx_memory_swap_to_v2(swap, limit, &swap2, &why) < 0)
    return sbx_invalid(err, "linux.resources.memory.swap: %s", why);
  if (swap2 != 0 || swap > 0) {   /* swap == limit is swap.max 0 */
    num(val, sizeof val, swap2);
    if (sbx_cg_write(dir, CTRL, "memory.swap.max", val, "linux.resources.memory.swap", err) < 0)
      return -1;
  }
  if (limit != 0) {
    if (m->has_check_before_update && m->check_before_update && limit > 0) {
      uint64_t cur;
      if (sbx_cg_read_u64(dir, "memory.current", &cur) == 0 && cur > (uint64_t)limit)
        return sbx_invalid(err, "linux.resources.memory.limit: the memory usage %" PRIu64
                        " is above the new limit %" PRId64 " (checkBeforeUpdate)", cur, limit);
    }
    num(val, sizeof val, limit);
    if (sbx_cg_write(dir, CTRL, "memory.max", val, "linux.resources.memory.limit", err) < 0)
      return -1;
  }
  if (reservation != 0) {
    num(val, sizeof val, reservation);
    if (sbx_cg_write(dir, CTRL, "memory.low", val, "linux.resources.memory.reservation", err) < 0)
      return -1;
  }
  /* swappiness, disableOOMKiller, kernel, kernelTCP: no v2 file; runc
   * ignores them there, and so do we. */
  return 0;
}

static int v2_io(const char *dir, const struct oci_block_io *b, struct sbx_error *err)
{
  bool bfq = sbx_cg_exists(dir, "io.bfq.weight");
  char val[64];

  if (b->has_weight && b->weight != 0) {
    if (bfq)
      snprintf(val, sizeof val, "%u", b->weight);
    else
      snprintf(val, sizeof val, "%" PRIu64, sbx_blkio_weight_to_io_weight(b->weight));
    if (sbx_cg_write(dir, CTRL, bfq ? "io.bfq.weight" : "io.weight", val,
                     "linux.resources.blockIO.weight", err) < 0)
      return -1;
  }
  if (b->has_leaf_weight && b->leaf_weight != 0)
    return unsupported(err, "linux.resources.blockIO.leafWeight", "cgroup v2 has no leaf weight");
  for (size_t i = 0; i < b->weight_device_len; i++) {
    const struct oci_weight_device *w = &b->weight_device[i];
    char key[96];
    if (w->has_leaf_weight && w->leaf_weight != 0) {
      snprintf(key, sizeof key, "linux.resources.blockIO.weightDevice[%zu].leafWeight", i);
      return unsupported(err, key, "cgroup v2 has no leaf weight");
    }
    if (!w->has_weight || w->weight == 0)
      continue;
    snprintf(key, sizeof key, "linux.resources.blockIO.weightDevice[%zu].weight", i);
    /* per-device weights: BFQ's io.bfq.weight ("default N" + "maj:min N") */
    cleanup_free char *path = sbx_strdup_printf("%s/io.bfq.weight", dir);
    cleanup_free char *text = NULL;
    long dummy;
    if (!bfq || sbx_read_file(path, &text, NULL, NULL) < 0 ||
        (text[strcspn(text, "\n")] = '\0', sbx_parse_long(text, &dummy)))
      return unsupported(err, key, "no io.bfq.weight with per-device weights");
    snprintf(val, sizeof val, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight);
    if (sbx_cg_write(dir, CTRL, "io.bfq.weight", val, key, err) < 0)
      return -1;
  }
  return sbx_cg_throttles(dir, CTRL, b, true, err);
}

static int v2_cpu(const char *dir, const struct oci_cpu *c, struct sbx_error *err)
{
  char val[64];

  if (c->has_shares && c->shares != 0) {
    snprintf(val, sizeof val, "%" PRIu64, sbx_cpu_shares_to_weight(c->shares));
    if (sbx_cg_write(dir, CTRL, "cpu.weight", val, "linux.resources.cpu.shares", err) < 0)
      return -1;
  }
  bool quota = c->has_quota && c->quota != 0, period = c->has_period && c->period != 0;
  if (quota || period) {
    char cur_quota[32] = "max";
    uint64_t per = period ? c->period : 100000;
    if (!quota || !period) {
      /* keep the half of cpu.max that is not given */
      cleanup_free char *path = sbx_strdup_printf("%s/cpu.max", dir);
      cleanup_free char *text = NULL;
      unsigned long long p;
      if (path && sbx_read_file(path, &text, NULL, NULL) == 0 &&
          sscanf(text, "%31s %llu", cur_quota, &p) == 2 && !period)
        per = p;
    }
    if (quota && c->quota > 0)
      snprintf(val, sizeof val, "%" PRId64 " %" PRIu64, c->quota, per);
    else if (quota)
      snprintf(val, sizeof val, "max %" PRIu64, per);
    else
      snprintf(val, sizeof val, "%s %" PRIu64, cur_quota, per);
    if (sbx_cg_write(dir, CTRL, "cpu.max", val,
                     quota ? "linux.resources.cpu.quota" : "linux.resources.cpu.period", err) < 0)
      return -1;
  }
  if (c->has_burst) {
    snprintf(val, sizeof val, "%" PRIu64, c->burst);
    if (sbx_cg_write(dir, CTRL, "cpu.max.burst", val, "linux.resources.cpu.burst", err) < 0)
      return -1;
  }
  if (c->has_realtime_period && c->realtime_period != 0)
    return unsupported(err, "linux.resources.cpu.realtimePeriod",
                       "no cpu.rt_period_us: cgroup v2 has no realtime scheduling limits");
  if (c->has_realtime_runtime && c->realtime_runtime != 0)
    return unsupported(err, "linux.resources.cpu.realtimeRuntime",
                       "no cpu.rt_runtime_us: cgroup v2 has no realtime scheduling limits");
  if (c->has_idle) {
    snprintf(val, sizeof val, "%" PRId64, c->idle);
    if (sbx_cg_write(dir, CTRL, "cpu.idle", val, "linux.resources.cpu.idle", err) < 0)
      return -1;
  }
  return 0;
}

static int v2_cpuset(const char *dir, const struct oci_cpu *c, struct sbx_error *err)
{
  if (c->cpus && *c->cpus &&
      sbx_cg_write(dir, CTRL, "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", err) < 0)
    return -1;
  if (c->mems && *c->mems &&
      sbx_cg_write(dir, CTRL, "cpuset.mems", c->mems, "linux.resources.cpu.mems", err) < 0)
    return -1;
  return 0;
}

static int v2_hugetlb(const char *dir, const struct oci_resources *r, struct sbx_error *err)
{
  for (size_t i = 0; i < r->hugepage_limits_len; i++) {
    const struct oci_hugepage_limit *h = &r->hugepage_limits[i];
    char key[64], val[32];
    cleanup_free char *file = NULL;
    snprintf(key, sizeof key, "linux.resources.hugepageLimits[%zu]", i);
    if (sbx_cg_page_size_ok(h->page_size, key, err) < 0)
      return -1;
    file = sbx_strdup_printf("hugetlb.%s.max", h->page_size);
    snprintf(val, sizeof val, "%" PRIu64, h->limit);
    if (sbx_cg_write(dir, CTRL, file, val, key, err) < 0)
      return -1;
  }
  return 0;
}

static int v2_devices(const char *dir, const struct sbx_dev_rule *rules, size_t nrules,
                      struct sbx_error *err)
{
  struct sbx_dev_state st;
  int ret;

  if (sbx_dev_emulate(rules, nrules, &st) < 0)
    return sbx_fail(err, ENOMEM, "linux.resources.devices");
  ret = sbx_dev_bpf_apply(dir, &st, err);
  sbx_dev_state_free(&st);
  return ret;
}

int sbx_cgroup_v2_set(const char *dir, const struct oci_resources *r,
                      const struct sbx_dev_rule *rules, size_t nrules, struct sbx_error *err)
{
  if (r && r->pids && sbx_cg_pids(dir, CTRL, r->pids, err) < 0)
    return -1;
  if (r && r->memory && v2_memory(dir, r->memory, err) < 0)
    return -1;
  if (r && r->block_io && v2_io(dir, r->block_io, err) < 0)
    return -1;
  if (r && r->cpu && v2_cpu(dir, r->cpu, err) < 0)
    return -1;
  if (rules && v2_devices(dir, rules, nrules, err) < 0)
    return -1;
  if (r == NULL)
    return 0;
  if (r->cpu && v2_cpuset(dir, r->cpu, err) < 0)
    return -1;
  if (v2_hugetlb(dir, r, err) < 0)
    return -1;
  if (r->network && r->network->has_class_id && r->network->class_id != 0)
    return unsupported(err, "linux.resources.network.classID", "no net_cls on cgroup v2");
  if (r->network && r->network->priorities_len > 0)
    return unsupported(err, "linux.resources.network.priorities", "no net_prio on cgroup v2");
  if (sbx_cg_rdma(dir, r, err) < 0)
    return -1;
  if (sbx_cg_unified(dir, r, err) < 0)
    return -1;
  return 0;
}
