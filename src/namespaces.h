/* namespaces.h: Linux namespaces: OCI names to clone flags, joining
 * namespaces given by path, user-namespace id maps and time offsets. */
#ifndef SBX_NAMESPACES_H
#define SBX_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* CLONE_NEW* for an OCI namespace type, 0 when unknown. */
int sbx_ns_flag(const char *type);
/* The /proc/PID/ns/ file name of an OCI namespace type ("network" -> "net"). */
const char *sbx_ns_proc_name(const char *type);

/* Flags of the namespaces the config asks to create (no path). */
int sbx_ns_new_flags(const struct oci_linux *l);
bool sbx_ns_has_joins(const struct oci_linux *l);

/* Validate namespace paths (they must exist and be of the right type), and
 * that a new user namespace has uid and gid maps, so a bad one is reported
 * before anything is spawned. */
int sbx_ns_check_paths(const struct oci_linux *l, struct sbx_error *err);

/* setns() into every namespace given by path; the user namespace first so
 * the others are joined with its privileges. */
int sbx_ns_join_all(const struct oci_linux *l, struct sbx_error *err);

/* Write /proc/PID/{uid,gid}_map from the config (by the parent). */
int sbx_ns_write_id_maps(pid_t pid, const struct oci_linux *l, struct sbx_error *err);

/* Write /proc/self/timens_offsets (before any process enters the ns). */
int sbx_ns_write_time_offsets(const struct oci_linux *l, struct sbx_error *err);

#endif
