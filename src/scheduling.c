/* scheduling.c: CPU scheduler, I/O priority and NUMA memory policy of the
 * container's processes (see scheduling.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "scheduling.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "utils.h"

struct name_value {
  const char *name;
  unsigned long value;
};

static const struct name_value sched_policies[] = {
  { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },      { "SCHED_BATCH", 3 },
  { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 }, { NULL, 0 },
};
static const struct name_value sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 }, { NULL, 0 },
};
static const struct name_value ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 }, { NULL, 0 },
};
static const struct name_value mpol_modes[] = {
  { "MPOL_DEFAULT", 0 },        { "MPOL_PREFERRED", 1 },           { "MPOL_BIND", 2 },
  { "MPOL_INTERLEAVE", 3 },     { "MPOL_LOCAL", 4 },               { "MPOL_PREFERRED_MANY", 5 },
  { "MPOL_WEIGHTED_INTERLEAVE", 6 }, { NULL, 0 },
};
static const struct name_value mpol_flags[] = {
  { "MPOL_F_NUMA_BALANCING", 1 << 13 }, { "MPOL_F_RELATIVE_NODES", 1 << 14 },
  { "MPOL_F_STATIC_NODES", 1 << 15 },   { NULL, 0 },
};

#define MAX_NODES 1024
#define BITS_PER_WORD (8 * sizeof(unsigned long))

static bool lookup(const struct name_value *table, const char *name, unsigned long *value)
{
  for (size_t i = 0; name && table[i].name; i++)
    if (strcmp(table[i].name, name) == 0) {
      *value = table[i].value;
      return true;
    }
  return false;
}

static int flag_bits(const struct name_value *table, char *const *names, size_t n,
                     const char *field, unsigned long *bits, struct sbx_error *err)
{
  *bits = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned long v;
    if (!lookup(table, names[i], &v))
      return sbx_invalid(err, "%s[%zu]: unknown flag `%s`", field, i, names[i]);
    *bits |= v;
  }
  return 0;
}

/* "0-3,7" into a node mask; an empty or absent list is no node. */
static int parse_nodes(const char *text, unsigned long *mask, bool *any, struct sbx_error *err)
{
  const char *p = text ? text : "";

  memset(mask, 0, MAX_NODES / 8);
  *any = false;
  while (*p) {
    char *end;
    unsigned long first = strtoul(p, &end, 10), last = first;
    if (end == p)
      return sbx_invalid(err, "linux.memoryPolicy.nodes: `%s` is not a node list", text);
    if (*end == '-') {
      p = end + 1;
      last = strtoul(p, &end, 10);
      if (end == p || last < first)
        return sbx_invalid(err, "linux.memoryPolicy.nodes: `%s` is not a node list", text);
    }
    if (last >= MAX_NODES)
      return sbx_invalid(err, "linux.memoryPolicy.nodes: node %lu is above %d", last,
                         MAX_NODES - 1);
    for (unsigned long n = first; n <= last; n++)
      mask[n / BITS_PER_WORD] |= 1UL << (n % BITS_PER_WORD);
    *any = true;
    p = end;
    if (*p == ',')
      p++;
    else if (*p)
      return sbx_invalid(err, "linux.memoryPolicy.nodes: `%s` is not a node list", text);
  }
  return 0;
}

/* The policy as set_mempolicy takes it: mode | flags, and the mask. */
static int memory_policy(const struct oci_memory_policy *m, unsigned long *mode,
                         unsigned long *mask, struct sbx_error *err)
{
  unsigned long flags;
  bool any;

  if (!lookup(mpol_modes, m->mode, mode))
    return sbx_invalid(err, "linux.memoryPolicy.mode: unknown mode `%s`",
                       m->mode ? m->mode : "");
  if (flag_bits(mpol_flags, m->flags, m->flags_len, "linux.memoryPolicy.flags", &flags, err) < 0 ||
      parse_nodes(m->nodes, mask, &any, err) < 0)
    return -1;
  /* default and local take no nodes; the others need some */
  if ((*mode == 0 || *mode == 4) && any)
    return sbx_invalid(err, "linux.memoryPolicy.nodes: %s takes no nodes", m->mode);
  if (*mode != 0 && *mode != 4 && !any)
    return sbx_invalid(err, "linux.memoryPolicy.nodes: %s needs nodes", m->mode);
  *mode |= flags;
  return 0;
}

