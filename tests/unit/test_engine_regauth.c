/* Registry credentials: config.json and the legacy .dockercfg, and the
 * X-Registry-Auth value made from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "regauth.h"

/* Decodes a base64url X-Registry-Auth value back to its JSON. */
static cJSON *
decode_header(const char *h)
{
	char *std = strdup(h), *json;
	size_t n;
	cJSON *j;

	for (char *c = std; *c; c++) {
		if (*c == '-')
			*c = '+';
		else if (*c == '_')
			*c = '/';
	}
	json = base64_decode(std, &n);
	assert_non_null(json);
	j = cJSON_Parse(json);
	assert_non_null(j);
	free(std);
	free(json);
	return j;
}

static const char *
field(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
parse_ok(struct regauth *ra, const char *text)
{
	char err[256];

	regauth_init(ra);
	if (regauth_parse(ra, text, strlen(text), "test", err, sizeof(err)) !=
	    0)
		fail_msg("%s", err);
}

static void
test_config_json(void **state)
{
	struct regauth ra;
	char *h;
	int e;
	cJSON *j;

	/* "alice:s3:cret" (a password may hold a colon). */
	parse_ok(&ra,
	    "{\"auths\": {"
	    "\"https://127.0.0.1:5000/v2/\": "
	    "{\"auth\": \"YWxpY2U6czM6Y3JldA==\"},"
	    "\"other.example:443\": "
	    "{\"username\": \"bob\", \"password\": \"pw\"},"
	    "\"https://index.docker.io/v1/\": {\"auth\": \"aHViOmh1YnB3\"},"
	    "\"tok.example\": {\"identitytoken\": \"T0K\"}}}");
	assert_int_equal(ra.n, 4);
	h = regauth_header(&ra, "127.0.0.1:5000", &e);
	assert_non_null(h);
	assert_null(strchr(h, '+'));
	assert_null(strchr(h, '/'));
	j = decode_header(h);
	assert_string_equal(field(j, "username"), "alice");
	assert_string_equal(field(j, "password"), "s3:cret");
	assert_string_equal(field(j, "serveraddress"), "127.0.0.1:5000");
	cJSON_Delete(j);
	regauth_header_free(h);

	h = regauth_header(&ra, "OTHER.example:443", &e);
	j = decode_header(h);
	assert_string_equal(field(j, "username"), "bob");
	assert_string_equal(field(j, "password"), "pw");
	cJSON_Delete(j);
	regauth_header_free(h);

	/* Docker Hub under its usual key. */
	h = regauth_header(&ra, "docker.io", &e);
	j = decode_header(h);
	assert_string_equal(field(j, "username"), "hub");
	assert_string_equal(
	    field(j, "serveraddress"), "https://index.docker.io/v1/");
	cJSON_Delete(j);
	regauth_header_free(h);

	h = regauth_header(&ra, "tok.example", &e);
	j = decode_header(h);
	assert_string_equal(field(j, "identitytoken"), "T0K");
	cJSON_Delete(j);
	regauth_header_free(h);

	/* Unknown registry: no header, and no error. */
	assert_null(regauth_header(&ra, "127.0.0.1:5001", &e));
	assert_int_equal(e, 0);
	assert_int_equal(ra.helpers, 0);
	regauth_free(&ra);
}

/* The original's .dockercfg: the registry map at the top level. */
static void
test_legacy_dockercfg(void **state)
{
	struct regauth ra;
	char *h;
	int e;
	cJSON *j;

	parse_ok(&ra,
	    "{\"https://index.docker.io/v1/\": {\"auth\": "
	    "\"dXNlcjpwYXNz\", \"email\": \"ops@example.com\"}}");
	assert_int_equal(ra.n, 1);
	assert_string_equal(ra.v[0].server, "docker.io");
	h = regauth_header(&ra, "docker.io", &e);
	j = decode_header(h);
	assert_string_equal(field(j, "username"), "user");
	assert_string_equal(field(j, "password"), "pass");
	assert_null(field(j, "email"));
	cJSON_Delete(j);
	regauth_header_free(h);
	regauth_free(&ra);
}

static void
test_helpers_noted(void **state)
{
	struct regauth ra;
	int e;

	parse_ok(&ra,
	    "{\"auths\": {\"ghcr.io\": {}}, \"credsStore\": "
	    "\"desktop\"}");
	assert_int_equal(ra.helpers, 1);
	assert_null(regauth_header(&ra, "ghcr.io", &e));
	assert_int_equal(e, 0);
	regauth_free(&ra);
}

static void
test_bad_files(void **state)
{
	static const char *bad[] = {
		"",
		"[]",
		"{\"auths\": []}",
		"{\"auths\": {\"x\": \"str\"}}",
		"{\"auths\": {\"x\": {\"auth\": \"!!!\"}}}",
		/* "nocolon" */
		"{\"auths\": {\"x\": {\"auth\": \"bm9jb2xvbg==\"}}}",
	};
	struct regauth ra;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		regauth_init(&ra);
		assert_int_equal(regauth_parse(&ra, bad[i], strlen(bad[i]),
				     "/x/config.json", err, sizeof(err)),
		    -1);
		/* Where, and never the secret. */
		assert_non_null(strstr(err, "/x/config.json"));
		assert_null(strstr(err, "bm9jb2xvbg"));
		assert_null(strstr(err, "nocolon"));
		assert_int_equal(ra.n, 0);
	}
}

