/* json_util.c: the descriptor-driven engine behind every oci-spec document:
 * JSON paths for errors, typed parsing of yajl_tree nodes (integers are
 * read from yajl's raw number text so uint64 values above INT64_MAX work),
 * the matching yajl_gen writer, and the matching free.
 */
#include "json_util.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "oci_spec.h"

#define AT(base, off) ((char *)(base) + (off))
#define FIELD_PTR(base, f) (*(void **)AT(base, (f)->off))
#define FIELD_COUNT(base, f) (*(size_t *)AT(base, (f)->len_off))

/* ---- JSON paths and errors ---- */

void jctx_init(struct jctx *ctx, const char *root)
{
  ctx->err = NULL;
  snprintf(ctx->path, sizeof ctx->path, "%s", root);
  ctx->len = strlen(ctx->path);
}

static size_t jpath_append(struct jctx *ctx, const char *fmt, ...)
{
  size_t saved = ctx->len, room = sizeof ctx->path - ctx->len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(ctx->path + ctx->len, room, fmt, ap);
  va_end(ap);
  if (n > 0)  /* a path too long to hold is truncated, never overrun */
    ctx->len += (size_t) n < room ? (size_t) n : room - 1;
  return saved;
}

size_t jpath_key(struct jctx *ctx, const char *key)
{
  return jpath_append(ctx, ctx->len ? ".%s" : "%s", key);
}

size_t jpath_index(struct jctx *ctx, size_t index)
{
  return jpath_append(ctx, "[%zu]", index);
}

void jpath_restore(struct jctx *ctx, size_t len)
{
  ctx->len = len;
  ctx->path[len] = '\0';
}

bool jfail(struct jctx *ctx, const char *fmt, ...)
{
  char *msg;
  va_list ap;
  if (ctx->err)
    return false;
  va_start(ap, fmt);
  int n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (n < 0)
    return false;
  if (ctx->len == 0)
    ctx->err = msg;
  else {
    if (asprintf(&ctx->err, "%s: %s", ctx->path, msg) < 0)
      ctx->err = NULL;
    free(msg);
  }
  return false;
}

static bool fail_oom(struct jctx *ctx)
{
  return jfail(ctx, "out of memory");
}

static bool set_err(char **err, const char *fmt, const char *arg)
{
  if (asprintf(err, fmt, arg) < 0)
    *err = NULL;
  return false;
}

yajl_val jtree_parse(const char *json, size_t len, char **err)
{
  char errbuf[1024] = "";
  /* yajl reads C strings: an embedded NUL would silently end the text. */
  if (memchr(json, '\0', len)) {
    set_err(err, "invalid JSON: %s", "embedded NUL byte");
    return NULL;
  }
  char *text = strndup(json, len);
  if (!text) {
    set_err(err, "%s", "out of memory");
    return NULL;
  }
  yajl_val tree = yajl_tree_parse(text, errbuf, sizeof errbuf);
  free(text);
  if (!tree) {
    /* yajl appends a multi-line excerpt with a caret: keep the message. */
    errbuf[strcspn(errbuf, "\n")] = '\0';
    set_err(err, "invalid JSON: %s", errbuf[0] ? errbuf : "out of memory");
  }
  return tree;
}

/* ---- integers ---- */

static const struct int_kind {
  const char *name;
  bool is_signed;
  int64_t min;
  uint64_t max;
} int_kinds[] = {
  [JK_U16] = { "uint16", false, 0, UINT16_MAX },
  [JK_U32] = { "uint32", false, 0, UINT32_MAX },
  [JK_UINT] = { "uint", false, 0, UINT_MAX },
  [JK_U64] = { "uint64", false, 0, UINT64_MAX },
  [JK_I32] = { "int32", true, INT32_MIN, INT32_MAX },
  [JK_INT] = { "int", true, INT_MIN, INT_MAX },
  [JK_I64] = { "int64", true, INT64_MIN, INT64_MAX },
};

static bool is_integer_kind(enum jkind kind)
{
  return kind <= JK_I64;
}

