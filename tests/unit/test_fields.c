/*
 * The field table (src/common/fields.c) against the code that reads it.
 *
 * For every limit of every definition field, a document with the field at
 * limit - 1, limit and limit + 1 goes through the fetcher's parser and
 * validator; what the fetcher accepts must encode into one message and be
 * decoded and validated by the engine's code, and what it refuses must be
 * refused with the field named.  Where a valid value exists at the limit,
 * it must be accepted.  Before the table, `user` of 129 to 256 characters
 * passed --check but was refused by the engine's decoder, which stopped
 * every reconciliation on the host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bounds.h"
#include "buf.h"
#include "defs.h"
#include "defn.h"
#include "errlist.h"
#include "fetch.h"
#include "fields.h"
#include "imsg.h"
#include "validate.h"
#include "wire.h"

/* Writes the JSON value of a field of "size" n (a length or a count). */
typedef void (*gen_fn)(struct buf *b, long n);

struct limit_case {
	const char *key;    /* the field, as errors name it */
	enum defn_tag tag;  /* the row whose limit is walked */
	int items;          /* 1: max_items, 0: max_len, 2: min/max */
	int valid_at_limit; /* a valid value of that size exists */
	gen_fn gen;
};

static void
put_rep(struct buf *b, char c, long n)
{
	for (long i = 0; i < n; i++)
		buf_append(b, &c, 1);
}

static void
g_name(struct buf *b, long n)
{
	buf_append_str(b, "\"name\": \"a");
	put_rep(b, 'b', n - 1);
	buf_append_str(b, "\"");
}

static void
g_image(struct buf *b, long n)
{
	/* a name of n - 2 characters and the tag ":t" */
	buf_append_str(b, "\"name\": \"img\", \"image\": \"");
	put_rep(b, 'a', n - 2);
	buf_append_str(b, ":t\"");
}

static void
g_network(struct buf *b, long n)
{
	buf_append_str(b, "\"network\": \"container:a");
	put_rep(b, 'b', n - 11);
	buf_append_str(b, "\"");
}

static void
g_user(struct buf *b, long n)
{
	buf_append_str(b, "\"user\": \"");
	put_rep(b, 'u', n);
	buf_append_str(b, "\"");
}

static void
g_args_len(struct buf *b, long n)
{
	buf_append_str(b, "\"command\": [\"");
	put_rep(b, 'x', n);
	buf_append_str(b, "\"]");
}

static void
g_args_items(struct buf *b, long n)
{
	buf_append_str(b, "\"entrypoint\": [");
	for (long i = 0; i < n; i++)
		buf_printf(b, "%s\"w%ld\"", i ? ", " : "", i);
	buf_append_str(b, "]");
}

static void
g_env_items(struct buf *b, long n)
{
	buf_append_str(b, "\"env\": {");
	for (long i = 0; i < n; i++)
		buf_printf(b, "%s\"K%ld\": \"v\"", i ? ", " : "", i);
	buf_append_str(b, "}");
}

static void
g_env_len(struct buf *b, long n)
{
	buf_append_str(b, "\"env\": {\"K\": \"");
	put_rep(b, 'v', n);
	buf_append_str(b, "\"}");
}

static void
g_labels_items(struct buf *b, long n)
{
	buf_append_str(b, "\"labels\": {");
	for (long i = 0; i < n; i++)
		buf_printf(b, "%s\"l%ld\": \"v\"", i ? ", " : "", i);
	buf_append_str(b, "}");
}

static void
g_signal_items(struct buf *b, long n)
{
	buf_append_str(b, "\"signal\": {");
	for (long i = 0; i < n; i++)
		buf_printf(b, "%s\"c%ld\": \"HUP\"", i ? ", " : "", i);
	buf_append_str(b, "}");
}

static void
g_links_items(struct buf *b, long n)
{
	buf_append_str(b, "\"links\": {");
	for (long i = 0; i < n; i++)
		buf_printf(b, "%s\"c%ld\": \"a%ld\"", i ? ", " : "", i, i);
	buf_append_str(b, "}");
}

