/*
 * Settings: the command line, the original's key=value file, DOCKER_HOST
 * and defaults, in that order; every error with FILE:LINE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cmocka.h>

#include "bounds.h"
#include "buf.h"
#include "errlist.h"
#include "testerrs.h"
#include "fields.h"
#include "imsg.h"
#include "settings_parse.h"
#include "wire.h"

#include "testdata.h"

static char tmpdir[64];

static int
setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_settings.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	unsetenv("DOCKER_HOST");
	return 0;
}

static int
teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
write_conf(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int
has_error(const struct errlist *e, const char *where, const char *field,
    const char *substr)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].where, where) == 0 &&
		    strcmp(e->v[i].field, field) == 0 &&
		    strstr(e->v[i].msg, substr) != NULL)
			return 1;
	print_errors(e);
	return 0;
}

/* Runs settings_load on a NULL-terminated argument list. */
static enum settings_result
load(struct settings *s, struct errlist *e, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	errlist_init(e);
	argv[argc++] = "dockerup";
	va_start(ap, e);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return settings_load(s, argc, argv, e);
}

static void
test_defaults(void **state)
{
	struct settings s;
	struct errlist e;

	/* The default settings file is missing here: that is fine. */
	assert_int_equal(access(DEFAULT_CONFIG, F_OK), -1);
	assert_int_equal(load(&s, &e, NULL), SETTINGS_OK);
	assert_int_equal(e.n, 0);
	assert_string_equal(s.config, DEFAULT_CONFIG);
	assert_int_equal(s.config_explicit, 0);
	assert_string_equal(s.cache, "/var/cache/dockerup");
	assert_string_equal(s.confdir, "/etc/dockerup/containers.d");
	assert_string_equal(s.remote, "unix:///var/run/docker.sock");
	assert_string_equal(s.imds, "http://169.254.169.254");
	assert_string_equal(s.user, "dockerup-fetch");
	assert_int_equal(s.aws, 0);
	assert_int_equal(s.pull, 1);
	assert_int_equal(s.mode, MODE_RUN);
	assert_int_equal(s.interval, 60);
	assert_int_equal(s.orphans, ORPHANS_ALL);
	assert_int_equal(s.seccomp, SECCOMP_ON);
	assert_int_equal(s.ready_timeout, 60);
	assert_int_equal(s.lock_wait, LOCK_WAIT_DEFAULT_S);
	assert_null(s.registry_auth);
	assert_null(s.self_id);
	assert_string_equal(s.seccomp_dir, "/etc/dockerup/seccomp");
	assert_int_equal(s.seccomp_allow_permissive, 0);
	settings_free(&s);
	errlist_free(&e);
}

static void
test_every_option(void **state)
{
	struct settings s;
	struct errlist e;
	char *conf = write_conf("empty.conf", "");

	assert_int_equal(
	    load(&s, &e, "-c", conf, "--cache", "/c", "--confdir", "/d",
		"--remote", "tcp://127.0.0.1:2375/", "--aws", "--imds",
		"http://127.0.0.1:8080/", "--no-pull", "--server", "--interval",
		"5", "--user", "_dockerup", "-v", "--verbose",
		"--registry-auth", "/root/.docker/config.json", "--orphans",
		"managed", "--ready-timeout", "30", "--lock-wait", "0",
		"--seccomp", "trap", "--self-id", "abc123", "--seccomp-dir",
		"/etc/profiles", "--seccomp-allow-permissive",
		"--allow-insecure-tcp", "--status-group", "prom",
		"--confirm-removals", NULL),
	    SETTINGS_OK);
	print_errors(&e);
	assert_int_equal(e.n, 0);
	assert_string_equal(s.config, conf);
	assert_int_equal(s.config_explicit, 1);
	assert_string_equal(s.cache, "/c");
	assert_string_equal(s.confdir, "/d");
	assert_string_equal(s.remote, "tcp://127.0.0.1:2375");
	assert_int_equal(s.allow_insecure_tcp, 1);
	assert_string_equal(s.status_group, "prom");
	assert_int_equal(s.confirm_removals, 1);
	assert_int_equal(s.aws, 1);
	assert_string_equal(s.imds, "http://127.0.0.1:8080");
	assert_int_equal(s.pull, 0);
	assert_int_equal(s.mode, MODE_SERVER);
	assert_int_equal(s.interval, 5);
	assert_string_equal(s.user, "_dockerup");
	assert_int_equal(s.verbose, 2);
	assert_string_equal(s.registry_auth, "/root/.docker/config.json");
	assert_int_equal(s.orphans, ORPHANS_MANAGED);
	assert_int_equal(s.ready_timeout, 30);
	assert_int_equal(s.lock_wait, 0);
	assert_int_equal(s.seccomp, SECCOMP_TRAP);
	assert_string_equal(s.self_id, "abc123");
	assert_string_equal(s.seccomp_dir, "/etc/profiles");
	assert_int_equal(s.seccomp_allow_permissive, 1);
	settings_free(&s);
	errlist_free(&e);
	/* Booleans take an optional value. */
	assert_int_equal(
	    load(&s, &e, "-c", conf, "--pull=false", "--aws=yes", NULL),
	    SETTINGS_OK);
	assert_int_equal(s.pull, 0);
	assert_int_equal(s.aws, 1);
	settings_free(&s);
	errlist_free(&e);
	assert_int_equal(
	    load(&s, &e, "-c", conf, "--pull=perhaps", NULL), SETTINGS_USAGE);
	settings_free(&s);
	errlist_free(&e);
	/* --option=value works too, and --dry-run and --check set the mode. */
	assert_int_equal(
	    load(&s, &e, "--config=/nonexistent/x", "--dry-run", NULL),
	    SETTINGS_USAGE); /* a named file must exist */
	assert_int_equal(s.mode, MODE_DRY_RUN);
	assert_true(has_error(&e, "/nonexistent/x", "", "cannot read"));
	settings_free(&s);
	errlist_free(&e);
	assert_int_equal(
	    load(&s, &e, "-c", conf, "--check", NULL), SETTINGS_OK);
	assert_int_equal(s.mode, MODE_CHECK);
	settings_free(&s);
	errlist_free(&e);
}

