/* etcd's v3 gateway answers (src/common/etcd.c) and the names of etcd's
 * sources (src/common/settings.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bounds.h"
#include "common/etcd.h"
#include "settings.h"

#define DIR "/dockerup/default/containers/"

/* base64 of a string, for building answers. */
static char *
b64(const char *s)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	size_t n = strlen(s), j = 0;
	char *o = malloc(4 * (n / 3 + 1) + 1);

	assert_non_null(o);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		o[j++] = t[v >> 18 & 63];
		o[j++] = t[v >> 12 & 63];
		o[j++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		o[j++] = i + 2 < n ? t[v & 63] : '=';
	}
	o[j] = '\0';
	return o;
}

/* An answer holding the keys and values given (NULL value: none). */
static char *
answer(size_t n, const char *const *keys, const char *const *vals)
{
	size_t cap = 1 << 20, len = 0;
	char *a = malloc(cap);

	assert_non_null(a);
	len += (size_t)snprintf(
	    a + len, cap - len, "{\"header\":{\"revision\":\"42\"},\"kvs\":[");
	for (size_t i = 0; i < n; i++) {
		char *k = b64(keys[i]), *v = vals[i] ? b64(vals[i]) : NULL;
		len += (size_t)snprintf(a + len, cap - len,
		    "%s{\"key\":\"%s\",\"mod_revision\":\"%zu\"%s%s%s}",
		    i ? "," : "", k, i + 7, v ? ",\"value\":\"" : "",
		    v ? v : "", v ? "\"" : "");
		free(k);
		free(v);
	}
	snprintf(a + len, cap - len, "],\"count\":\"%zu\"}", n);
	return a;
}

static void
test_range_ok(void **state)
{
	const char *keys[] = { DIR "web", DIR "api", DIR "empty" };
	const char *vals[] = { "{\"name\":\"web\"}", "{\"containers\":[]}",
		NULL };
	char *a = answer(3, keys, vals), err[512];
	struct etcd_kvs kvs;

	(void)state;
	assert_int_equal(
	    etcd_parse_range(a, strlen(a), DIR, &kvs, err, sizeof(err)), 0);
	assert_int_equal(kvs.n, 3);
	assert_int_equal(kvs.revision, 42);
	assert_string_equal(kvs.v[0].key, DIR "web");
	assert_int_equal(kvs.v[0].len, strlen(vals[0]));
	assert_memory_equal(kvs.v[0].value, vals[0], kvs.v[0].len);
	assert_int_equal(kvs.v[1].mod_rev, 8);
	assert_int_equal(kvs.v[2].len, 0); /* no value: empty */
	assert_int_equal(kvs.ignored, 0);
	etcd_kvs_free(&kvs);
	free(a);
	/* No key at all: the gateway leaves kvs out. */
	a = strdup("{\"header\":{\"revision\":\"3\"}}");
	assert_int_equal(
	    etcd_parse_range(a, strlen(a), DIR, &kvs, err, sizeof(err)), 0);
	assert_int_equal(kvs.n, 0);
	etcd_kvs_free(&kvs);
	free(a);
}