static void
g_tmpfs_items(struct buf *b, long n)
{
	buf_append_str(b, "\"tmpfs\": {");
	for (long i = 0; i < n; i++)
		buf_printf(b, "%s\"/t%ld\": \"\"", i ? ", " : "", i);
	buf_append_str(b, "}");
}

static void
g_caps_items(struct buf *b, long n)
{
	buf_append_str(b, "\"capDrop\": [");
	for (long i = 0; i < n; i++)
		buf_printf(b, "%s\"CAP%ld\"", i ? ", " : "", i);
	buf_append_str(b, "]");
}

static void
g_secopt_items(struct buf *b, long n)
{
	buf_append_str(b, "\"securityOpt\": [");
	for (long i = 0; i < n; i++)
		buf_printf(b, "%s\"no-new-privileges\"", i ? ", " : "");
	buf_append_str(b, "]");
}

static void
g_volumes_items(struct buf *b, long n)
{
	buf_append_str(b, "\"volumes\": [");
	for (long i = 0; i < n; i++)
		buf_printf(
		    b, "%s{\"containerPath\": \"/v%ld\"}", i ? ", " : "", i);
	buf_append_str(b, "]");
}

static void
g_volumes_len(struct buf *b, long n)
{
	buf_append_str(b, "\"volumes\": [{\"containerPath\": \"/");
	put_rep(b, 'p', n - 1);
	buf_append_str(b, "\"}]");
}

static void
g_ports_items(struct buf *b, long n)
{
	buf_append_str(b, "\"portMappings\": [");
	for (long i = 0; i < n; i++)
		buf_printf(
		    b, "%s{\"containerPort\": %ld}", i ? ", " : "", 1000 + i);
	buf_append_str(b, "]");
}

static void
g_cpu(struct buf *b, long n)
{
	buf_printf(b, "\"cpu\": %ld", n);
}

static void
g_memory(struct buf *b, long n)
{
	buf_printf(b, "\"memory\": %ld", n);
}

static void
g_health_items(struct buf *b, long n)
{
	buf_append_str(b, "\"healthcheck\": {\"test\": [\"CMD\"");
	for (long i = 1; i < n; i++)
		buf_printf(b, ", \"a%ld\"", i);
	buf_append_str(b, "]}");
}

static void
g_health_len(struct buf *b, long n)
{
	buf_append_str(b, "\"healthcheck\": {\"test\": \"");
	put_rep(b, 'x', n);
	buf_append_str(b, "\"}");
}

static void
g_health_interval(struct buf *b, long n)
{
	buf_printf(b, "\"healthcheck\": {\"interval\": %ld}", n);
}

static void
g_health_timeout(struct buf *b, long n)
{
	buf_printf(b, "\"healthcheck\": {\"timeout\": \"%lds\"}", n);
}

static void
g_health_retries(struct buf *b, long n)
{
	buf_printf(b, "\"healthcheck\": {\"retries\": %ld}", n);
}

static void
g_health_start(struct buf *b, long n)
{
	buf_printf(b, "\"healthcheck\": {\"startPeriod\": %ld}", n);
}

static void
g_monitor(struct buf *b, long n)
{
	buf_printf(b, "\"update\": {\"monitor\": %ld}", n);
}

static void
g_deadline(struct buf *b, long n)
{
	buf_printf(b, "\"update\": {\"deadline\": \"%ld\"}", n);
}

static void
g_stop_timeout(struct buf *b, long n)
{
	buf_printf(b, "\"stopTimeout\": %ld", n);
}

static void
g_rolling(struct buf *b, long n)
{
	buf_printf(b, "\"update\": {\"rolling\": {\"maxParallel\": %ld}}", n);
}

