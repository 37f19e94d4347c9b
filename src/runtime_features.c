/* runtime_features.c: `agentsbx features` (see runtime_features.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "runtime_features.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capabilities.h"
#include "cgroups.h"
#include "mounts.h"
#include "oci_spec.h"
#include "scheduling.h"
#include "seccomp_filter.h"

static const char *hooks[] = { "prestart", "createRuntime", "createContainer", "startContainer",
                               "poststart", "poststop" };
static const char *namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "time",
                                    "user", "uts" };

#define LIST(a) ((struct oci_string_list){ .items = (char **)(a), .len = sizeof(a) / sizeof((a)[0]) })

char *sbx_features_json(struct sbx_error *err)
{
  const char *const *mount_opts = sbx_mount_option_names();
  size_t n_mount = 0, n_caps = 0;
  const char **caps = sbx_cap_list_known(&n_caps, err);
  struct oci_features f = { 0 };
  enum sbx_cgroup_mode mode = sbx_cgroup_mode();
  char *msg = NULL, *json;

  if (caps == NULL)
    return NULL;
  while (mount_opts[n_mount])
    n_mount++;
  f.oci_version_min = "1.0.0";
  f.oci_version_max = "1.2.0";
  f.hooks = LIST(hooks);
  f.mount_options = (struct oci_string_list){ .items = (char **)mount_opts, .len = n_mount };
  f.linux_.namespaces = LIST(namespaces);
  f.linux_.capabilities = (struct oci_string_list){ .items = (char **)caps, .len = n_caps };
  f.linux_.cgroup_v1 = mode != SBX_CGROUP_V2;
  f.linux_.cgroup_v2 = mode != SBX_CGROUP_V1;
  if (sbx_seccomp_features(&f.linux_.seccomp, err) < 0) {
    free(caps);
    return NULL;
  }
  f.linux_.net_devices_enabled = true;
  sbx_sched_memory_policy_names(&f.linux_.memory_policy_modes, &f.linux_.memory_policy_flags);
  json = oci_features_write(&f, true, &msg);
  free(caps);
  free(f.linux_.memory_policy_modes.items);
  free(f.linux_.memory_policy_flags.items);
  free(f.linux_.seccomp.archs.items);
  free(f.linux_.seccomp.supported_flags.items);
  if (json == NULL)
    sbx_fail_take(err, EINVAL, msg);
  return json;
}