static void
test_server_keys(void **state)
{
	static const char *in[][2] = {
		{ "https://index.docker.io/v1/", "docker.io" },
		{ "index.docker.io", "docker.io" },
		{ "registry-1.docker.io", "docker.io" },
		{ "http://127.0.0.1:5000", "127.0.0.1:5000" },
		{ "Registry.Example.COM/v2/", "registry.example.com" },
	};

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *k = regauth_server_key(in[i][0]);
		assert_string_equal(k, in[i][1]);
		free(k);
	}
}

static void
test_load_files(void **state)
{
	char dir[] = "/tmp/test_regauth.XXXXXX", path[128], err[256];
	struct regauth ra;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	f = fopen(path, "w");
	fputs("{\"auths\": {\"r.example\": {\"auth\": \"YTpi\"}}}", f);
	fclose(f);
	/* DOCKER_CONFIG names the directory. */
	setenv("DOCKER_CONFIG", dir, 1);
	assert_int_equal(regauth_load(&ra, NULL, err, sizeof(err)), 0);
	assert_int_equal(ra.n, 1);
	regauth_free(&ra);
	/* A named file that is missing is an error. */
	snprintf(path, sizeof(path), "%s/missing.json", dir);
	assert_int_equal(regauth_load(&ra, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing.json"));
	/* No file at all in the default places is fine. */
	unlink(strcat(strcpy(path, dir), "/config.json"));
	assert_int_equal(regauth_load(&ra, NULL, err, sizeof(err)), 0);
	assert_int_equal(ra.n, 0);
	rmdir(dir);
	unsetenv("DOCKER_CONFIG");
}

/* A file that cannot be read or parsed now keeps the last good contents. */
static void
test_reload_keeps_last_good(void **state)
{
	char dir[] = "/tmp/test_regauth.XXXXXX", path[128], err[256];
	struct regauth ra;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/auth.json", dir);
	f = fopen(path, "w");
	fputs("{\"auths\": {\"r.example\": {\"auth\": \"YTpi\"}}}", f);
	fclose(f);
	regauth_init(&ra);
	assert_int_equal(regauth_reload(&ra, path, err, sizeof(err)), 0);
	assert_int_equal(ra.n, 1);
	/* Broken now: still the old credentials. */
	f = fopen(path, "w");
	fputs("{\"auths\": ", f);
	fclose(f);
	assert_int_equal(regauth_reload(&ra, path, err, sizeof(err)), -1);
	assert_int_equal(ra.n, 1);
	assert_string_equal(ra.v[0].username, "a");
	/* Gone: the same. */
	unlink(path);
	assert_int_equal(regauth_reload(&ra, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(ra.n, 1);
	regauth_free(&ra);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_json),
		cmocka_unit_test(test_legacy_dockercfg),
		cmocka_unit_test(test_helpers_noted),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_server_keys),
		cmocka_unit_test(test_load_files),
		cmocka_unit_test(test_reload_keeps_last_good),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
