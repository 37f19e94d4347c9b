/* cloned_binary.h: CVE-2019-5736.  The process that waits inside the
 * container for `start` runs from a sealed in-memory copy of the runtime,
 * so /proc/<pid>/exe never leads a container (or anyone) to the host's
 * binary: the copy cannot be written, and the host file is not behind it. */
#ifndef SBX_CLONED_BINARY_H
#define SBX_CLONED_BINARY_H

#include "error.h"

/* A sealed (write, grow, shrink, seal) memfd holding /proc/self/exe; CLOEXEC. */
int sbx_cloned_binary_open(struct sbx_error *err);

#endif