static void
test_file_format(void **state)
{
	struct settings s;
	struct errlist e;
	char *conf = write_conf("f.conf",
	    "; a comment\n"
	    "# another\n"
	    "\n"
	    "   confdir = /srv/defs   \n"
	    "remote=unix://var/run/docker.sock\r\n"
	    "interval=15\n"
	    "aws=yes\n"
	    "pull=0\n"
	    "registry-auth=/etc/auth.json\n"
	    "ready_timeout=9\n"
	    "LOCK_WAIT=7\n"
	    "orphans=managed\n"
	    "seccomp=off\n"
	    "self_id=me\n"
	    "server=true\n"
	    "verbose=1\n"
	    "user=daemon\n"
	    "cache=/var/tmp/c\n"
	    "imds=http://127.0.0.1:9\n"
	    "seccomp_dir=/srv/seccomp\n"
	    "seccomp_allow_permissive=yes\n");

	assert_int_equal(load(&s, &e, "-c", conf, NULL), SETTINGS_OK);
	print_errors(&e);
	assert_string_equal(s.confdir, "/srv/defs");
	assert_string_equal(s.remote, "unix:///var/run/docker.sock");
	assert_int_equal(s.interval, 15);
	assert_int_equal(s.aws, 1);
	assert_int_equal(s.pull, 0);
	assert_string_equal(s.registry_auth, "/etc/auth.json");
	assert_int_equal(s.ready_timeout, 9);
	assert_int_equal(s.lock_wait, 7);
	assert_int_equal(s.orphans, ORPHANS_MANAGED);
	assert_int_equal(s.seccomp, SECCOMP_OFF);
	assert_string_equal(s.self_id, "me");
	assert_string_equal(s.seccomp_dir, "/srv/seccomp");
	assert_int_equal(s.seccomp_allow_permissive, 1);
	assert_int_equal(s.mode, MODE_SERVER);
	assert_int_equal(s.verbose, 1);
	assert_string_equal(s.user, "daemon");
	assert_string_equal(s.cache, "/var/tmp/c");
	assert_string_equal(s.imds, "http://127.0.0.1:9");
	settings_free(&s);
	errlist_free(&e);
}

static void
test_booleans(void **state)
{
	const char *t[] = { "true", "yes", "1", "TRUE", "Yes" };
	const char *f[] = { "false", "no", "0", "False", "NO" };
	struct settings s;
	struct errlist e;
	char text[64];

	for (size_t i = 0; i < 5; i++) {
		settings_init(&s);
		errlist_init(&e);
		snprintf(text, sizeof(text), "aws=%s\npull=%s\n", t[i], f[i]);
		assert_int_equal(settings_parse_file(&s, "b.conf", text,
				     strlen(text), NULL, &e),
		    0);
		assert_int_equal(s.aws, 1);
		assert_int_equal(s.pull, 0);
		settings_free(&s);
		errlist_free(&e);
	}
}

struct bad_conf {
	const char *text;
	const char *where;
	const char *field;
	const char *msg;
};

