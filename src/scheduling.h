/* scheduling.h: how the kernel schedules the container's processes: the
 * CPU scheduler (process.scheduler, sched_setattr), the I/O priority
 * (process.ioPriority, ioprio_set) and the NUMA memory policy
 * (linux.memoryPolicy, set_mempolicy).  Applied by init and by every exec
 * before the user process runs; checked at create so a bad name fails
 * before anything exists. */
#ifndef SBX_SCHEDULING_H
#define SBX_SCHEDULING_H

#include "error.h"
#include "oci_spec.h"

/* The names and ranges the kernel calls cannot check early. */
int sbx_sched_check(const struct oci_process *p, const struct oci_linux *l,
                    struct sbx_error *err);
/* In the process about to become the user process (either may be NULL). */
int sbx_sched_apply(const struct oci_process *p, const struct oci_linux *l,
                    struct sbx_error *err);

/* The memory policy modes and flags applied (for `features`); free the
 * items arrays, not the names. */
void sbx_sched_memory_policy_names(struct oci_string_list *modes, struct oci_string_list *flags);

#endif
