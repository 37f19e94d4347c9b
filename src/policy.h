/* policy.h: the agent sandbox policy model (issue #5): the document, its
 * parser and validator, the built-in presets, the sources and their
 * precedence, `extends`, tightening by annotation, path permissions with
 * gitignore-style globs, environment filtering and the digest.
 * docs/policy.md is the reference of the document and of every rule here.
 *
 * Nothing here touches the kernel or config.json: the runtime reads the
 * effective policy (struct sbx_policy) and enforces it.  Like the rest of the
 * library, nothing prints or exits: errors are values (error.h), and the
 * functions that can report several problems also fill a struct sbx_diags.
 *
 * Error messages read "ORIGIN: JSON.PATH: message", ORIGIN being the file,
 * "preset NAME", "agentsbx.policy.tighten", ...:
 *   "/etc/agentsbx/policy.json: filesystem.rules[2].permission: unknown permission `rw` (none, view, read or write)"
 *   "agentsbx.policy.tighten: capabilities.allow: CAP_SYS_ADMIN is not allowed by the base policy"
 */
#ifndef SBX_POLICY_H
#define SBX_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct oci_config;

#define SBX_POLICY_CONFIG_DIR "/etc/agentsbx"   /* AGENTSBX_CONFIG_DIR overrides it */
#define SBX_POLICY_DEFAULT "agent-safe"
#define SBX_POLICY_ANNOTATION "agentsbx.policy"
#define SBX_POLICY_TIGHTEN_ANNOTATION "agentsbx.policy.tighten"
#define SBX_POLICY_MAX_EXTENDS 8

/* Least to most. */
enum sbx_perm { SBX_PERM_NONE, SBX_PERM_VIEW, SBX_PERM_READ, SBX_PERM_WRITE };
/* Weakest to strongest filter. */
enum sbx_seccomp_mode { SBX_SECCOMP_CONFIG, SBX_SECCOMP_DEFAULT, SBX_SECCOMP_STRICT };
/* Most to least restrictive. */
enum sbx_net_mode { SBX_NET_NONE, SBX_NET_ALLOWLIST, SBX_NET_UNRESTRICTED };
enum sbx_env_inherit { SBX_ENV_INHERIT_ALL, SBX_ENV_INHERIT_NONE };

/* Where the effective policy came from (precedence order). */
enum sbx_policy_source {
  SBX_POLICY_FROM_FLAG,        /* --policy NAME|FILE */
  SBX_POLICY_FROM_ANNOTATION,  /* agentsbx.policy=NAME */
  SBX_POLICY_FROM_SYSTEM,      /* CONFIG_DIR/policy.json */
  SBX_POLICY_FROM_DEFAULT,     /* the built-in agent-safe */
};

/* A list of messages: every error of a document, or warnings. */
struct sbx_diags {
  char **items;
  size_t len;
};
void sbx_diags_free(struct sbx_diags *d);

/* One compiled glob segment list (internal to policy_glob.c but public so
 * the struct can be embedded). */
struct sbx_glob {
  char **segs;          /* "**" for a recursive segment; others as written (escapes kept) */
  size_t n_segs;
  bool anchored;        /* pattern began with '/' */
  unsigned literal;     /* segments without wildcards */
  unsigned wildcards;   /* *, ?, [...] and ** (an unanchored pattern counts one more) */
};

struct sbx_policy_rule {
  char *pattern;             /* as written */
  enum sbx_perm permission;
  int priority;              /* default 0 */
  char *origin;              /* the document that added it: "preset agent-safe", a file... */
  size_t origin_index;       /* its index in that document's filesystem.rules */
  struct sbx_glob glob;
};

/* -1 in any field: unlimited / not set. */
struct sbx_policy_limits {
  int64_t memory;            /* bytes */
  double cpus;               /* CPUs, > 0 */
  int64_t pids;
  int64_t open_files;        /* RLIMIT_NOFILE */
  int64_t file_size;         /* bytes, RLIMIT_FSIZE */
  int64_t timeout;           /* seconds after start */
  int64_t lifetime;          /* seconds after create */
  int64_t scratch;           /* bytes: size of each tmpfs on the scratch
                              * directories (/tmp, /var/tmp, /run, /dev/shm) */
};

struct sbx_policy_env {
  enum sbx_env_inherit inherit;
  char **allow;              /* names or globs; with inherit none: what is kept */
  size_t allow_len;
  char **deny;               /* globs removed in every mode */
  size_t deny_len;
  char **set_names;          /* added or overridden, in order */
  char **set_values;
  size_t set_len;
};

