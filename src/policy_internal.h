/* policy_internal.h: what the policy_*.c files share and nothing else uses. */
#ifndef SBX_POLICY_INTERNAL_H
#define SBX_POLICY_INTERNAL_H

#include "policy.h"

/* policy_parse.c */
int sbx_policy_parse_internal(const char *json, size_t len, const char *origin, bool preset,
                              struct sbx_policy **out, struct sbx_diags *errors,
                              struct sbx_error *err);
bool sbx_policy_valid_name(const char *s);
bool sbx_policy_rule_copy(struct sbx_policy_rule *dst, const struct sbx_policy_rule *src);
void sbx_policy_rules_free(struct sbx_policy_rule *r, size_t n);

/* policy_glob.c: > 0 when rule a beats rule b (priority, specificity,
 * restrictiveness). */
int sbx_policy_rule_cmp(const struct sbx_policy_rule *a, const struct sbx_policy_rule *b);
/* The leading literal segments of a compiled pattern, unescaped, as an
 * absolute path ("/" when none or unanchored); *count their number. */
char *sbx_glob_literal_prefix(const struct sbx_glob *g, size_t *count);

/* Append a malloc'd message to a diagnostics list (taking it). */
bool sbx_diags_push(struct sbx_diags *d, char *msg);

#endif