static void
expect_refused(const char *a, const char *what)
{
	struct etcd_kvs kvs;
	char err[512];

	if (etcd_parse_range(a, strlen(a), DIR, &kvs, err, sizeof(err)) != -1)
		fail_msg("accepted: %s", a);
	if (strstr(err, what) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", a, err, what);
}

static void
test_range_refused(void **state)
{
	char buf[512], *k = b64("/elsewhere/x"), *d = b64(DIR "x");

	(void)state;
	expect_refused("", "not a JSON object");
	expect_refused("<html>502</html>", "not a JSON object");
	expect_refused("[]", "not a JSON object");
	expect_refused("{\"kvs\":{}}", "kvs: expected an array");
	expect_refused("{\"kvs\":[1]}", "kvs[0]: expected an object");
	expect_refused(
	    "{\"kvs\":[{\"key\":\"!!!\"}]}", "kvs[0].key: not base64");
	expect_refused("{\"header\":{\"revision\":\"-1\"}}", "header");
	expect_refused("{\"kvs\":[],\"more\":true}", "more than");
	snprintf(buf, sizeof(buf), "{\"kvs\":[{\"key\":\"%s\"}]}", k);
	expect_refused(buf, "not under " DIR);
	snprintf(buf, sizeof(buf),
	    "{\"kvs\":[{\"key\":\"%s\",\"value\":\"***\"}]}", d);
	expect_refused(buf, DIR "x: the value is not base64");
	snprintf(buf, sizeof(buf),
	    "{\"kvs\":[{\"key\":\"%s\",\"mod_revision\":\"x\"}]}", d);
	expect_refused(buf, "mod_revision");
	free(k);
	free(d);
}

static void
test_range_bounds(void **state)
{
	char *big = malloc(MAX_DOCUMENT_SIZE + 2), *a, err[512];
	const char *keys[] = { DIR "big", DIR "ctl\001x", DIR "ok" };
	const char *vals[] = { big, "{}", "{}" };
	struct etcd_kvs kvs;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', MAX_DOCUMENT_SIZE + 1);
	big[MAX_DOCUMENT_SIZE + 1] = '\0';
	a = answer(3, keys, vals);
	assert_int_equal(
	    etcd_parse_range(a, strlen(a), DIR, &kvs, err, sizeof(err)), 0);
	assert_int_equal(kvs.n, 2);
	assert_true(kvs.v[0].too_large); /* named, refused by the caller */
	assert_null(kvs.v[0].value);
	assert_int_equal(kvs.ignored, 1); /* a control character */
	assert_string_equal(kvs.v[1].key, DIR "ok");
	etcd_kvs_free(&kvs);
	free(a);
	free(big);
}

static void
test_fingerprint(void **state)
{
	const char *k1[] = { DIR "a", DIR "b" }, *v[] = { "1", "2" };
	const char *k2[] = { DIR "a" };
	unsigned char m1[SHA256_LEN], m2[SHA256_LEN];
	struct etcd_kvs x, y;
	char *a = answer(2, k1, v), *b = answer(1, k2, v), err[256];

	(void)state;
	assert_int_equal(etcd_parse_range(a, strlen(a), DIR, &x, err, 256), 0);
	assert_int_equal(etcd_parse_range(b, strlen(b), DIR, &y, err, 256), 0);
	etcd_fingerprint(&x, m1);
	etcd_fingerprint(&y, m2);
	assert_memory_not_equal(m1, m2, SHA256_LEN); /* a key deleted */
	y.v[0].mod_rev = 99;
	etcd_fingerprint(&y, m1);
	assert_memory_not_equal(m1, m2, SHA256_LEN); /* a key changed */
	etcd_kvs_free(&x);
	etcd_kvs_free(&y);
	free(a);
	free(b);
}

static void
test_source_names(void **state)
{
	struct settings s;
	char *dir;

	(void)state;
	settings_init(&s);
	assert_false(settings_etcd_on(&s));
	assert_false(settings_etcd_source_ok(&s, "etcd:" DIR "web"));
	s.etcd = strdup("http://127.0.0.1:2379");
	dir = settings_etcd_dir(&s);
	assert_string_equal(dir, DIR);
	free(dir);
	assert_true(settings_etcd_source_ok(&s, "etcd:" DIR "web"));
	assert_true(settings_etcd_source_ok(&s, "etcd:" DIR));
	assert_false(settings_etcd_source_ok(&s,
	    "etcd:/dockerup/other/"
	    "containers/web"));
	assert_false(settings_etcd_source_ok(&s, "user-data"));
	assert_false(settings_etcd_source_ok(&s, "/etc/dockerup/x.json"));
	assert_false(settings_etcd_source_ok(&s, "etcd:" DIR "a b"));
	assert_false(settings_etcd_source_ok(&s, "etcd:" DIR "a\nb"));
	free(s.fleet_group);
	s.fleet_group = strdup("blue");
	free(s.etcd_prefix);
	s.etcd_prefix = strdup("/fleet/");
	dir = settings_etcd_dir(&s);
	assert_string_equal(dir, "/fleet/blue/containers/");
	free(dir);
	settings_free(&s);
}

/* Leases and transactions: the answers of etcd 3.4's gateway. */
static void
test_lease_txn(void **state)
{
	const char *grant = "{\"header\":{\"revision\":\"1\"},"
			    "\"ID\":\"4111120399569940997\",\"TTL\":\"6\"}";
	const char *alive = "{\"result\":{\"ID\":\"7\",\"TTL\":\"5\"}}";
	const char *expired = "{\"result\":{\"header\":{},\"ID\":\"7\"}}";
	uint64_t id;
	int64_t ttl;
	int ok;

	assert_int_equal(etcd_parse_lease(grant, strlen(grant), &id, &ttl), 0);
	assert_true(id == 4111120399569940997ULL);
	assert_int_equal(ttl, 6);
	assert_int_equal(etcd_parse_lease(alive, strlen(alive), &id, &ttl), 0);
	assert_true(id == 7 && ttl == 5);
	/* An expired lease: no TTL. */
	assert_int_equal(
	    etcd_parse_lease(expired, strlen(expired), &id, &ttl), 0);
	assert_int_equal(ttl, 0);
	assert_int_equal(etcd_parse_lease("{}", 2, &id, &ttl), -1);
	assert_int_equal(
	    etcd_parse_lease("{\"ID\":\"-1\"}", 11, &id, &ttl), -1);
	assert_int_equal(etcd_parse_lease("[1]", 3, &id, &ttl), -1);
	assert_int_equal(etcd_parse_txn("{\"succeeded\":true}", 18, &ok), 0);
	assert_int_equal(ok, 1);
	/* A failed compare: proto3 leaves false out. */
	assert_int_equal(etcd_parse_txn("{\"header\":{}}", 13, &ok), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(
	    etcd_parse_txn("{\"succeeded\":\"yes\"}", 19, &ok), -1);
	assert_int_equal(etcd_parse_txn("not json", 8, &ok), -1);
}

/* The values of rolling/ and failed/ keys, and identities as keys. */
static void
test_fleet_values(void **state)
{
	const char *slot = "{\"host\":\"h1\",\"hash\":\"ab\",\"since\":17}";
	const char *failed = "{\"host\":\"h2\",\"hash\":\"cd\",\"reason\":"
			     "\"exited\",\"time\":9}";
	struct fleet_value v;
	char *k, *t;

	assert_int_equal(fleet_parse_value(slot, strlen(slot), &v), 0);
	assert_string_equal(v.host, "h1");
	assert_string_equal(v.hash, "ab");
	assert_int_equal(v.time, 17);
	assert_int_equal(fleet_parse_value(failed, strlen(failed), &v), 0);
	assert_string_equal(v.reason, "exited");
	assert_int_equal(v.time, 9);
	/* No host, a host of the wrong type, a control character, junk. */
	assert_int_equal(fleet_parse_value("{\"hash\":\"x\"}", 12, &v), -1);
	assert_int_equal(fleet_parse_value("{\"host\":5}", 10, &v), -1);
	assert_int_equal(
	    fleet_parse_value("{\"host\":\"a\\u0001b\"}", 18, &v), -1);
	assert_int_equal(fleet_parse_value("\xff\xfe", 2, &v), -1);
	assert_int_equal(
	    fleet_parse_value("{\"host\":\"h\",\"since\":-5}", 23, &v), -1);
	k = fleet_key_ident("image:reg:5000/a/b%c d");
	assert_string_equal(k, "image:reg:5000%2Fa%2Fb%25c%20d");
	t = fleet_ident_text(k, strlen(k));
	assert_string_equal(t, "image:reg:5000/a/b%c d");
	free(t);
	free(k);
	/* Not printable, or cut short: left as it is. */
	t = fleet_ident_text("a%01b%2", 7);
	assert_string_equal(t, "a%01b%2");
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_ok),
		cmocka_unit_test(test_range_refused),
		cmocka_unit_test(test_range_bounds),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_source_names),
		cmocka_unit_test(test_lease_txn),
		cmocka_unit_test(test_fleet_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