/* Bits of sbx_policy.present: the keys a parsed document wrote (used by
 * extends and tighten; an effective policy has every value resolved). */
enum {
  SBX_PK_NAME = 1u << 0, SBX_PK_ANNOTATIONS = 1u << 1, SBX_PK_EXTENDS = 1u << 2,
  SBX_PK_FS_DEFAULT = 1u << 3, SBX_PK_FS_RULES = 1u << 4, SBX_PK_EXEC_ALLOW = 1u << 5,
  SBX_PK_NET_MODE = 1u << 6, SBX_PK_NET_ALLOW = 1u << 7, SBX_PK_CAPS_ALLOW = 1u << 8,
  SBX_PK_NNP = 1u << 9, SBX_PK_SECCOMP = 1u << 10, SBX_PK_ENV_INHERIT = 1u << 11,
  SBX_PK_ENV_ALLOW = 1u << 12, SBX_PK_ENV_DENY = 1u << 13, SBX_PK_ENV_SET = 1u << 14,
  SBX_PK_LIM_MEMORY = 1u << 15, SBX_PK_LIM_CPUS = 1u << 16, SBX_PK_LIM_PIDS = 1u << 17,
  SBX_PK_LIM_OPEN_FILES = 1u << 18, SBX_PK_LIM_FILE_SIZE = 1u << 19,
  SBX_PK_LIM_TIMEOUT = 1u << 20, SBX_PK_LIM_LIFETIME = 1u << 21, SBX_PK_AUDIT_PATH = 1u << 22,
  SBX_PK_FS_ENFORCEMENT = 1u << 23, SBX_PK_SELECTABLE = 1u << 24,
  SBX_PK_LIM_SCRATCH = 1u << 25, SBX_PK_NET_DENY = 1u << 26,
  SBX_PK_NET_BLOCKED_PORTS = 1u << 27, SBX_PK_NET_BLOCK_PRIVATE = 1u << 28,
  SBX_PK_NET_MAX_CONN = 1u << 29, SBX_PK_NET_DNS_UPSTREAM = 1u << 30,
};

/* Past the 32 bits of the enum (present is 64 bits wide). */
#define SBX_PK_AUDIT_COMMANDS (1ull << 31)
#define SBX_PK_AUDIT_MAX_BYTES (1ull << 32)

#define SBX_AUDIT_DEFAULT_MAX_BYTES (64LL << 20)

struct sbx_policy {
  char *name;                /* "agent-safe", a file policy's name or its path */
  bool passthrough;          /* the preset `none`: apply no overlay at all (exact runc) */
  bool annotations;          /* false: the agentsbx.policy* annotations are ignored */
  char **selectable;         /* names the agentsbx.policy annotation may select even
                              * when looser than this policy (read from the policy
                              * that holds without the annotation) */
  size_t selectable_len;
  enum sbx_perm fs_default;
  bool fs_best_effort;       /* filesystem.enforcement: false = "strict" (create fails,
                              * naming the mechanism, when the kernel lacks one the
                              * rules need); true = "best-effort" (apply what the
                              * kernel offers, warn; never looser than hiding) */
  struct sbx_policy_rule *rules;
  size_t rules_len;
  bool exec_restricted;      /* false: no allowlist, anything may run */
  char **exec_allow;         /* absolute globs matched against the whole path */
  size_t exec_allow_len;
  enum sbx_net_mode network;
  /* mode allowlist (net_policy.h has the entries' syntax and the matcher) */
  char **network_allow;      /* entries as written */
  size_t network_allow_len;
  char **network_deny;       /* same syntax; wins over allow */
  size_t network_deny_len;
  int *network_blocked_ports; /* 1..65535; win over both */
  size_t network_blocked_ports_len;
  bool network_block_private; /* default true */
  int64_t network_max_connections; /* -1: unlimited */
  char **network_dns_upstream; /* "ADDR" / "ADDR:PORT" / "[V6]:PORT"; none: the config's resolv.conf */
  size_t network_dns_upstream_len;
  bool caps_all;             /* capabilities.allow holds "ALL": keep config's set */
  char **caps_allow;         /* CAP_* names (without "ALL") */
  size_t caps_allow_len;
  bool no_new_privileges;    /* true forces NNP; false leaves config's value */
  enum sbx_seccomp_mode seccomp;
  struct sbx_policy_env env;
  struct sbx_policy_limits limits;
  char *audit_path;          /* NULL: no audit log */
  bool audit_commands;       /* the command trail (command_executed of every exec) */
  int64_t audit_max_bytes;   /* the log is rotated to PATH.1 beyond this size */

