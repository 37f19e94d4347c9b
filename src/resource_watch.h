/* resource_watch.h: resource_violation audit lines for what the kernel
 * refuses through cgroups, written by the container's supervisor once per
 * occurrence (not once per failed fork): an OOM kill (the memory cgroup's
 * oom_kill count, woken by its eventfd or inotify watch) and the pids limit
 * (pids.events "max", read every second; one line per second in which forks
 * were refused, with how many). */
#ifndef SBX_RESOURCE_WATCH_H
#define SBX_RESOURCE_WATCH_H

#include "error.h"
#include "monitor.h"

/* Add the sources for the container's cgroup to spec; a controller that is
 * missing is skipped. */
int sbx_resource_watch_add(struct sbx_monitor_spec *spec, const char *cgroup_path,
                           struct sbx_error *err);

#endif