/* Signed values travel as their two's complement in a uint64_t. */
static void store_integer(void *p, enum jkind kind, uint64_t v)
{
  switch (kind) {
  case JK_U16: *(uint16_t *) p = (uint16_t) v; break;
  case JK_U32: *(uint32_t *) p = (uint32_t) v; break;
  case JK_UINT: *(unsigned *) p = (unsigned) v; break;
  case JK_U64: *(uint64_t *) p = v; break;
  case JK_I32: *(int32_t *) p = (int32_t) (int64_t) v; break;
  case JK_INT: *(int *) p = (int) (int64_t) v; break;
  default: *(int64_t *) p = (int64_t) v; break;
  }
}

static uint64_t load_integer(const void *p, enum jkind kind)
{
  switch (kind) {
  case JK_U16: return *(const uint16_t *) p;
  case JK_U32: return *(const uint32_t *) p;
  case JK_UINT: return *(const unsigned *) p;
  case JK_U64: return *(const uint64_t *) p;
  case JK_I32: return (uint64_t) (int64_t) *(const int32_t *) p;
  case JK_INT: return (uint64_t) (int64_t) *(const int *) p;
  default: return (uint64_t) *(const int64_t *) p;
  }
}

/* The field's own limits, beyond those of its C type. */
static bool check_bounds(struct jctx *ctx, const struct jfield *f, uint64_t v)
{
  if (f->max && v > f->max)
    return jfail(ctx, "value out of range (max %" PRIu64 ")", f->max);
  if ((f->flags & JF_POSITIVE) && (int64_t) v <= 0)
    return jfail(ctx, "must be greater than zero");
  return true;
}

/* Reads the raw number text: yajl's own integer conversion stops at
 * INT64_MAX, and a float must not be truncated into an integer field. */
static bool parse_integer(struct jctx *ctx, yajl_val node, const struct jfield *f, uint64_t *out)
{
  const struct int_kind *k = &int_kinds[f->kind];
  const char *raw = YAJL_IS_NUMBER(node) ? node->u.number.r : NULL;
  if (!raw || raw[strcspn(raw, ".eE")] != '\0')
    return jfail(ctx, "expected integer");
  errno = 0;
  if (raw[0] == '-') {
    long long v = strtoll(raw, NULL, 10);
    if (errno == ERANGE || v < k->min)
      return jfail(ctx, "value out of range for %s", k->name);
    *out = (uint64_t) v;
  } else {
    unsigned long long v = strtoull(raw, NULL, 10);
    if (errno == ERANGE || v > k->max)
      return jfail(ctx, "value out of range for %s", k->name);
    *out = v;
  }
  return check_bounds(ctx, f, *out);
}

/* ---- parsing ---- */

/* The value of key in an object; the last one wins, as in Go, and a JSON
 * null counts as absent, as in Go. */
static yajl_val object_get(yajl_val obj, const char *key)
{
  yajl_val found = NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp(obj->u.object.keys[i], key) == 0)
      found = obj->u.object.values[i];
  return found && !YAJL_IS_NULL(found) ? found : NULL;
}

static bool in_list(const char *const *list, const char *s)
{
  for (; *list; list++)
    if (strcmp(*list, s) == 0)
      return true;
  return false;
}

static bool check_string(struct jctx *ctx, const struct jfield *f, const char *s)
{
  if (f->choices && !in_list(f->choices, s))
    return jfail(ctx, "unknown %s \"%s\"", f->what, s);
  if ((f->flags & JF_ABSPATH) && s[0] != '/')
    return jfail(ctx, "must be an absolute path");
  return true;
}

/* calloc that stores the result and count into base first, so that a later
 * failure leaves something jfree_struct can release.  One spare zeroed slot
 * makes string arrays NULL-terminated, ready for execve. */
static void *alloc_list(struct jctx *ctx, void *base, const struct jfield *f, size_t n, size_t size)
{
  void *p = n ? calloc(n + 1, size) : NULL;
  if (n && !p) {
    fail_oom(ctx);
    return NULL;
  }
  FIELD_PTR(base, f) = p;
  FIELD_COUNT(base, f) = n;
  return p;
}

static bool dup_string(struct jctx *ctx, yajl_val node, char **out)
{
  if (!YAJL_IS_STRING(node))
    return jfail(ctx, "expected string");
  *out = strdup(node->u.string);
  return *out || fail_oom(ctx);
}