  /* Provenance, not part of the document (nor of the digest). */
  enum sbx_policy_source source;
  char *source_detail;       /* "preset NAME" or the file the chain started from */
  bool tightened;            /* agentsbx.policy.tighten was applied */
  char *extends;             /* parsed documents only: the parent's name */
  uint64_t present;          /* parsed documents only: SBX_PK_* */
};

struct sbx_policy *sbx_policy_new(void);
void sbx_policy_free(struct sbx_policy *p);
#define cleanup_policy __attribute__((cleanup(sbx_policy_freep)))
static inline void sbx_policy_freep(struct sbx_policy **p) { sbx_policy_free(*p); }

/* ---- names ---- */
const char *sbx_perm_name(enum sbx_perm p);               /* "none" ... "write" */
const char *sbx_seccomp_mode_name(enum sbx_seccomp_mode m);
const char *sbx_net_mode_name(enum sbx_net_mode m);
const char *sbx_policy_source_name(enum sbx_policy_source s);

/* ---- parsing (policy_parse.c) ---- */

/* Sizes: an integer of bytes or "10K", "512M", "1G" (powers of 1024);
 * durations: an integer of seconds or "90s", "15m", "6h". */
bool sbx_policy_parse_size(const char *s, int64_t *out);
bool sbx_policy_parse_duration(const char *s, int64_t *out);

/* Parse and validate one document (no extends resolution, no defaults
 * filled: see present).  origin prefixes every message.  On failure returns
 * -1, err holds the first error ("... (and N more errors)" when there are
 * more) and errors (may be NULL) receives every one of them. */
int sbx_policy_parse(const char *json, size_t len, const char *origin,
                     struct sbx_policy **out, struct sbx_diags *errors, struct sbx_error *err);

/* The canonical JSON of an effective policy: every key, fixed order, its
 * resolved value (null for "unlimited"/"not set").  pretty: indented, for
 * `policy show`; compact is what the digest hashes.  It parses back into
 * the same policy. */
char *sbx_policy_to_json(const struct sbx_policy *p, bool pretty, struct sbx_error *err);
/* "sha256:<64 hex>" of the compact canonical JSON. */
char *sbx_policy_digest(const struct sbx_policy *p, struct sbx_error *err);

/* ---- presets (policy_presets.c) ---- */
struct sbx_policy_preset {
  const char *name;
  const char *summary;
  const char *json;          /* the document, parsed by sbx_policy_parse */
};
const struct sbx_policy_preset *sbx_policy_presets(size_t *count);
const struct sbx_policy_preset *sbx_policy_preset_find(const char *name);

/* ---- sources, precedence, extends, tighten (policy_resolve.c) ---- */

struct sbx_policy_request {
  const char *config_dir;          /* NULL: SBX_POLICY_CONFIG_DIR */
  const char *flag;                /* --policy NAME|FILE, or NULL */
  const char *annotation_policy;   /* agentsbx.policy, or NULL */
  const char *annotation_tighten;  /* agentsbx.policy.tighten, or NULL */
};

/* Fill the two annotation fields from a config.json (NULL-safe). */
void sbx_policy_request_annotations(struct sbx_policy_request *req, const struct oci_config *cfg);

/* The effective policy of a container:
 *   1. --policy NAME|FILE (FILE when it holds a '/' or ends in ".json");
 *   2. else the annotation agentsbx.policy=NAME;
 *   3. else CONFIG_DIR/policy.json;
 *   4. else the preset agent-safe;
 * each with its extends chain resolved, then agentsbx.policy.tighten applied.
 * A NAME is a preset, else CONFIG_DIR/policies/NAME.json.  A policy chosen
 * by --policy or CONFIG_DIR/policy.json with "annotations": false makes both
 * annotations ignored (a warning says so when they were set).  The policy
 * the annotation names must be at least as strict as the one that holds
 * without it (3 or 4: the same checks as a tighten document) unless that
 * one lists the name in "selectable"; otherwise create fails (it never falls
 * back).  warnings may be NULL. */
int sbx_policy_resolve(const struct sbx_policy_request *req, struct sbx_policy **out,
                       struct sbx_diags *warnings, struct sbx_error *err);