static const struct bad_conf bad_confs[] = {
	{ "confdir=/a\ninterval=abc\n", "b.conf:2", "interval",
	    "\"abc\" is not valid; expected a whole number from 1 to 86400" },
	{ "interval=0\n", "b.conf:1", "interval", "from 1 to 86400" },
	{ "interval=-5\n", "b.conf:1", "interval", "whole number" },
	{ "aws=maybe\n", "b.conf:1", "aws", "expected true, false, yes, no" },
	{ "\n\nconfdr=/x\n", "b.conf:3", "confdr", "did you mean confdir?" },
	{ "colour=blue\n", "b.conf:1", "colour",
	    "unknown key; expected one of" },
	{ "confdir\n", "b.conf:1", "", "expected key=value" },
	{ "confdir=relative/path\n", "b.conf:1", "confdir",
	    "expected an absolute path" },
	{ "confdir=/a/../b\n", "b.conf:1", "confdir", "absolute path" },
	{ "remote=http://x\n", "b.conf:1", "remote",
	    "expected unix:///PATH, unix://PATH or tcp://HOST:PORT" },
	{ "remote=tcp://host\n", "b.conf:1", "remote", "tcp://HOST:PORT" },
	{ "remote=tcp://host:99999\n", "b.conf:1", "remote", "is not valid" },
	{ "imds=https://x\n", "b.conf:1", "imds",
	    "expected http://HOST[:PORT]" },
	{ "orphans=some\n", "b.conf:1", "orphans", "expected all or managed" },
	{ "seccomp=strict\n", "b.conf:1", "seccomp",
	    "expected on, trap or off" },
	{ "user=root user\n", "b.conf:1", "user", "expected a name" },
	{ "seccomp_dir=seccomp\n", "b.conf:1", "seccomp_dir",
	    "expected an absolute path" },
	{ "seccomp_allow_permissive=maybe\n", "b.conf:1",
	    "seccomp_allow_permissive", "expected true, false" },
	{ "aws=true\naws=false\n", "b.conf:2", "aws", "is set twice" },
	{ "config=/x\n", "b.conf:1", "config", "command-line option only" },
	{ "dry-run=true\n", "b.conf:1", "dry_run", "command-line option only" },
	{ "lock_wait=3601\n", "b.conf:1", "lock_wait", "from 0 to 3600" },
};

static void
test_file_errors(void **state)
{
	for (size_t i = 0; i < sizeof(bad_confs) / sizeof(*bad_confs); i++) {
		struct settings s;
		struct errlist e;
		settings_init(&s);
		errlist_init(&e);
		assert_int_equal(
		    settings_parse_file(&s, "b.conf", bad_confs[i].text,
			strlen(bad_confs[i].text), NULL, &e),
		    -1);
		if (!has_error(&e, bad_confs[i].where, bad_confs[i].field,
			bad_confs[i].msg))
			fail_msg("case %zu: %s", i, bad_confs[i].text);
		settings_free(&s);
		errlist_free(&e);
	}
}

static void
test_file_limits(void **state)
{
	struct settings s;
	struct errlist e;
	char *big = malloc(MAX_SETTINGS_SIZE + 10);

	settings_init(&s);
	errlist_init(&e);
	memset(big, '#', MAX_SETTINGS_SIZE + 1);
	assert_int_equal(settings_parse_file(&s, "big.conf", big,
			     MAX_SETTINGS_SIZE + 1, NULL, &e),
	    -1);
	assert_true(has_error(&e, "big.conf", "", "expected at most 65536"));
	errlist_free(&e);
	/* A line past MAX_SETTINGS_LINE. */
	memset(big, 'x', MAX_SETTINGS_LINE + 1);
	big[MAX_SETTINGS_LINE + 1] = '\n';
	assert_int_equal(settings_parse_file(&s, "long.conf", big,
			     MAX_SETTINGS_LINE + 2, NULL, &e),
	    -1);
	assert_true(has_error(&e, "long.conf:1", "", "expected at most 4096"));
	errlist_free(&e);
	assert_int_equal(
	    settings_parse_file(&s, "nul.conf", "aws=1\0x", 7, NULL, &e), -1);
	assert_true(has_error(&e, "nul.conf", "", "NUL byte"));
	errlist_free(&e);
	settings_free(&s);
	free(big);
}

/* Every problem is reported, not only the first. */
static void
test_all_errors_reported(void **state)
{
	struct settings s;
	struct errlist e;
	const char *text = "interval=x\naws=x\nbogus=1\nremote=x\n";

	settings_init(&s);
	errlist_init(&e);
	assert_int_equal(
	    settings_parse_file(&s, "m.conf", text, strlen(text), NULL, &e),
	    -1);
	assert_int_equal(e.n, 4);
	settings_free(&s);
	errlist_free(&e);
}

static void
test_precedence(void **state)
{
	struct settings s;
	struct errlist e;
	char *conf = write_conf("p.conf",
	    "remote=unix:///from/file.sock\n"
	    "interval=20\nconfdir=/file\naws=true\n");
	char copy[256];

	snprintf(copy, sizeof(copy), "%s", conf);
	setenv("DOCKER_HOST", "tcp://10.0.0.1:2376", 1);
	/* Command line over the file. */
	assert_int_equal(
	    load(&s, &e, "-c", copy, "--remote", "unix:///cmd.sock",
		"--interval", "7", "--no-aws", NULL),
	    SETTINGS_OK);
	assert_string_equal(s.remote, "unix:///cmd.sock");
	assert_int_equal(s.interval, 7);
	assert_int_equal(s.aws, 0);
	assert_string_equal(s.confdir, "/file");
	settings_free(&s);
	errlist_free(&e);
	/* The file over DOCKER_HOST. */
	assert_int_equal(load(&s, &e, "-c", copy, NULL), SETTINGS_OK);
	assert_string_equal(s.remote, "unix:///from/file.sock");
	assert_int_equal(s.interval, 20);
	settings_free(&s);
	errlist_free(&e);
	/* DOCKER_HOST over the default. */
	conf = write_conf("q.conf", "interval=20\nallow_insecure_tcp=1\n");
	snprintf(copy, sizeof(copy), "%s", conf);
	assert_int_equal(load(&s, &e, "-c", copy, NULL), SETTINGS_OK);
	assert_string_equal(s.remote, "tcp://10.0.0.1:2376");
	settings_free(&s);
	errlist_free(&e);
	/* A bad DOCKER_HOST is an error only when it is used. */
	setenv("DOCKER_HOST", "ftp://x", 1);
	assert_int_equal(load(&s, &e, "-c", copy, NULL), SETTINGS_USAGE);
	assert_true(has_error(&e, "environment", "DOCKER_HOST", "expected"));
	settings_free(&s);
	errlist_free(&e);
	assert_int_equal(
	    load(&s, &e, "-c", copy, "--remote", "unix:///x", NULL),
	    SETTINGS_OK);
	settings_free(&s);
	errlist_free(&e);
	/* Even a bad file value is reported when the command line wins. */
	conf = write_conf("r.conf", "interval=zero\n");
	snprintf(copy, sizeof(copy), "%s", conf);
	assert_int_equal(
	    load(&s, &e, "-c", copy, "--interval", "3", NULL), SETTINGS_USAGE);
	assert_int_equal(s.interval, 3);
	settings_free(&s);
	errlist_free(&e);
	unsetenv("DOCKER_HOST");
}

