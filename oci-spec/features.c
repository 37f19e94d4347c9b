/* features.c: the runtime-spec features document (`features` command):
 * write, parse and free.  The JSON nests booleans in small objects
 * ("cgroup": {"v1": ...}, "apparmor": {"enabled": ...}) that the C model
 * keeps flat; JK_INLINE descriptors with offsets relative to the enclosing
 * struct bridge the two.  Every boolean is written, true or false.
 */
#include "json_util.h"
#include "oci_spec.h"

#define LIST(T, k, f) JLIST(T, k, JK_STRINGS, f.items, f.len)
#define FLAG(T, k, f) JSCALAR(T, k, JK_BOOL, f)
/* {"enabled": T.f} */
#define ENABLED(T, f) \
  (&(const struct jdesc) { .size = sizeof(T), \
                           .fields = (const struct jfield[]) { FLAG(T, "enabled", f), JEND } })
/* "k": {...} laid over the enclosing struct itself. */
#define NESTED(k, d) { .key = k, .kind = JK_INLINE, .off = 0, .sub = d }

#define T struct oci_features_seccomp
static const struct jdesc seccomp_desc = {
  .size = sizeof(T),
  .fields = (const struct jfield[]) {
    FLAG(T, "enabled", enabled),
    LIST(T, "actions", actions),
    LIST(T, "operators", operators),
    LIST(T, "archs", archs),
    LIST(T, "knownFlags", known_flags),
    LIST(T, "supportedFlags", supported_flags),
    JEND,
  },
};
#undef T

#define T struct oci_features_linux
static const struct jdesc cgroup_desc = {
  .size = sizeof(T),
  .fields = (const struct jfield[]) {
    FLAG(T, "v1", cgroup_v1),
    FLAG(T, "v2", cgroup_v2),
    FLAG(T, "systemd", cgroup_systemd),
    FLAG(T, "systemdUser", cgroup_systemd_user),
    FLAG(T, "rdma", cgroup_rdma),
    JEND,
  },
};

static const struct jdesc idmap_desc = {
  .size = sizeof(T),
  .fields = (const struct jfield[]) { NESTED("idmap", ENABLED(T, idmap_mounts_enabled)), JEND },
};

static const struct jdesc memory_policy_desc = {
  .size = sizeof(T),
  .fields = (const struct jfield[]) {
    LIST(T, "modes", memory_policy_modes),
    LIST(T, "flags", memory_policy_flags),
    JEND,
  },
};

static const struct jdesc linux_desc = {
  .size = sizeof(T),
  .fields = (const struct jfield[]) {
    LIST(T, "namespaces", namespaces),
    LIST(T, "capabilities", capabilities),
    NESTED("cgroup", &cgroup_desc),
    JSCALAR(T, "seccomp", JK_INLINE, seccomp, .sub = &seccomp_desc),
    NESTED("apparmor", ENABLED(T, apparmor_enabled)),
    NESTED("selinux", ENABLED(T, selinux_enabled)),
    NESTED("intelRdt", ENABLED(T, intel_rdt_enabled)),
    NESTED("mountExtensions", &idmap_desc),
    NESTED("netDevices", ENABLED(T, net_devices_enabled)),
    NESTED("memoryPolicy", &memory_policy_desc),
    JEND,
  },
};
#undef T

#define T struct oci_features
static const struct jdesc features_desc = {
  .size = sizeof(T),
  .fields = (const struct jfield[]) {
    JSCALAR(T, "ociVersionMin", JK_STRING, oci_version_min),
    JSCALAR(T, "ociVersionMax", JK_STRING, oci_version_max),
    LIST(T, "hooks", hooks),
    LIST(T, "mountOptions", mount_options),
    JSCALAR(T, "linux", JK_INLINE, linux_, .sub = &linux_desc),
    JLIST(T, "annotations", JK_KV, annotations, annotations_len),
    LIST(T, "potentiallyUnsafeConfigAnnotations", potentially_unsafe_config_annotations),
    JEND,
  },
};
#undef T

char *oci_features_write(const struct oci_features *f, bool pretty, char **err)
{
  return jwrite_document(&features_desc, f, pretty, "", err);
}

struct oci_features *oci_features_parse(const char *json, size_t len, char **err)
{
  return jparse_document(json, len, &features_desc, "", err);
}

void oci_features_free(struct oci_features *f)
{
  jfree_document(&features_desc, f);
}