static const struct limit_case cases[] = {
	{ "name", T_NAME, 0, 1, g_name },
	{ "image", T_IMAGE, 0, 0, g_image },
	{ "network", T_NETWORK, 0, 1, g_network },
	{ "user", T_USER, 0, 1, g_user },
	{ "command", T_COMMAND, 0, 1, g_args_len },
	{ "entrypoint", T_ENTRYPOINT, 1, 1, g_args_items },
	{ "env", T_ENV, 1, 1, g_env_items },
	{ "env", T_ENV, 0, 1, g_env_len },
	{ "labels", T_LABEL, 1, 1, g_labels_items },
	{ "signal", T_SIGNAL, 1, 1, g_signal_items },
	{ "links", T_LINK, 1, 1, g_links_items },
	{ "tmpfs", T_TMPFS, 1, 1, g_tmpfs_items },
	{ "capDrop", T_CAP_DROP, 1, 0, g_caps_items },
	{ "securityOpt", T_SECURITY_OPT, 1, 1, g_secopt_items },
	{ "volumes", T_VOLUME, 1, 1, g_volumes_items },
	{ "volumes", T_VOLUME, 0, 1, g_volumes_len },
	{ "portMappings", T_PORT, 1, 1, g_ports_items },
	{ "cpu", T_CPU, 2, 1, g_cpu },
	{ "memory", T_MEMORY, 2, 1, g_memory },
	{ "healthcheck.test", T_HEALTH_TEST, 1, 1, g_health_items },
	{ "healthcheck.test", T_HEALTH_TEST, 0, 1, g_health_len },
	{ "healthcheck.interval", T_HEALTH_INTERVAL, 2, 1, g_health_interval },
	{ "healthcheck.timeout", T_HEALTH_TIMEOUT, 2, 1, g_health_timeout },
	{ "healthcheck.retries", T_HEALTH_RETRIES, 2, 1, g_health_retries },
	{ "healthcheck.startPeriod", T_HEALTH_START_PERIOD, 2, 1,
	    g_health_start },
	{ "update.monitor", T_UPDATE_MONITOR, 2, 1, g_monitor },
	{ "update.deadline", T_UPDATE_DEADLINE, 2, 1, g_deadline },
	{ "stopTimeout", T_STOP_TIMEOUT, 2, 1, g_stop_timeout },
};

/* What the engine does with what the fetcher sends: decode, validate. */
static void
engine_accepts(const struct defn *d, const char *what)
{
	struct buf b;
	struct defn back;
	struct errlist e;
	char err[256];

	buf_init(&b, IMSG_MAX_DATA);
	if (wire_encode_defn(d, 1, &b) != 0)
		fail_msg(
		    "%s: accepted by the fetcher but larger than a message",
		    what);
	if (wire_decode_defn(b.p, b.len, &back, err, sizeof(err)) != 0)
		fail_msg("%s: accepted by the fetcher, refused by the engine's "
			 "decoder: %s",
		    what, err);
	errlist_init(&e);
	if (defn_validate(&back, "engine", "", &e) != 0)
		fail_msg("%s: accepted by the fetcher, refused by the engine's "
			 "validation: %s: %s",
		    what, e.v[0].field, e.v[0].msg);
	errlist_free(&e);
	defn_free(&back);
	buf_free(&b);
}

/* 1 accepted (and the engine agrees), 0 refused with the key named. */
static int
walk_one(const struct limit_case *c, long n)
{
	struct defs_result r;
	struct errlist e;
	struct buf doc;
	char what[96];
	int accepted;

	snprintf(what, sizeof(what), "%s at %ld", c->key, n);
	buf_init(&doc, 2 * MAX_DOCUMENT_SIZE);
	buf_append_str(&doc, "{\"image\": \"busybox:1\", ");
	c->gen(&doc, n);
	buf_append_str(&doc, "}");
	defs_result_init(&r);
	errlist_init(&e);
	accepted = defs_parse("t.json", buf_cstr(&doc), doc.len, DOC_FILE,
		       &direct_file_ops, &r, &e) == 0;
	if (accepted) {
		assert_int_equal(r.n, 1);
		engine_accepts(&r.defs[0], what);
	} else {
		int named = 0;
		for (size_t i = 0; i < e.n && !named; i++)
			named =
			    strncmp(e.v[i].field, c->key, strlen(c->key)) == 0;
		if (!named)
			fail_msg("%s: refused without naming the field "
				 "(first error: %s: %s)",
			    what, e.n ? e.v[0].field : "-",
			    e.n ? e.v[0].msg : "-");
	}
	errlist_free(&e);
	defs_result_free(&r);
	buf_free(&doc);
	return accepted;
}

