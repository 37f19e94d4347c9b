/* state.c: the runtime-spec "state" object (what `state` prints and hooks
 * read on stdin): parse, write and free.  pid is always written, as runc
 * does; annotations only when there are some.
 */
#include "json_util.h"
#include "oci_spec.h"

#define T struct oci_state
static const struct jdesc state_desc = {
  .size = sizeof(T),
  .fields = (const struct jfield[]) {
    JSCALAR(T, "ociVersion", JK_STRING, oci_version, .flags = JF_REQUIRED),
    JSCALAR(T, "id", JK_STRING, id, .flags = JF_REQUIRED),
    JSCALAR(T, "status", JK_STRING, status, .flags = JF_REQUIRED),
    JSCALAR(T, "pid", JK_INT, pid),
    JSCALAR(T, "bundle", JK_STRING, bundle, .flags = JF_REQUIRED),
    JLIST(T, "annotations", JK_KV, annotations, annotations_len),
    JEND,
  },
};
#undef T

struct oci_state *oci_state_parse(const char *json, size_t len, char **err)
{
  return jparse_document(json, len, &state_desc, "", err);
}

char *oci_state_write(const struct oci_state *s, bool pretty, char **err)
{
  return jwrite_document(&state_desc, s, pretty, "", err);
}

void oci_state_free(struct oci_state *s)
{
  jfree_document(&state_desc, s);
}
