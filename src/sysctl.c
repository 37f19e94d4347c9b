/* sysctl.c: linux.sysctl keys ("net.ipv4.ip_forward") become writes to
 * /proc/sys/net/ipv4/ip_forward inside the container, after the pivot, so
 * they land in the container's namespaces. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sysctl.h"

#include <errno.h>
#include <string.h>

#include "namespaces.h"
#include "utils.h"

/* The namespace that owns a key, or NULL when it is the host's. */
static const char *owning_namespace(const char *key)
{
  static const char *const ipc_keys[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                          "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                          "kernel.shmmni", "kernel.shm_rmid_forced" };

  if (strncmp(key, "net.", 4) == 0)
    return "network";
  if (strncmp(key, "fs.mqueue.", 10) == 0)
    return "ipc";
  for (size_t i = 0; i < sizeof ipc_keys / sizeof ipc_keys[0]; i++)
    if (strcmp(key, ipc_keys[i]) == 0)
      return "ipc";
  if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
    return "uts";
  return NULL;
}

int sbx_sysctl_validate(const struct oci_linux *l, struct sbx_error *err)
{
  for (size_t i = 0; l && i < l->sysctl_len; i++) {
    const char *key = l->sysctl[i].key;
    const char *ns = owning_namespace(key);
    const struct oci_namespace *entry = ns ? oci_linux_namespace(l, ns) : NULL;
    if (ns == NULL)
      return sbx_invalid(err, "linux.sysctl.%s: not namespaced, it would change the host",
                      key);
    if (entry == NULL)
      return sbx_invalid(err, "linux.sysctl.%s: needs a %s namespace", key, ns);
  }
  return 0;
}

int sbx_sysctl_apply(const struct oci_linux *l, struct sbx_error *err)
{
  for (size_t i = 0; l && i < l->sysctl_len; i++) {
    const char *key = l->sysctl[i].key;
    cleanup_free char *path = NULL;
    if (strstr(key, "..") || key[0] == '/' || key[0] == '.')
      return sbx_invalid(err, "linux.sysctl: invalid key `%s`", key);
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
