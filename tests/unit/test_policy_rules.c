/*
 * The trust policy as a column of the field table (fields.h .remote):
 * which rows carry which rule (pinned, so that no rule is lost), that each
 * rule fits its row's kind, that the settings key a rule names is the
 * setting it reads (set by the key, read at the offset), and that a row
 * without rules restricts nothing.  The messages themselves are
 * tests/unit/test_policy.c's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "defn.h"
#include "defs.h"
#include "errlist.h"
#include "fetch.h"
#include "fields.h"
#include "policy.h"
#include "settings_parse.h"

static const struct {
	enum defn_tag tag;
	enum policy_rule rule;
	const char *key;
} pinned[] = {
	{ T_IMAGE, POL_REGISTRY, "userdata_registries" },
	{ T_IMAGE, POL_DIGEST, "userdata_require_digest" },
	{ T_PRIVILEGED, POL_DENY, "userdata_allow_privileged" },
	{ T_NETWORK, POL_DENY, "userdata_allow_host_network" },
	{ T_VOLUME, POL_HOST_PATHS, "userdata_host_paths" },
	{ T_CAP_ADD, POL_ALLOWLIST, "userdata_cap_add" },
	{ T_SECURITY_OPT, POL_DENY, "userdata_allow_unconfined" },
	{ T_SECCOMP, POL_DENY, "userdata_allow_unconfined" },
};

#define NPINNED (sizeof(pinned) / sizeof(*pinned))

/* Every rule of the table, in table order, is the pinned list's. */
static void
test_rules_pinned(void **state)
{
	size_t n = 0;

	for (size_t t = 0; t < T_DEFN_MAX; t++)
		for (size_t k = 0; k < FIELD_POLICY_RULES; k++) {
			const struct field_policy *p =
			    &defn_fields[t].remote[k];
			if (p->rule == POL_NONE) {
				assert_null(p->key);
				continue;
			}
			print_message("%s: %s\n", defn_fields[t].key, p->key);
			assert_true(n < NPINNED);
			assert_int_equal(t, pinned[n].tag);
			assert_int_equal(p->rule, pinned[n].rule);
			assert_string_equal(p->key, pinned[n].key);
			assert_true(policy_rule_applies(&defn_fields[t], p));
			n++;
		}
	assert_int_equal(n, NPINNED);
}

/* A value that sets each kind of rule's setting. */
static const char *
opening_value(enum policy_rule r)
{
	switch (r) {
	case POL_ALLOWLIST:
		return "NET_ADMIN";
	case POL_HOST_PATHS:
		return "/srv";
	case POL_REGISTRY:
		return "quay.io";
	default:
		return "true";
	}
}

/* The key a rule names sets the very member its offset reads. */
static void
test_keys_are_the_settings_read(void **state)
{
	for (size_t t = 0; t < T_DEFN_MAX; t++)
		for (size_t k = 0; k < FIELD_POLICY_RULES; k++) {
			const struct field_policy *p =
			    &defn_fields[t].remote[k];
			struct settings s;
			struct errlist e;
			char line[128];
			if (p->rule == POL_NONE)
				continue;
			snprintf(line, sizeof(line), "%s=%s\n", p->key,
			    opening_value(p->rule));
			settings_init(&s);
			errlist_init(&e);
			assert_int_equal(settings_parse_file(&s, "t.conf", line,
					     strlen(line), NULL, &e),
			    0);
			assert_int_equal(e.n, 0);
			const char *m = (const char *)&s.policy + p->off;
			if (p->rule == POL_DENY || p->rule == POL_DIGEST)
				assert_int_equal(*(const int *)m, 1);
			else
				assert_non_null(*(char *const *)m);
			errlist_free(&e);
			settings_free(&s);
		}
}

/* Which rules fit which kinds (a misfit refuses every remote definition). */
static void
test_rule_fits_its_kind(void **state)
{
	struct field_desc f = defn_fields[T_USER];
	struct field_policy deny = { .rule = POL_DENY,
		.key = "userdata_allow_privileged" };

	assert_true(policy_rule_applies(&f, &(struct field_policy){ 0 }));
	assert_false(policy_rule_applies(&f, &deny)); /* no .values */
	f.kind = FK_FLAG;
	assert_true(policy_rule_applies(&f, &deny));
	assert_false(policy_rule_applies(&defn_fields[T_ENV],
	    &(struct field_policy){ .rule = POL_ALLOWLIST }));
	assert_false(policy_rule_applies(&defn_fields[T_NAME],
	    &(struct field_policy){ .rule = POL_DIGEST }));
}

/* Rows without rules: user-data may use them freely. */
static void
test_unruled_rows_are_free(void **state)
{
	static const char doc[] =
	    "{\"containers\": [{\"name\": \"free\", \"image\": "
	    "\"busybox\", \"env\": {\"A\": \"1\"}, \"user\": \"1000:1000\", "
	    "\"readOnly\": true, \"capDrop\": [\"ALL\"], \"cpu\": 512, "
	    "\"memory\": \"64m\", \"restart\": \"always\", \"tmpfs\": "
	    "{\"/run\": \"size=1m\"}, \"labels\": {\"a\": \"b\"}, "
	    "\"portMappings\": [{\"containerPort\": 80, \"hostPort\": 8080}], "
	    "\"command\": [\"sh\"], \"securityOpt\": "
	    "[\"no-new-privileges\"], \"network\": \"bridge\"}]}";
	struct defs_result r;
	struct settings s;
	struct errlist e;

	settings_init(&s);
	defs_result_init(&r);
	errlist_init(&e);
	assert_int_equal(defs_parse("user-data", doc, strlen(doc), DOC_USERDATA,
			     &direct_file_ops, &r, &e),
	    0);
	assert_int_equal(r.n, 1);
	assert_int_equal(policy_check_defn(&s, &r.defs[0], "", &e), 0);
	assert_int_equal(e.n, 0);
	errlist_free(&e);
	defs_result_free(&r);
	settings_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_pinned),
		cmocka_unit_test(test_keys_are_the_settings_read),
		cmocka_unit_test(test_rule_fits_its_kind),
		cmocka_unit_test(test_unruled_rows_are_free),
	};

	return cmocka_run_group_tests_name("policy_rules", tests, NULL, NULL);
}