/* Load NAME (preset or CONFIG_DIR/policies/NAME.json) or FILE with its
 * extends chain, filled with defaults: the building block of resolve. */
int sbx_policy_load(const char *config_dir, const char *name_or_file, struct sbx_policy **out,
                    struct sbx_error *err);

/* Apply a tighten document to base (not passthrough) and return the result;
 * anything that would loosen base is an error naming origin and the JSON
 * path; errors (may be NULL) receives every violation. */
int sbx_policy_tighten(const struct sbx_policy *base, const char *json, const char *origin,
                       struct sbx_policy **out, struct sbx_diags *errors, struct sbx_error *err);

/* `agentsbx policy check FILE`: parse, resolve its extends, and collect every
 * error (returns -1 when there is any) and every warning (unreachable
 * rules, ...). */
int sbx_policy_check_file(const char *config_dir, const char *path, struct sbx_diags *errors,
                          struct sbx_diags *warnings);

/* Deep copy. */
struct sbx_policy *sbx_policy_dup(const struct sbx_policy *p);

/* ---- paths (policy_glob.c) ---- */

/* Compile a filesystem pattern; false with *why (static text) when bad. */
bool sbx_glob_compile(const char *pattern, struct sbx_glob *g, const char **why);
void sbx_glob_free(struct sbx_glob *g);
/* Does the pattern match path itself (exact), or path or one of its
 * ancestors (covers)?  path is an absolute container path. */
bool sbx_glob_match(const struct sbx_glob *g, const char *path);
bool sbx_glob_covers(const struct sbx_glob *g, const char *path);
/* One segment (no '/'): *, ?, [...], [!...]; also used for env names.
 * _nocase: letters match either case (env.deny). */
bool sbx_glob_match_segment(const char *pattern, const char *s);
bool sbx_glob_match_segment_nocase(const char *pattern, const char *s);

struct sbx_policy_decision {
  enum sbx_perm permission;
  int rule;                  /* index in policy->rules; -1: filesystem.default */
  bool hidden;               /* none because an ancestor is none by that rule */
  char *hidden_at;           /* that ancestor (malloc'd), NULL unless hidden */
};

/* path lexically normalised as an absolute path ("//", "." and ".."
 * folded, no trailing "/"); NULL when out of memory. */
char *sbx_path_normalize(const char *path);

/* The permission of an absolute container path (lexically normalised
 * here: "//", "." and ".." are folded).  The candidates are the rules whose
 * pattern matches the path or one of its ancestors; the best is the highest
 * priority, then the most specific (more literal segments, then fewer
 * wildcards), then the most restrictive; none is filesystem.default.  A
 * proper ancestor decided `none` by a rule hides the whole subtree (the
 * root is never hidden).  A passthrough policy gives write, rule -1.
 * Allocation failure fails closed (none). */
enum sbx_perm sbx_policy_permission(const struct sbx_policy *p, const char *path,
                                    int *decided_by_rule);
void sbx_policy_decide(const struct sbx_policy *p, const char *path,
                       struct sbx_policy_decision *out);
void sbx_policy_decision_clear(struct sbx_policy_decision *d);

/* Warnings about rules no path can reach (anchored rules lying strictly
 * under a path that a `none` rule hides). */
void sbx_policy_lint(const struct sbx_policy *p, struct sbx_diags *warnings);

/* May this absolute path be executed?  True when exec is unrestricted. */
bool sbx_policy_exec_allowed(const struct sbx_policy *p, const char *path);
/* Is this capability kept (before intersecting with config's)? */
bool sbx_policy_capability_allowed(const struct sbx_policy *p, const char *cap);

/* ---- environment (policy_env.c) ---- */

/* Does the base policy remove NAME (a deny glob matches it, in any case:
 * aws_secret is denied by AWS_*)?  allow globs match case-sensitively. */
bool sbx_policy_env_denied(const struct sbx_policy *p, const char *name);
/* Filter config's process.env ("NAME=value" strings): inherit none keeps
 * only the allow globs; deny globs drop in every mode; set replaces the
 * first occurrence in place (dropping later duplicates) or appends.
 * Returns a NULL-terminated malloc'd array (sbx_strv_free), *out_len its
 * length (may be NULL).  A passthrough policy returns a copy. */
char **sbx_policy_env_filter(const struct sbx_policy *p, char *const *env, size_t env_len,
                             size_t *out_len, struct sbx_error *err);

#endif
