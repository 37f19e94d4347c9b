/* config_write.c: serialization of config.json.  The layout comes from the
 * same descriptor tables the parser uses (oci_config_desc), so whatever
 * oci_config_write emits, oci_config_parse reads back to an equal config.
 */
#include "json_util.h"
#include "oci_spec.h"

char *oci_config_write(const struct oci_config *c, bool pretty, char **err)
{
  return jwrite_document(&oci_config_desc, c, pretty, "", err);
}