static void
test_usage_errors(void **state)
{
	struct settings s;
	struct errlist e;

	assert_int_equal(load(&s, &e, "--bogus", NULL), SETTINGS_USAGE);
	assert_true(has_error(&e, "command line", "--bogus", "unknown option"));
	settings_free(&s);
	errlist_free(&e);
	assert_int_equal(load(&s, &e, "-x", NULL), SETTINGS_USAGE);
	assert_true(has_error(&e, "command line", "-x", "unknown option"));
	settings_free(&s);
	errlist_free(&e);
	assert_int_equal(load(&s, &e, "--interval", NULL), SETTINGS_USAGE);
	assert_true(
	    has_error(&e, "command line", "--interval", "needs a value"));
	settings_free(&s);
	errlist_free(&e);
	assert_int_equal(load(&s, &e, "--interval", "0", NULL), SETTINGS_USAGE);
	assert_true(
	    has_error(&e, "command line", "--interval", "from 1 to 86400"));
	settings_free(&s);
	errlist_free(&e);
	assert_int_equal(load(&s, &e, "extra", NULL), SETTINGS_USAGE);
	assert_true(has_error(&e, "command line", "", "unexpected argument"));
	settings_free(&s);
	errlist_free(&e);
	assert_int_equal(
	    load(&s, &e, "--server", "--check", NULL), SETTINGS_USAGE);
	assert_true(has_error(&e, "command line", "", "exclude each other"));
	settings_free(&s);
	errlist_free(&e);
	assert_int_equal(
	    load(&s, &e, "--remote", "unix://", NULL), SETTINGS_USAGE);
	settings_free(&s);
	errlist_free(&e);
}

static void
test_help_and_version(void **state)
{
	struct settings s;
	struct errlist e;
	char path[256];
	FILE *saved;
	int fd, out;

	snprintf(path, sizeof(path), "%s/stdout", tmpdir);
	fflush(stdout);
	out = dup(1);
	fd = creat(path, 0600);
	dup2(fd, 1);
	close(fd);
	assert_int_equal(load(&s, &e, "--help", NULL), SETTINGS_EXIT_OK);
	settings_free(&s);
	errlist_free(&e);
	assert_int_equal(load(&s, &e, "--version", NULL), SETTINGS_EXIT_OK);
	settings_free(&s);
	errlist_free(&e);
	fflush(stdout);
	dup2(out, 1);
	close(out);
	saved = fopen(path, "r");
	char text[8192];
	size_t n = fread(text, 1, sizeof(text) - 1, saved);
	text[n] = '\0';
	fclose(saved);
	const char *must[] = { "--config", "--cache", "--confdir", "--remote",
		"--aws", "--no-aws", "--imds", "--pull", "--no-pull",
		"--server", "--interval", "--user", "--dry-run", "--check",
		"--verbose", "--help", "--version", "--registry-auth",
		"--orphans", "--ready-timeout", "--lock-wait", "--seccomp",
		"--self-id", DEFAULT_CONFIG, DEFAULT_CACHE, DEFAULT_CONFDIR,
		DEFAULT_REMOTE, DEFAULT_IMDS, "default dockerup-fetch",
		"(default 60)", "dockerup " DOCKERUP_VERSION "\n" };
	for (size_t i = 0; i < sizeof(must) / sizeof(*must); i++)
		if (strstr(text, must[i]) == NULL)
			fail_msg("--help/--version lack \"%s\"", must[i]);
}