static int check_process(const struct oci_process *p, struct sbx_error *err)
{
  unsigned long v;

  if (p->scheduler) {
    if (!lookup(sched_policies, p->scheduler->policy, &v))
      return sbx_invalid(err, "process.scheduler.policy: unknown policy `%s`",
                         p->scheduler->policy ? p->scheduler->policy : "");
    if (flag_bits(sched_flags, p->scheduler->flags, p->scheduler->flags_len,
                  "process.scheduler.flags", &v, err) < 0)
      return -1;
    if (p->scheduler->nice < -20 || p->scheduler->nice > 19)
      return sbx_invalid(err, "process.scheduler.nice: %d is outside -20..19",
                         p->scheduler->nice);
  }
  if (p->io_priority) {
    if (!lookup(ioprio_classes, p->io_priority->class_, &v))
      return sbx_invalid(err, "process.ioPriority.class: unknown class `%s`",
                         p->io_priority->class_ ? p->io_priority->class_ : "");
    if (p->io_priority->priority < 0 || p->io_priority->priority > 7)
      return sbx_invalid(err, "process.ioPriority.priority: %d is outside 0..7",
                         p->io_priority->priority);
  }
  return 0;
}

int sbx_sched_check(const struct oci_process *p, const struct oci_linux *l,
                    struct sbx_error *err)
{
  unsigned long mode, mask[MAX_NODES / BITS_PER_WORD];

  if (p && check_process(p, err) < 0)
    return -1;
  if (l && l->memory_policy && memory_policy(l->memory_policy, &mode, mask, err) < 0)
    return -1;
  return 0;
}

/* struct sched_attr of sched_setattr(2), version 1 (with utilization clamps). */
struct sched_attr_v1 {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

static int apply_scheduler(const struct oci_scheduler *s, struct sbx_error *err)
{
  struct sched_attr_v1 attr = {
    .size = sizeof attr, .sched_nice = s->nice, .sched_priority = (uint32_t)s->priority,
    .sched_runtime = s->runtime, .sched_deadline = s->deadline, .sched_period = s->period,
  };
  unsigned long policy, flags;

  if (!lookup(sched_policies, s->policy, &policy))
    return sbx_invalid(err, "process.scheduler.policy: unknown policy `%s`",
                       s->policy ? s->policy : "");
  if (flag_bits(sched_flags, s->flags, s->flags_len, "process.scheduler.flags", &flags, err) < 0)
    return -1;
  attr.sched_policy = (uint32_t)policy;
  attr.sched_flags = flags;
  if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
    return sbx_fail(err, errno, "process.scheduler: set %s (nice %d, priority %d)", s->policy,
                    s->nice, s->priority);
  return 0;
}

static int apply_io_priority(const struct oci_io_priority *io, struct sbx_error *err)
{
  unsigned long class;

  if (!lookup(ioprio_classes, io->class_, &class))
    return sbx_invalid(err, "process.ioPriority.class: unknown class `%s`",
                       io->class_ ? io->class_ : "");
  /* IOPRIO_WHO_PROCESS, this process; class in the top bits of the value */
  if (syscall(SYS_ioprio_set, 1, 0, (int)(class << 13 | (unsigned)io->priority)) < 0)
    return sbx_fail(err, errno, "process.ioPriority: set %s %d", io->class_, io->priority);
  return 0;
}

static int apply_memory_policy(const struct oci_memory_policy *m, struct sbx_error *err)
{
  unsigned long mode, mask[MAX_NODES / BITS_PER_WORD];

  if (memory_policy(m, &mode, mask, err) < 0)
    return -1;
  if (syscall(SYS_set_mempolicy, mode, mask, MAX_NODES + 1) < 0)
    return sbx_fail(err, errno, "linux.memoryPolicy: set %s on nodes `%s`", m->mode,
                    m->nodes ? m->nodes : "");
  return 0;
}

int sbx_sched_apply(const struct oci_process *p, const struct oci_linux *l,
                    struct sbx_error *err)
{
  if (p && p->scheduler && apply_scheduler(p->scheduler, err) < 0)
    return -1;
  if (p && p->io_priority && apply_io_priority(p->io_priority, err) < 0)
    return -1;
  if (l && l->memory_policy && apply_memory_policy(l->memory_policy, err) < 0)
    return -1;
  return 0;
}

/* The names of a table, malloc'd (for `features`). */
static struct oci_string_list names_of(const struct name_value *table)
{
  size_t n = 0;
  char **items;

  while (table[n].name)
    n++;
  items = calloc(n + 1, sizeof *items);
  for (size_t i = 0; items && i < n; i++)
    items[i] = (char *)table[i].name;
  return (struct oci_string_list){ .items = items, .len = items ? n : 0 };
}

void sbx_sched_memory_policy_names(struct oci_string_list *modes, struct oci_string_list *flags)
{
  *modes = names_of(mpol_modes);
  *flags = names_of(mpol_flags);
}