static bool parse_string_elem(struct jctx *ctx, yajl_val node, void *out)
{
  return dup_string(ctx, node, out);
}

static bool parse_u32_elem(struct jctx *ctx, yajl_val node, void *out)
{
  static const struct jfield u32 = { .kind = JK_U32 };
  uint64_t v;
  if (!parse_integer(ctx, node, &u32, &v))
    return false;
  *(uint32_t *) out = (uint32_t) v;
  return true;
}

/* An array of scalars (JK_STRINGS, JK_U32S), one parse_elem per item. */
static bool parse_scalars(struct jctx *ctx, yajl_val node, const struct jfield *f, void *base)
{
  bool strings = f->kind == JK_STRINGS;
  size_t size = strings ? sizeof(char *) : sizeof(uint32_t);
  bool (*parse_elem)(struct jctx *, yajl_val, void *) =
    strings ? parse_string_elem : parse_u32_elem;
  if (!YAJL_IS_ARRAY(node))
    return jfail(ctx, strings ? "expected array of strings" : "expected array of integers");
  size_t n = node->u.array.len;
  char *items = alloc_list(ctx, base, f, n, size);
  for (size_t i = 0; i < n; i++) {
    size_t saved = jpath_index(ctx, i);
    bool ok = items && parse_elem(ctx, node->u.array.values[i], items + i * size);
    jpath_restore(ctx, saved);
    if (!ok)
      return false;
  }
  return true;
}

/* A JK_KV object is a map of struct oci_kv whose values are bare strings. */
static const struct jdesc kv_desc = {
  .size = sizeof(struct oci_kv),
  .key_off = offsetof(struct oci_kv, key) + 1,
  .scalar_value = true,
  .fields = (const struct jfield[]) {
    { .key = "value", .kind = JK_STRING, .off = offsetof(struct oci_kv, value),
      .flags = JF_REQUIRED },
    JEND,
  },
};

static const struct jdesc *elem_desc(const struct jfield *f)
{
  return f->kind == JK_KV ? &kv_desc : f->sub;
}

static bool parse_field(struct jctx *ctx, yajl_val node, const struct jfield *f, void *base);

/* Maps keep document order; a repeated key reuses its first slot (the last
 * value wins, as with a Go map). */
static size_t map_slot(char *elems, size_t used, size_t size, size_t key_off, const char *key)
{
  for (size_t i = 0; i < used; i++)
    if (strcmp(*(char **) (elems + i * size + key_off), key) == 0)
      return i;
  return used;
}

static bool parse_object(struct jctx *ctx, yajl_val node, const struct jfield *f, void *base)
{
  if (!YAJL_IS_OBJECT(node))
    return jfail(ctx, "expected object");
  void *sub = calloc(1, f->sub->size);
  if (!sub)
    return fail_oom(ctx);
  FIELD_PTR(base, f) = sub;
  return jparse_struct(ctx, node, f->sub, sub);
}

static bool check_unique(struct jctx *ctx, const struct jdesc *desc, char *elems, size_t n)
{
  for (const struct jfield *g = desc->fields; g->key; g++) {
    if (!(g->flags & JF_UNIQUE))
      continue;
    for (size_t i = 1; i < n; i++) {
      const char *s = *(char **) AT(elems + i * desc->size, g->off);
      for (size_t j = 0; s && j < i; j++) {
        const char *t = *(char **) AT(elems + j * desc->size, g->off);
        if (t && strcmp(s, t) == 0) {
          jpath_index(ctx, i);
          jpath_key(ctx, g->key);
          return jfail(ctx, "duplicate %s \"%s\"", g->what, s);
        }
      }
    }
  }
  return true;
}

static bool parse_array(struct jctx *ctx, yajl_val node, const struct jfield *f, void *base)
{
  if (!YAJL_IS_ARRAY(node))
    return jfail(ctx, "expected array");
  size_t n = node->u.array.len, size = f->sub->size;
  char *elems = alloc_list(ctx, base, f, n, size);
  if (n && !elems)
    return false;
  for (size_t i = 0; i < n; i++) {
    size_t saved = jpath_index(ctx, i);
    bool ok = jparse_struct(ctx, node->u.array.values[i], f->sub, elems + i * size);
    jpath_restore(ctx, saved);
    if (!ok)
      return false;
  }
  return check_unique(ctx, f->sub, elems, n);
}