static void
test_normalize_remote(void **state)
{
	const char *ok[][2] = {
		{ "unix://var/run/docker.sock", "unix:///var/run/docker.sock" },
		{ "unix:///var/run/docker.sock",
		    "unix:///var/run/docker.sock" },
		{ "tcp://127.0.0.1:2375", "tcp://127.0.0.1:2375" },
		{ "tcp://docker.example.com:2376/",
		    "tcp://docker.example.com:2376" },
		{ "tcp://[::1]:2375", "tcp://[::1]:2375" },
	};
	const char *bad[] = { "", "unix://", "unix:///a/../b", "tcp://",
		"tcp://:2375", "tcp://h:0", "tcp://h:x", "http://h:1",
		"/var/run/x", "tcp://h o:1" };
	const char *err;

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		char *n = settings_normalize_remote(ok[i][0], &err);
		assert_non_null(n);
		assert_string_equal(n, ok[i][1]);
		free(n);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_null(settings_normalize_remote(bad[i], &err));
		assert_non_null(err);
	}
}

/* The original's settings files and the README's block load unchanged. */
static void
test_reference_files(void **state)
{
	const char *files[] = { "dockerup.conf", "dockerup-container.conf" };
	struct settings s;
	struct errlist e;
	size_t len;

	for (size_t i = 0; i < 2; i++) {
		char path[64];
		snprintf(path, sizeof(path), "original/%s", files[i]);
		char *text = test_data_file(path, &len);
		settings_init(&s);
		errlist_init(&e);
		assert_int_equal(
		    settings_parse_file(&s, files[i], text, len, NULL, &e), 0);
		assert_string_equal(s.confdir, "/etc/dockerup/containers.d");
		assert_string_equal(s.remote, "unix:///var/run/docker.sock");
		assert_int_equal(s.aws, i == 1);
		assert_int_equal(s.interval, 60);
		settings_free(&s);
		errlist_free(&e);
		free(text);
	}
	/* The README's list of settings with their defaults. */
	char *ini = test_data_file("original/readme/settings.ini", &len);
	settings_init(&s);
	errlist_init(&e);
	assert_int_equal(
	    settings_parse_file(&s, "README", ini, len, NULL, &e), 0);
	assert_int_equal(s.aws, 0);
	assert_int_equal(s.pull, 1);
	assert_int_equal(s.interval, 60);
	settings_free(&s);
	errlist_free(&e);
	free(ini);
}

/* Keys set on the command line are kept; the file fills in the rest. */
static void
test_cmdline_mask(void **state)
{
	struct settings s;
	struct errlist e;
	uint64_t set = setting_bit(setting_by_key("interval")) |
	    setting_bit(setting_by_key("aws"));
	const char *text = "interval=99\naws=true\npull=false\n";

	settings_init(&s);
	errlist_init(&e);
	assert_int_equal(
	    settings_parse_file(&s, "m.conf", text, strlen(text), &set, &e), 0);
	assert_int_equal(s.interval, 60);
	assert_int_equal(s.aws, 0);
	assert_int_equal(s.pull, 0);
	settings_free(&s);
	errlist_free(&e);
}

/* tcp:// without TLS only when wanted; --confirm-removals never a key. */
static void
test_insecure_tcp(void **state)
{
	struct settings s;
	struct errlist e;
	char *conf = write_conf("t.conf", "remote=tcp://127.0.0.1:2375\n");
	char copy[256];

	snprintf(copy, sizeof(copy), "%s", conf);
	unsetenv("DOCKER_TLS_VERIFY");
	assert_int_equal(load(&s, &e, "-c", copy, NULL), SETTINGS_USAGE);
	assert_int_equal(e.n, 1);
	assert_true(has_error(&e, "settings", "remote",
	    "tcp://127.0.0.1:2375 has no TLS (DOCKER_TLS_VERIFY is not set): "
	    "the Docker API, which is root on its host, would be reached in "
	    "clear and unauthenticated; expected DOCKER_TLS_VERIFY=1 with "
	    "DOCKER_CERT_PATH, or allow_insecure_tcp=true "
	    "(--allow-insecure-tcp) if that is wanted"));
	settings_free(&s);
	errlist_free(&e);
	/* The same from DOCKER_HOST. */
	setenv("DOCKER_HOST", "tcp://10.0.0.1:2375", 1);
	assert_int_equal(load(&s, &e, NULL), SETTINGS_USAGE);
	assert_true(has_error(&e, "settings", "remote", "has no TLS"));
	settings_free(&s);
	errlist_free(&e);
	unsetenv("DOCKER_HOST");
	/* Wanted: by option, by key; or TLS on. */
	assert_int_equal(load(&s, &e, "-c", copy, "--allow-insecure-tcp", NULL),
	    SETTINGS_OK);
	settings_free(&s);
	errlist_free(&e);
	assert_int_equal(
	    load(&s, &e, "-c", copy, "--allow-insecure-tcp=no", NULL),
	    SETTINGS_USAGE);
	settings_free(&s);
	errlist_free(&e);
	conf = write_conf(
	    "u.conf", "remote=tcp://127.0.0.1:2375\nallow_insecure_tcp=yes\n");
	snprintf(copy, sizeof(copy), "%s", conf);
	assert_int_equal(load(&s, &e, "-c", copy, NULL), SETTINGS_OK);
	assert_int_equal(s.allow_insecure_tcp, 1);
	settings_free(&s);
	errlist_free(&e);
	conf = write_conf("v.conf", "remote=tcp://127.0.0.1:2376\n");
	snprintf(copy, sizeof(copy), "%s", conf);
	setenv("DOCKER_TLS_VERIFY", "1", 1);
	assert_int_equal(load(&s, &e, "-c", copy, NULL), SETTINGS_OK);
	settings_free(&s);
	errlist_free(&e);
	unsetenv("DOCKER_TLS_VERIFY");
	/* unix:// needs nothing; `dockerup status` never asks. */
	assert_int_equal(
	    load(&s, &e, "--remote", "unix:///x.sock", NULL), SETTINGS_OK);
	settings_free(&s);
	errlist_free(&e);
	/* --confirm-removals is of the command line only. */
	conf = write_conf("w.conf", "confirm_removals=true\n");
	snprintf(copy, sizeof(copy), "%s", conf);
	char where[300];
	snprintf(where, sizeof(where), "%s:1", copy);
	assert_int_equal(load(&s, &e, "-c", copy, NULL), SETTINGS_USAGE);
	assert_true(has_error(
	    &e, where, "confirm_removals", "is a command-line option only"));
	settings_free(&s);
	errlist_free(&e);
}

