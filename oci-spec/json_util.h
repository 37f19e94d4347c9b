/* json_util.h: the descriptor-driven JSON engine shared by the oci-spec
 * parsers and writers.
 *
 * Each C struct of the model is described once by a table of `jfield`s
 * (JSON key, kind, offsets of the value / count / has_ flag, validation).
 * The same table drives parsing (yajl_tree -> struct, with JSON-path
 * errors), writing (struct -> yajl_gen) and freeing, so the three can never
 * disagree about a field.
 */
#ifndef OCI_JSON_UTIL_H
#define OCI_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

/* The kinds of value a field can hold.  The integer kinds come first and
 * are named after the Go type of the spec so range errors read the same. */
enum jkind {
  JK_U16, JK_U32, JK_UINT, JK_U64, JK_I32, JK_INT, JK_I64,
  JK_BOOL,
  JK_STRING,   /* char * */
  JK_STRINGS,  /* char ** + count (also struct oci_string_list) */
  JK_U32S,     /* uint32_t * + count */
  JK_KV,       /* struct oci_kv * + count: an object of strings */
  JK_OBJECT,   /* pointer to a malloc'd sub-struct, NULL when absent */
  JK_INLINE,   /* sub-struct embedded at off (sub offsets are relative) */
  JK_ARRAY,    /* array of sub-structs + count */
  JK_MAP,      /* object of sub-structs + count; key kept in sub->key_off */
};

enum {
  JF_REQUIRED = 1 << 0,  /* absent (or null) is an error */
  JF_OMITZERO = 1 << 1,  /* writer skips a 0/false scalar (Go omitempty) */
  JF_UNIQUE = 1 << 2,    /* string must differ across array elements */
  JF_ABSPATH = 1 << 3,   /* string must start with '/' */
  JF_POSITIVE = 1 << 4,  /* integer must be > 0 */
};

struct jdesc;

struct jfield {
  const char *key;
  enum jkind kind;
  size_t off;                  /* the value */
  size_t len_off;              /* the element count of list kinds */
  size_t has_off;              /* 1 + offset of bool has_<field>; 0: none */
  unsigned flags;              /* JF_* */
  uint64_t max;                /* integers: tighter bound than the type's */
  const char *const *choices;  /* strings: allowed values, NULL-terminated */
  const char *what;            /* names the choice set in errors */
  const struct jdesc *sub;     /* object kinds */
};

struct jdesc {
  size_t size;                     /* sizeof the described struct */
  const struct jfield *fields;     /* terminated by a NULL key */
  size_t key_off;                  /* JK_MAP elements: 1 + offset of char *key */
  bool scalar_value;               /* JK_MAP: each value is fields[0] itself */
  const char *const *key_choices;  /* JK_MAP: allowed keys */
  const char *key_what;
};

/* Helpers to write descriptor tables tersely.  T is the struct type. */
#define JHAS(T, f) (offsetof(T, f) + 1)
#define JSCALAR(T, k, kind_, f, ...) \
  { .key = k, .kind = kind_, .off = offsetof(T, f), __VA_ARGS__ }
#define JLIST(T, k, kind_, f, n, ...) \
  { .key = k, .kind = kind_, .off = offsetof(T, f), .len_off = offsetof(T, n), __VA_ARGS__ }
#define JEND { .key = NULL }

/* The JSON path being visited, for error messages. */
struct jctx {
  char *err;        /* first error, malloc'd "path: message" */
  size_t len;
  char path[512];
};

void jctx_init(struct jctx *ctx, const char *root);
size_t jpath_key(struct jctx *ctx, const char *key);
size_t jpath_index(struct jctx *ctx, size_t index);
void jpath_restore(struct jctx *ctx, size_t len);
/* Record "path: message" (first error wins); always returns false. */
bool jfail(struct jctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse text into a yajl tree; on failure *err = "invalid JSON: ...". */
yajl_val jtree_parse(const char *json, size_t len, char **err);

/* Parse an object node into a zeroed struct at base per desc.  On failure
 * the struct may be partly filled: release it with jfree_struct. */
bool jparse_struct(struct jctx *ctx, yajl_val node, const struct jdesc *desc, void *base);
/* Allocate and parse a whole document whose root is described by desc.
 * Returns NULL with *err set on any failure. */
void *jparse_document(const char *json, size_t len, const struct jdesc *desc,
                      const char *root, char **err);
/* Free what the fields of desc own inside base (not base itself). */
void jfree_struct(const struct jdesc *desc, void *base);
/* jfree_struct + free(base); NULL is fine. */
void jfree_document(const struct jdesc *desc, void *base);

/* Serialize base as a JSON object; returns malloc'd text or NULL + *err. */
char *jwrite_document(const struct jdesc *desc, const void *base, bool pretty,
                      const char *root, char **err);

/* The config.json model, defined in config_parse.c, written by
 * config_write.c. */
extern const struct jdesc oci_config_desc;

#endif