static bool parse_map_entry(struct jctx *ctx, const struct jdesc *sub, const char *key,
                            yajl_val value, char *elem, bool reused)
{
  char **key_slot = (char **) (elem + sub->key_off - 1);
  if (sub->key_choices && !in_list(sub->key_choices, key))
    return jfail(ctx, "unknown %s \"%s\"", sub->key_what, key);
  if (reused) {  /* a repeated key: start that entry over */
    jfree_struct(sub, elem);
    free(*key_slot);
    memset(elem, 0, sub->size);
  }
  if (!(*key_slot = strdup(key)))
    return fail_oom(ctx);
  return sub->scalar_value ? parse_field(ctx, value, &sub->fields[0], elem)
                           : jparse_struct(ctx, value, sub, elem);
}

static bool parse_map(struct jctx *ctx, yajl_val node, const struct jfield *f, void *base)
{
  if (!YAJL_IS_OBJECT(node))
    return jfail(ctx, "expected object");
  const struct jdesc *sub = elem_desc(f);
  size_t n = node->u.object.len, used = 0;
  char *elems = alloc_list(ctx, base, f, n, sub->size);
  if (n && !elems)
    return false;
  FIELD_COUNT(base, f) = 0;
  for (size_t i = 0; i < n; i++) {
    const char *key = node->u.object.keys[i];
    size_t slot = map_slot(elems, used, sub->size, sub->key_off - 1, key);
    bool reused = slot < used;
    if (!reused)
      FIELD_COUNT(base, f) = ++used;
    size_t saved = jpath_key(ctx, key);
    bool ok = parse_map_entry(ctx, sub, key, node->u.object.values[i],
                              elems + slot * sub->size, reused);
    jpath_restore(ctx, saved);
    if (!ok)
      return false;
  }
  return true;
}

static bool parse_field(struct jctx *ctx, yajl_val node, const struct jfield *f, void *base)
{
  void *p = AT(base, f->off);
  uint64_t v;
  if (is_integer_kind(f->kind)) {
    if (!parse_integer(ctx, node, f, &v))
      return false;
    store_integer(p, f->kind, v);
    return true;
  }
  switch (f->kind) {
  case JK_BOOL:
    if (!YAJL_IS_TRUE(node) && !YAJL_IS_FALSE(node))
      return jfail(ctx, "expected boolean");
    *(bool *) p = YAJL_IS_TRUE(node);
    return true;
  case JK_STRING:
    return dup_string(ctx, node, (char **) p) && check_string(ctx, f, *(char **) p);
  case JK_STRINGS: case JK_U32S: return parse_scalars(ctx, node, f, base);
  case JK_OBJECT: return parse_object(ctx, node, f, base);
  case JK_INLINE: return jparse_struct(ctx, node, f->sub, p);
  case JK_ARRAY: return parse_array(ctx, node, f, base);
  default: return parse_map(ctx, node, f, base);
  }
}

bool jparse_struct(struct jctx *ctx, yajl_val node, const struct jdesc *desc, void *base)
{
  if (!YAJL_IS_OBJECT(node))
    return jfail(ctx, "expected object");
  for (const struct jfield *f = desc->fields; f->key; f++) {
    yajl_val value = object_get(node, f->key);
    size_t saved = jpath_key(ctx, f->key);
    bool ok = value ? parse_field(ctx, value, f, base)
                    : !(f->flags & JF_REQUIRED) || jfail(ctx, "required field missing");
    jpath_restore(ctx, saved);
    if (!ok)
      return false;
    if (value && f->has_off)
      *(bool *) AT(base, f->has_off - 1) = true;
  }
  return true;
}

void *jparse_document(const char *json, size_t len, const struct jdesc *desc,
                      const char *root, char **err)
{
  struct jctx ctx;
  yajl_val tree = jtree_parse(json, len, err);
  if (!tree)
    return NULL;
  void *base = calloc(1, desc->size);
  jctx_init(&ctx, root);
  bool ok = base ? jparse_struct(&ctx, tree, desc, base) : fail_oom(&ctx);
  yajl_tree_free(tree);
  if (ok)
    return base;
  jfree_document(desc, base);
  *err = ctx.err ? ctx.err : strdup("out of memory");
  return NULL;
}