/* ---- the table (settings.h), row by row ---- */

/* A value valid for the row, other than its default, as written. */
static const char *
row_value(const struct setting_desc *d, const char *conf)
{
	switch (d->kind) {
	case SET_PATH:
		return "/srv/row/path";
	case SET_ANY_PATH:
		return conf;
	case SET_NAME:
		return "row_name-1.x";
	case SET_REMOTE:
		return "unix:///run/row.sock";
	case SET_URL:
		return "http://127.0.0.1:8080";
	case SET_CAPS:
		return "NET_ADMIN,SYS_TIME";
	case SET_PATHS:
		return "/srv/a,/srv/b";
	case SET_HOSTS:
		return "registry.example:5000,docker.io";
	case SET_URLS:
		return "http://127.0.0.1:2379,https://etcd.example:2379";
	default:
		return NULL;
	}
}

/* An integer row's value other than its default, within its range. */
static int
row_int(const struct setting_desc *d)
{
	int min, max;

	setting_int_range(d, &min, &max);
	if (d->kind == SET_COUNT)
		return 1;
	if (d->kind == SET_MODE)
		return MODE_SERVER;
	return d->idef != max ? max : min;
}

/* The row's integer as text for the file or an option's value. */
static void
row_int_text(const struct setting_desc *d, int v, char *out, size_t len)
{
	if (d->kind == SET_ENUM)
		snprintf(out, len, "%s", d->names[v - 1]);
	else if (d->kind == SET_INT)
		snprintf(out, len, "%d", v);
	else
		snprintf(out, len, "%s", v ? "yes" : "no");
}

static int
row_is(const struct setting_desc *d, struct settings *s, const char *str, int v)
{
	if (setting_is_string(d))
		return *setting_str(s, d) != NULL &&
		    strcmp(*setting_str(s, d), str) == 0;
	return *setting_int(s, d) == v;
}

/* The row holds the same value in a and b. */
static int
same_row(const struct setting_desc *d, struct settings *a, struct settings *b)
{
	const char *x, *y;

	if (!setting_is_string(d))
		return *setting_int(a, d) == *setting_int(b, d);
	x = *setting_str(a, d);
	y = *setting_str(b, d);
	return x == NULL || y == NULL ? x == y : strcmp(x, y) == 0;
}

/* Every row is described whole, and the wire's tags and slots agree. */
static void
test_table_rows(void **state)
{
	unsigned char tags[256] = { 0 }, slots[64] = { 0 };
	size_t nints = 0, wire_only = 0;
	struct settings s;

	assert_true(settings_count > 30 && settings_count <= MAX_SETTINGS_ROWS);
	settings_init(&s);
	for (size_t i = 0; i < settings_count; i++) {
		const struct setting_desc *d = &settings_table[i];
		const char *name = d->key ? d->key : d->opt ? d->opt : "?";
		int min, max;
		if (d->key == NULL && d->opt == NULL)
			wire_only++;
		/* The file key is the option's name, '-' as '_'. */
		if (d->key != NULL && d->opt != NULL) {
			char k[64];
			snprintf(k, sizeof(k), "%s", d->opt);
			for (char *c = k; *c; c++)
				*c = *c == '-' ? '_' : *c;
			if (strcmp(k, d->key) != 0)
				fail_msg("%s: option --%s", d->key, d->opt);
		}
		if (d->doc == NULL || d->doc[0] == '\0')
			fail_msg("%s has no doc (--help) text", name);
		if (d->key != NULL)
			assert_ptr_equal(setting_by_key(d->key), d);
		if (d->opt != NULL)
			assert_ptr_equal(setting_by_opt(d->opt), d);
		assert_int_equal(setting_bit(d), (uint64_t)1 << i);
		if (setting_is_string(d)) {
			assert_true(d->wire > 0 && d->wire < sizeof(tags));
			assert_int_not_equal(d->wire, SETTINGS_TAG_INTS);
			if (tags[d->wire]++)
				fail_msg("%s: tag %u twice", name, d->wire);
			if (d->def == NULL)
				assert_null(*setting_str(&s, d));
			else
				assert_string_equal(
				    *setting_str(&s, d), d->def);
			continue;
		}
		assert_true(d->wire < sizeof(slots));
		if (slots[d->wire]++)
			fail_msg("%s: slot %u twice", name, d->wire);
		nints++;
		assert_int_equal(d->kind == SET_ENUM, d->names != NULL);
		setting_int_range(d, &min, &max);
		if (d->idef < min || d->idef > max)
			fail_msg("%s: default %d outside %d..%d", name, d->idef,
			    min, max);
		assert_int_equal(*setting_int(&s, d), d->idef);
	}
	/* Slots are 0..n-1: the ints field is exactly 4 * n bytes. */
	for (size_t i = 0; i < nints; i++)
		if (!slots[i])
			fail_msg("no integer in slot %zu", i);
	assert_int_equal(wire_only, 1); /* config_explicit */
	settings_free(&s);
}