static void
test_every_limit_agrees(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct limit_case *c = &cases[i];
		const struct field_desc *f = field_by_tag(c->tag);
		long lo, hi;

		if (c->items == 2) {
			lo = (long)f->min;
			hi = (long)f->max;
			/* Below the range: refused, unless it is the default
			 * (0: the image's, for healthcheck's). */
			if (walk_one(c, lo - 1) != (lo - 1 == f->def))
				fail_msg("%s at %ld, below its range: %s",
				    c->key, lo - 1,
				    lo - 1 == f->def ? "refused" : "accepted");
			assert_true(walk_one(c, lo));
			assert_true(walk_one(c, hi));
			assert_false(walk_one(c, hi + 1));
			continue;
		}
		hi = (long)(c->items ? f->max_items : f->max_len);
		assert_true(hi > 1);
		walk_one(c, hi - 1);
		if (walk_one(c, hi) != c->valid_at_limit)
			fail_msg("%s at its limit %ld: %s", c->key, hi,
			    c->valid_at_limit ? "refused, expected accepted"
					      : "accepted");
		if (walk_one(c, hi + 1))
			fail_msg("%s at %ld, over its limit: accepted", c->key,
			    hi + 1);
	}
}

/* update.rolling.maxParallel: 0 is no K (false is), 1 to the limit. */
static void
test_rolling_limit(void **state)
{
	const struct limit_case c = { "update.rolling.maxParallel",
		T_UPDATE_ROLLING, 2, 1, g_rolling };
	const struct field_desc *f = field_by_tag(T_UPDATE_ROLLING);

	assert_int_equal(f->max, MAX_ROLLING_PARALLEL);
	assert_false(walk_one(&c, 0));
	assert_true(walk_one(&c, 1));
	assert_true(walk_one(&c, f->max));
	assert_false(walk_one(&c, f->max + 1));
}

/* Every row with a JSON key has a case above, or a reason it has none. */
static void
test_every_limited_row_is_walked(void **state)
{
	/* Rows without a length or count limit to walk. */
	static const enum defn_tag unlimited[] = { T_NONE, T_HAS_ENTRYPOINT,
		T_HAS_COMMAND, T_PRIVILEGED, T_RESTART, T_UPDATE_PULL,
		T_UPDATE_EAGER, T_UPDATE_ROLLBACK,
		/* walked in test_rolling_limit (0 is refused, not a default) */
		T_UPDATE_ROLLING, T_READ_ONLY,
		/* walked as command/entrypoint, the same limits */
		T_CAP_ADD, T_SECCOMP, T_SOURCE };

	for (unsigned int t = 0; t < T_DEFN_MAX; t++) {
		int walked = 0;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			walked |= cases[i].tag == t;
		for (size_t i = 0; i < sizeof(unlimited) / sizeof(*unlimited);
		     i++)
			walked |= unlimited[i] == t;
		if (!walked)
			fail_msg("row %u (%s) has no limit case", t,
			    defn_fields[t].key ? defn_fields[t].key : "-");
	}
}