/* ---- freeing ---- */

static void free_elems(const struct jdesc *sub, char *elems, size_t n)
{
  for (size_t i = 0; elems && i < n; i++) {
    jfree_struct(sub, elems + i * sub->size);
    if (sub->key_off)
      free(*(char **) (elems + i * sub->size + sub->key_off - 1));
  }
  free(elems);
}

void jfree_struct(const struct jdesc *desc, void *base)
{
  for (const struct jfield *f = desc->fields; f->key; f++) {
    /* Only list and pointer kinds read the slot as a pointer: a scalar may
     * be narrower than one. */
    void *p = f->kind >= JK_STRING && f->kind != JK_INLINE ? FIELD_PTR(base, f) : NULL;
    switch (f->kind) {
    case JK_STRING: case JK_U32S:
      free(p);
      break;
    case JK_STRINGS:
      for (size_t i = 0; p && i < FIELD_COUNT(base, f); i++)
        free(((char **) p)[i]);
      free(p);
      break;
    case JK_OBJECT: jfree_document(f->sub, p); break;
    case JK_INLINE: jfree_struct(f->sub, AT(base, f->off)); break;
    case JK_ARRAY: case JK_MAP: case JK_KV:
      free_elems(elem_desc(f), p, FIELD_COUNT(base, f));
      break;
    default: break;  /* scalars own nothing */
    }
  }
}

void jfree_document(const struct jdesc *desc, void *base)
{
  if (!base)
    return;
  jfree_struct(desc, base);
  free(base);
}

/* ---- writing ---- */

struct jwriter {
  yajl_gen gen;
  struct jctx ctx;
};

static bool gen_ok(struct jwriter *w, yajl_gen_status st)
{
  return st == yajl_gen_status_ok || jfail(&w->ctx, "JSON generator error %d", (int) st);
}

static bool gen_string(struct jwriter *w, const char *s)
{
  return gen_ok(w, yajl_gen_string(w->gen, (const unsigned char *) s, strlen(s)));
}

static bool gen_integer(struct jwriter *w, enum jkind kind, uint64_t v)
{
  char buf[32];
  int n = int_kinds[kind].is_signed ? snprintf(buf, sizeof buf, "%" PRId64, (int64_t) v)
                                    : snprintf(buf, sizeof buf, "%" PRIu64, v);
  return gen_ok(w, yajl_gen_number(w->gen, buf, (size_t) n));
}

static bool write_struct(struct jwriter *w, const struct jdesc *desc, const void *base);

/* An array of scalars (JK_STRINGS, JK_U32S). */
static bool write_scalars(struct jwriter *w, enum jkind kind, const void *items, size_t n)
{
  bool ok = gen_ok(w, yajl_gen_array_open(w->gen));
  for (size_t i = 0; ok && i < n; i++) {
    const char *s = kind == JK_STRINGS ? ((char *const *) items)[i] : NULL;
    ok = kind == JK_STRINGS ? gen_string(w, s ? s : "")
                            : gen_integer(w, JK_U32, ((const uint32_t *) items)[i]);
  }
  return ok && gen_ok(w, yajl_gen_array_close(w->gen));
}

static bool field_present(const struct jfield *f, const void *base);
static bool write_value(struct jwriter *w, const struct jfield *f, const void *base);

/* One array or map element: an object, or a map's bare scalar value. */
static bool write_element(struct jwriter *w, const struct jdesc *sub, const char *elem)
{
  if (!sub->scalar_value)
    return write_struct(w, sub, elem);
  return field_present(&sub->fields[0], elem) ? write_value(w, &sub->fields[0], elem)
                                              : jfail(&w->ctx, "required field missing");
}

