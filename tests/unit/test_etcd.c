/* etcd's v3 gateway answers (src/fetcher/etcd.c) and the names of etcd's
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
#include "fetcher/etcd.h"
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_ok),
		cmocka_unit_test(test_range_refused),
		cmocka_unit_test(test_range_bounds),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_source_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