/* Each row, changed alone, crosses the wire; out of range, it does not. */
static void
test_table_wire(void **state)
{
	struct settings s, back;
	struct buf b;
	char err[256];
	int min, max;

	buf_init(&b, IMSG_MAX_DATA);
	for (size_t i = 0; i < settings_count; i++) {
		const struct setting_desc *d = &settings_table[i];
		const char *str = row_value(d, "/etc/row.conf");
		int v = setting_is_string(d) ? 0 : row_int(d);
		settings_init(&s);
		if (setting_is_string(d)) {
			free(*setting_str(&s, d));
			*setting_str(&s, d) = strdup(str);
		} else
			*setting_int(&s, d) = v;
		buf_reset(&b);
		assert_int_equal(wire_encode_settings(&s, &b), 0);
		if (wire_decode_settings(b.p, b.len, &back, err, sizeof(err)))
			fail_msg("row %zu: %s", i, err);
		for (size_t j = 0; j < settings_count; j++)
			if (!same_row(&settings_table[j], &s, &back))
				fail_msg(
				    "row %zu changed, row %zu differs", i, j);
		settings_free(&back);
		/* An integer out of its row's range is refused. */
		if (!setting_is_string(d)) {
			setting_int_range(d, &min, &max);
			*setting_int(&s, d) = max < INT_MAX ? max + 1 : min - 1;
			buf_reset(&b);
			assert_int_equal(wire_encode_settings(&s, &b), 0);
			assert_int_equal(wire_decode_settings(b.p, b.len, &back,
					     err, sizeof(err)),
			    -1);
			assert_non_null(strstr(err, "expected"));
		}
		settings_free(&s);
	}
	buf_free(&b);
}

/* Every file key is parsed, and the command line's mask keeps a value. */
static void
test_table_file_keys(void **state)
{
	struct settings s;
	struct errlist e;
	char text[256], val[64];

	for (size_t i = 0; i < settings_count; i++) {
		const struct setting_desc *d = &settings_table[i];
		const char *str = row_value(d, NULL);
		int v = 0;
		uint64_t mask = setting_bit(d);
		if (d->key == NULL)
			continue;
		if (str == NULL) {
			v = row_int(d);
			row_int_text(
			    d, d->kind == SET_COUNT ? 1 : v, val, sizeof(val));
			str = val;
		}
		snprintf(text, sizeof(text), "%s = %s\n", d->key, str);
		settings_init(&s);
		errlist_init(&e);
		if (settings_parse_file(
			&s, "k.conf", text, strlen(text), NULL, &e) != 0) {
			print_errors(&e);
			fail_msg("%s", text);
		}
		if (!row_is(d, &s, str, v))
			fail_msg("%s: not set", text);
		settings_free(&s);
		/* Named on the command line: checked, but not taken. */
		settings_init(&s);
		assert_int_equal(settings_parse_file(&s, "k.conf", text,
				     strlen(text), &mask, &e),
		    0);
		if (setting_is_string(d) ? d->def == NULL
			    ? *setting_str(&s, d) != NULL
			    : strcmp(*setting_str(&s, d), d->def) != 0
					 : *setting_int(&s, d) != d->idef)
			fail_msg("%s: taken despite the command line", text);
		settings_free(&s);
		/* A bad value is a bad value, not an unknown key. */
		snprintf(text, sizeof(text), "%s=\001bad\n", d->key);
		settings_init(&s);
		assert_int_equal(settings_parse_file(&s, "k.conf", text,
				     strlen(text), NULL, &e),
		    -1);
		assert_true(has_error(&e, "k.conf:1", d->key, "is not valid"));
		settings_free(&s);
		errlist_free(&e);
	}
}