static bool write_elems(struct jwriter *w, const struct jdesc *sub, const char *elems,
                        size_t n, bool as_map)
{
  bool ok = gen_ok(w, as_map ? yajl_gen_map_open(w->gen) : yajl_gen_array_open(w->gen));
  for (size_t i = 0; ok && i < n; i++) {
    const char *elem = elems + i * sub->size;
    const char *key = as_map ? *(char *const *) (elem + sub->key_off - 1) : NULL;
    size_t saved = key ? jpath_key(&w->ctx, key) : jpath_index(&w->ctx, i);
    if (as_map && !key)
      ok = jfail(&w->ctx, "map key missing");
    else
      ok = (!key || gen_string(w, key)) && write_element(w, sub, elem);
    jpath_restore(&w->ctx, saved);
  }
  return ok && gen_ok(w, as_map ? yajl_gen_map_close(w->gen) : yajl_gen_array_close(w->gen));
}

/* Whether the writer emits the field at all: absent optionals, empty lists
 * and omitempty zeros are left out, as runc's encoder does. */
static bool field_present(const struct jfield *f, const void *base)
{
  const void *p = AT(base, f->off);
  if (f->has_off)
    return *(const bool *) AT(base, f->has_off - 1);
  if (is_integer_kind(f->kind))
    return !(f->flags & JF_OMITZERO) || load_integer(p, f->kind) != 0;
  switch (f->kind) {
  case JK_BOOL: return !(f->flags & JF_OMITZERO) || *(const bool *) p;
  case JK_STRING: case JK_OBJECT: return *(void *const *) p != NULL;
  case JK_INLINE: return true;
  /* A required list is written even empty: "names": [] parses back. */
  default: return (f->flags & JF_REQUIRED) || *(const size_t *) AT(base, f->len_off) > 0;
  }
}

static bool write_value(struct jwriter *w, const struct jfield *f, const void *base)
{
  const void *p = AT(base, f->off);
  void *ptr = f->kind >= JK_STRING && f->kind != JK_INLINE ? *(void *const *) p : NULL;
  size_t n = f->len_off ? *(const size_t *) AT(base, f->len_off) : 0;
  /* The writer checks what the parser checks, so its output parses. */
  if (is_integer_kind(f->kind))
    return check_bounds(&w->ctx, f, load_integer(p, f->kind))
           && gen_integer(w, f->kind, load_integer(p, f->kind));
  switch (f->kind) {
  case JK_BOOL: return gen_ok(w, yajl_gen_bool(w->gen, *(const bool *) p));
  case JK_STRING: return check_string(&w->ctx, f, ptr) && gen_string(w, ptr);
  case JK_STRINGS: case JK_U32S: return write_scalars(w, f->kind, ptr, n);
  case JK_OBJECT: return write_struct(w, f->sub, ptr);
  case JK_INLINE: return write_struct(w, f->sub, p);
  case JK_ARRAY:
    return check_unique(&w->ctx, f->sub, ptr, n) && write_elems(w, f->sub, ptr, n, false);
  default: return write_elems(w, elem_desc(f), ptr, n, true);
  }
}

static bool write_struct(struct jwriter *w, const struct jdesc *desc, const void *base)
{
  bool ok = gen_ok(w, yajl_gen_map_open(w->gen));
  for (const struct jfield *f = desc->fields; ok && f->key; f++) {
    size_t saved = jpath_key(&w->ctx, f->key);
    if (field_present(f, base))
      ok = gen_string(w, f->key) && write_value(w, f, base);
    else if (f->flags & JF_REQUIRED)
      ok = jfail(&w->ctx, "required field missing");
    jpath_restore(&w->ctx, saved);
  }
  return ok && gen_ok(w, yajl_gen_map_close(w->gen));
}

char *jwrite_document(const struct jdesc *desc, const void *base, bool pretty,
                      const char *root, char **err)
{
  struct jwriter w = { .gen = yajl_gen_alloc(NULL) };
  const unsigned char *buf;
  size_t len;
  char *out = NULL;
  jctx_init(&w.ctx, root);
  if (!w.gen) {
    *err = strdup("out of memory");
    return NULL;
  }
  yajl_gen_config(w.gen, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_config(w.gen, yajl_gen_indent_string, "\t");
  if (write_struct(&w, desc, base) && gen_ok(&w, yajl_gen_get_buf(w.gen, &buf, &len))
      && !(out = strndup((const char *) buf, len)))
    fail_oom(&w.ctx);
  yajl_gen_free(w.gen);
  if (!out)
    *err = w.ctx.err ? w.ctx.err : strdup("out of memory");
  return out;
}
