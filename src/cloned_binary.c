/* cloned_binary.c: the sealed memfd copy of the runtime (see
 * cloned_binary.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cloned_binary.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utils.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

static int create_memfd(struct sbx_error *err)
{
  /* MFD_EXEC keeps it executable where vm.memfd_noexec defaults to noexec;
   * kernels before 6.3 do not know the flag. */
  int fd = memfd_create("agentsbx", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("agentsbx", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return sbx_fail(err, errno, "memfd_create");
  return fd;
}

int sbx_cloned_binary_open(struct sbx_error *err)
{
  cleanup_close int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int mem = -1;
  struct stat st;
  off_t off = 0;

  if (exe < 0 || fstat(exe, &st) < 0)
    return sbx_fail(err, errno, "open /proc/self/exe");
  mem = create_memfd(err);
  if (mem < 0)
    return -1;
  while (off < st.st_size) {
    ssize_t n = sendfile(mem, exe, &off, (size_t)(st.st_size - off));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return sbx_fail(err, n < 0 ? errno : EIO, "copy the runtime binary to memory");
  }
  if (fcntl(mem, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return sbx_fail(err, errno, "seal the runtime's memory copy");
  return steal_fd(&mem);
}
