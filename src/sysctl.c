/* sysctl.c: linux.sysctl keys ("net.ipv4.ip_forward") become writes to
 * /proc/sys/net/ipv4/ip_forward inside the container, after the pivot, so
 * they land in the container's namespaces. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sysctl.h"

#include <errno.h>
#include <string.h>

#include "utils.h"

int sbx_sysctl_apply(const struct oci_linux *l, struct sbx_error *err)
{
  for (size_t i = 0; l && i < l->sysctl_len; i++) {
    const char *key = l->sysctl[i].key;
    cleanup_free char *path = NULL;
    if (strstr(key, "..") || key[0] == '/' || key[0] == '.')
      return sbx_fail(err, EINVAL, "linux.sysctl: invalid key `%s`", key);
    path = sbx_strdup_printf("/proc/sys/%s", key);
    if (path == NULL)
      return sbx_fail(err, ENOMEM, "linux.sysctl");
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
      if (*p == '.')
        *p = '/';
    if (sbx_write_file(path, l->sysctl[i].value, strlen(l->sysctl[i].value), err) < 0)
      return sbx_wrap(err, "linux.sysctl.%s", key);
  }
  return 0;
}