static void
test_table_is_indexed_by_tag(void **state)
{
	const char *keys[T_DEFN_MAX];
	size_t n = field_top_keys(keys, T_DEFN_MAX);

	for (unsigned int t = 0; t < T_DEFN_MAX; t++) {
		assert_int_equal(defn_fields[t].tag, t);
		assert_non_null(defn_fields[t].doc);
		assert_true(defn_fields[t].kind >= FK_STRING);
	}
	/* wire.h's bound on items covers every repeatable row. */
	size_t items = 0;
	for (unsigned int t = 1; t < T_DEFN_MAX; t++)
		items += field_repeatable(&defn_fields[t])
		    ? defn_fields[t].max_items
		    : 1;
	assert_true(items <= WIRE_MAX_ITEMS);
	/* The definition's 25 keys, "type", "update" and "healthcheck"
	 * included. */
	assert_int_equal(n, 25);
	assert_string_equal(keys[0], "type");
	assert_non_null(field_by_key("update", "rolling"));
	assert_int_equal(field_by_key("update", "pull")->kind, FK_NOT_FLAG);
	assert_null(field_by_key("update", "sideways"));
	assert_int_equal(
	    field_by_key("healthcheck", "interval")->kind, FK_SECONDS);
	assert_int_equal(field_by_key("update", "rollback")->kind, FK_NOT_FLAG);
	/* Added rows come after T_SOURCE (the 0.1.0 encoding's last tag). */
	for (unsigned int t = T_SOURCE + 1; t < T_DEFN_MAX; t++)
		assert_true(defn_fields[t].key != NULL);
}

/* The largest document the fetcher accepts still fits in one message. */
static void
test_largest_definition_fits(void **state)
{
	char dir[] = "/tmp/dockerup-fields.XXXXXX", prof[64];
	struct defs_result r;
	struct file_ops ops;
	struct errlist e;
	struct buf doc;
	FILE *f;
	long n = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(prof, sizeof(prof), "%s/p.json", dir);
	/* A profile near its size limit, named from this seccomp_dir. */
	assert_non_null(f = fopen(prof, "w"));
	fputs("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[", f);
	for (int k = 0; k < 2; k++) {
		fprintf(f, "%s{\"action\":\"SCMP_ACT_ALLOW\",\"names\":[",
		    k ? "," : "");
		for (int i = 0; i < 1000; i++)
			fprintf(
			    f, "%s\"s%d%04d_%054d\"", i ? "," : "", k, i, 0);
		fputs("]}", f);
	}
	fputs("]}", f);
	fclose(f);
	/* env values filling the document to its limit. */
	buf_init(&doc, MAX_DOCUMENT_SIZE);
	buf_append_str(&doc,
	    "{\"image\": \"busybox:1\", \"securityOpt\": [\"seccomp=p\"], "
	    "\"env\": {");
	for (long i = 0; i < MAX_ENV; i++) {
		long room = (long)(MAX_DOCUMENT_SIZE - doc.len) - 16 -
		    (long)(MAX_ENV - i) * 16;
		long len = room / (MAX_ENV - i);
		if (len > (long)MAX_STRING_LEN)
			len = MAX_STRING_LEN;
		buf_printf(&doc, "%s\"E%ld\": \"", i ? ", " : "", i);
		put_rep(&doc, 'v', len);
		buf_append_str(&doc, "\"");
		n += len;
	}
	buf_append_str(&doc, "}}");
	assert_true(doc.len > MAX_DOCUMENT_SIZE - 4096);
	defs_result_init(&r);
	errlist_init(&e);
	ops = direct_file_ops;
	ops.ctx = dir;
	if (defs_parse(
		"t.json", buf_cstr(&doc), doc.len, DOC_FILE, &ops, &r, &e) != 0)
		fail_msg("not accepted: %s: %s", e.v[0].field, e.v[0].msg);
	assert_true(
	    strlen(r.defs[0].seccomp) > MAX_SECCOMP_PROFILE_SIZE - 8192);
	assert_non_null(r.defs[0].seccomp);
	engine_accepts(&r.defs[0], "the largest definition");
	print_message("%zu-byte document, %ld bytes of env values, a %zu-byte "
		      "profile: one message\n",
	    doc.len, n, strlen(r.defs[0].seccomp));
	errlist_free(&e);
	defs_result_free(&r);
	buf_free(&doc);
	unlink(prof);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_indexed_by_tag),
		cmocka_unit_test(test_every_limited_row_is_walked),
		cmocka_unit_test(test_every_limit_agrees),
		cmocka_unit_test(test_rolling_limit),
		cmocka_unit_test(test_largest_definition_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
