/* runtime_features.h: the runtime-spec features document, true to what this build
 * implements on this kernel. */
#ifndef SBX_FEATURES_H
#define SBX_FEATURES_H

#include "error.h"

char *sbx_features_json(struct sbx_error *err);

#endif