/* Every option of the table is accepted by getopt and sets its row. */
static void
test_table_options(void **state)
{
	char *conf = write_conf("opt.conf", ""), copy[256], arg[300], val[64];
	struct settings s;
	struct errlist e;

	snprintf(copy, sizeof(copy), "%s", conf);
	for (size_t i = 0; i < settings_count; i++) {
		const struct setting_desc *d = &settings_table[i];
		const char *str = row_value(d, copy);
		int v = str == NULL ? row_int(d) : 0;
		char *dry = d->opt != NULL && strcmp(d->opt, "format") == 0
		    ? "--dry-run"
		    : NULL;
		if (d->opt == NULL)
			continue;
		if (d->kind == SET_BOOL && !(d->flags & SF_NO_ARG)) {
			/* --opt=BOOL, --opt alone; then the negation. */
			snprintf(arg, sizeof(arg), "--%s=%s", d->opt,
			    d->idef ? "no" : "yes");
			assert_int_equal(
			    load(&s, &e, "-c", copy, arg, NULL), SETTINGS_OK);
			assert_int_equal(*setting_int(&s, d), !d->idef);
			settings_free(&s);
			errlist_free(&e);
			snprintf(arg, sizeof(arg), "--%s", d->opt);
			assert_int_equal(
			    load(&s, &e, "-c", copy, arg, NULL), SETTINGS_OK);
			assert_int_equal(*setting_int(&s, d), 1);
			settings_free(&s);
			errlist_free(&e);
			if (d->nopt == NULL)
				continue;
			snprintf(arg, sizeof(arg), "--%s", d->nopt);
			assert_int_equal(
			    load(&s, &e, "-c", copy, arg, NULL), SETTINGS_OK);
			assert_int_equal(*setting_int(&s, d), 0);
			settings_free(&s);
			errlist_free(&e);
			continue;
		}
		if (str == NULL && d->kind != SET_BOOL &&
		    d->kind != SET_COUNT && d->kind != SET_MODE) {
			row_int_text(d, v, val, sizeof(val));
			str = val;
		}
		if (str != NULL)
			snprintf(arg, sizeof(arg), "--%s=%s", d->opt, str);
		else
			snprintf(arg, sizeof(arg), "--%s", d->opt);
		if (load(&s, &e, "-c", copy, arg, dry, NULL) != SETTINGS_OK) {
			print_errors(&e);
			fail_msg("%s", arg);
		}
		if (!row_is(d, &s, str, d->kind == SET_BOOL ? 1 : v))
			fail_msg("%s: not set", arg);
		settings_free(&s);
		errlist_free(&e);
		/* The short option does the same. */
		if (d->short_opt != 0) {
			char sh[3] = { '-', d->short_opt, '\0' };
			assert_int_equal(
			    load(&s, &e, "-c", copy, sh, str, NULL),
			    SETTINGS_OK);
			assert_true(row_is(d, &s, str, v));
			settings_free(&s);
			errlist_free(&e);
		}
	}
}

/*
 * The field table's remote-source rules (fields.c) name trust-policy
 * settings by key and by member: both are the same row of this table.
 */
static void
test_table_policy_keys(void **state)
{
	size_t n = 0;

	for (size_t t = 0; t < T_DEFN_MAX; t++)
		for (size_t i = 0; i < FIELD_POLICY_RULES; i++) {
			const struct field_policy *r =
			    &defn_fields[t].remote[i];
			const struct setting_desc *d;
			if (r->rule == POL_NONE)
				continue;
			if ((d = setting_by_key(r->key)) == NULL)
				fail_msg(
				    "fields.c names %s: no setting", r->key);
			assert_int_equal(
			    d->off, offsetof(struct settings, policy) + r->off);
			assert_null(d->opt); /* of the settings file only */
			n++;
		}
	assert_true(n >= 7);
}

/* An option without a file key, in the file, is named as such. */
static void
test_table_cmdline_only(void **state)
{
	const char *cmds[] = { "dry_run", "check", "help", "version" };
	struct settings s;
	struct errlist e;
	char text[128];
	size_t n = 0;

	for (size_t i = 0; i < settings_count + 4; i++) {
		const struct setting_desc *d =
		    i < settings_count ? &settings_table[i] : NULL;
		const char *names[2] = { NULL, NULL };
		if (d == NULL)
			names[0] = cmds[i - settings_count];
		else {
			names[0] = d->key == NULL ? d->opt : NULL;
			names[1] = d->nopt;
		}
		for (size_t j = 0; j < 2; j++) {
			if (names[j] == NULL)
				continue;
			snprintf(text, sizeof(text), "%s=1\n", names[j]);
			for (char *c = text; *c; c++)
				*c = *c == '-' ? '_' : *c;
			settings_init(&s);
			errlist_init(&e);
			assert_int_equal(settings_parse_file(&s, "o.conf", text,
					     strlen(text), NULL, &e),
			    -1);
			text[strcspn(text, "=")] = '\0';
			assert_true(has_error(&e, "o.conf:1", text,
			    "is a command-line option only"));
			settings_free(&s);
			errlist_free(&e);
			n++;
		}
	}
	assert_int_equal(n, 9); /* the list settings.c had by hand */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_file_format),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_file_limits),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_normalize_remote),
		cmocka_unit_test(test_reference_files),
		cmocka_unit_test(test_cmdline_mask),
		cmocka_unit_test(test_insecure_tcp),
		cmocka_unit_test(test_table_rows),
		cmocka_unit_test(test_table_wire),
		cmocka_unit_test(test_table_file_keys),
		cmocka_unit_test(test_table_options),
		cmocka_unit_test(test_table_cmdline_only),
		cmocka_unit_test(test_table_policy_keys),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
