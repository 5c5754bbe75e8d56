/*
 * The settings of issue #7: --log-format/log_format=, --syslog/syslog=,
 * --metrics-file/metrics_file=, --format (with --dry-run only, and for
 * `dockerup status`), on the command line, in the file with FILE:LINE
 * errors, and across the settings wire encoding.
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
#include "errlist.h"
#include "imsg.h"
#include "settings_parse.h"
#include "wire.h"

static char tmpdir[64];

static int
setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_settings_ops.XXXXXX");
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
write_conf(const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ops.conf", tmpdir);
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
	char line[1400];

	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].where, where) == 0 &&
		    strcmp(e->v[i].field, field) == 0 &&
		    strstr(e->v[i].msg, substr) != NULL)
			return 1;
	for (size_t i = 0; i < e->n; i++)
		print_message(
		    "  %s\n", cfgerr_format(&e->v[i], line, sizeof(line)));
	return 0;
}

/* settings_load (or settings_load_status) on a NULL-terminated list. */
static enum settings_result
load_argv(int status_cmd, struct settings *s, struct errlist *e, va_list ap)
{
	char *argv[64];
	int argc = 0;

	errlist_init(e);
	argv[argc++] = status_cmd ? "status" : "dockerup";
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	return status_cmd ? settings_load_status(s, argc, argv, e)
			  : settings_load(s, argc, argv, e);
}

static enum settings_result
load(struct settings *s, struct errlist *e, ...)
{
	enum settings_result r;
	va_list ap;

	va_start(ap, e);
	r = load_argv(0, s, e, ap);
	va_end(ap);
	return r;
}

static enum settings_result
load_status(struct settings *s, struct errlist *e, ...)
{
	enum settings_result r;
	va_list ap;

	va_start(ap, e);
	r = load_argv(1, s, e, ap);
	va_end(ap);
	return r;
}

static void
done(struct settings *s, struct errlist *e)
{
	settings_free(s);
	errlist_free(e);
}

static void
test_defaults(void **state)
{
	struct settings s;
	struct errlist e;

	assert_int_equal(load(&s, &e, "-c", write_conf(""), NULL), SETTINGS_OK);
	assert_int_equal(s.log_format, LOGFMT_TEXT);
	assert_int_equal(s.syslog, 0);
	assert_int_equal(s.format, OUTPUT_TEXT);
	assert_null(s.metrics_file);
	done(&s, &e);
}

static void
test_cmdline(void **state)
{
	struct settings s;
	struct errlist e;
	char *conf = write_conf("");

	assert_int_equal(
	    load(&s, &e, "-c", conf, "--log-format", "json", "--syslog",
		"--metrics-file", "/var/lib/prom/dockerup.prom", "--dry-run",
		"--format", "json", NULL),
	    SETTINGS_OK);
	assert_int_equal(e.n, 0);
	assert_int_equal(s.log_format, LOGFMT_JSON);
	assert_int_equal(s.syslog, 1);
	assert_int_equal(s.format, OUTPUT_JSON);
	assert_string_equal(s.metrics_file, "/var/lib/prom/dockerup.prom");
	done(&s, &e);
	assert_int_equal(
	    load(&s, &e, "-c", conf, "--syslog=no", "--log-format=text",
		"--dry-run", "--format=text", NULL),
	    SETTINGS_OK);
	assert_int_equal(s.syslog, 0);
	assert_int_equal(s.log_format, LOGFMT_TEXT);
	assert_int_equal(s.format, OUTPUT_TEXT);
	done(&s, &e);
}

static void
test_cmdline_errors(void **state)
{
	struct settings s;
	struct errlist e;
	char *conf = write_conf("");

	/* --format shapes the plan: without --dry-run it is a usage error. */
	assert_int_equal(
	    load(&s, &e, "-c", conf, "--format", "json", NULL), SETTINGS_USAGE);
	assert_true(has_error(
	    &e, "command line", "--format", "expected it with --dry-run"));
	done(&s, &e);
	assert_int_equal(
	    load(&s, &e, "-c", conf, "--server", "--format", "text", NULL),
	    SETTINGS_USAGE);
	done(&s, &e);
	assert_int_equal(
	    load(&s, &e, "-c", conf, "--dry-run", "--format", "yaml", NULL),
	    SETTINGS_USAGE);
	assert_true(has_error(&e, "command line", "--format",
	    "\"yaml\" is not valid; expected text or json"));
	done(&s, &e);
	assert_int_equal(load(&s, &e, "-c", conf, "--log-format", "xml", NULL),
	    SETTINGS_USAGE);
	assert_true(has_error(
	    &e, "command line", "--log-format", "expected text or json"));
	done(&s, &e);
	assert_int_equal(load(&s, &e, "-c", conf, "--syslog=sometimes", NULL),
	    SETTINGS_USAGE);
	assert_true(has_error(&e, "command line", "--syslog", "not valid"));
	done(&s, &e);
	assert_int_equal(
	    load(&s, &e, "-c", conf, "--metrics-file", "relative.prom", NULL),
	    SETTINGS_USAGE);
	assert_true(
	    has_error(&e, "command line", "--metrics-file", "absolute path"));
	done(&s, &e);
}

static void
test_file(void **state)
{
	struct settings s;
	struct errlist e;
	char *conf;

	conf = write_conf("; issue 7\nlog_format = json\nsyslog=yes\n"
			  "metrics_file=/run/prom/d.prom\n");
	assert_int_equal(load(&s, &e, "-c", conf, NULL), SETTINGS_OK);
	assert_int_equal(s.log_format, LOGFMT_JSON);
	assert_int_equal(s.syslog, 1);
	assert_string_equal(s.metrics_file, "/run/prom/d.prom");
	done(&s, &e);
	/* The command line wins over the file. */
	assert_int_equal(
	    load(&s, &e, "-c", conf, "--log-format", "text", "--syslog=false",
		"--metrics-file", "/x.prom", NULL),
	    SETTINGS_OK);
	assert_int_equal(s.log_format, LOGFMT_TEXT);
	assert_int_equal(s.syslog, 0);
	assert_string_equal(s.metrics_file, "/x.prom");
	done(&s, &e);
}

static void
test_file_errors(void **state)
{
	struct settings s;
	struct errlist e;
	char where[300], *conf;

	conf = write_conf("log_fromat=json\nsyslog=maybe\n"
			  "metrics_file=m.prom\nlog_format=xml\nformat=json\n"
			  "metric_file=/a\n");
	assert_int_equal(load(&s, &e, "-c", conf, NULL), SETTINGS_USAGE);
	snprintf(where, sizeof(where), "%s:1", conf);
	assert_true(
	    has_error(&e, where, "log_fromat", "did you mean log_format?"));
	snprintf(where, sizeof(where), "%s:2", conf);
	assert_true(has_error(&e, where, "syslog", "\"maybe\" is not valid"));
	snprintf(where, sizeof(where), "%s:3", conf);
	assert_true(has_error(&e, where, "metrics_file", "absolute path"));
	snprintf(where, sizeof(where), "%s:4", conf);
	assert_true(has_error(&e, where, "log_format",
	    "expected text or "
	    "json"));
	snprintf(where, sizeof(where), "%s:5", conf);
	assert_true(has_error(&e, where, "format", "command-line option"));
	snprintf(where, sizeof(where), "%s:6", conf);
	assert_true(
	    has_error(&e, where, "metric_file", "did you mean metrics_file?"));
	done(&s, &e);
}

static void
test_status_command(void **state)
{
	struct settings s;
	struct errlist e;
	char *conf = write_conf("cache=/srv/dockerup-cache\n");

	/* --format needs no --dry-run here, and the file's cache= counts. */
	assert_int_equal(
	    load_status(&s, &e, "--config", conf, "--format", "json", NULL),
	    SETTINGS_OK);
	assert_int_equal(s.format, OUTPUT_JSON);
	assert_string_equal(s.cache, "/srv/dockerup-cache");
	done(&s, &e);
	assert_int_equal(
	    load_status(&s, &e, "--config", conf, "--cache", "/c2", NULL),
	    SETTINGS_OK);
	assert_string_equal(s.cache, "/c2");
	assert_int_equal(s.format, OUTPUT_TEXT);
	done(&s, &e);
	assert_int_equal(
	    load_status(&s, &e, "--format", "csv", NULL), SETTINGS_USAGE);
	assert_true(
	    has_error(&e, "command line", "--format", "expected text or json"));
	done(&s, &e);
	assert_int_equal(load_status(&s, &e, "now", NULL), SETTINGS_USAGE);
	assert_true(has_error(&e, "command line", "", "unexpected argument"));
	done(&s, &e);
}

static void
test_wire_roundtrip(void **state)
{
	struct settings s, back;
	struct buf b;
	char err[256];

	settings_init(&s);
	s.log_format = LOGFMT_JSON;
	s.syslog = 1;
	s.mode = MODE_DRY_RUN;
	s.format = OUTPUT_JSON;
	s.metrics_file = strdup("/var/lib/node_exporter/dockerup.prom");
	buf_init(&b, IMSG_MAX_DATA);
	assert_int_equal(wire_encode_settings(&s, &b), 0);
	assert_int_equal(
	    wire_decode_settings(b.p, b.len, &back, err, sizeof(err)), 0);
	assert_int_equal(back.log_format, LOGFMT_JSON);
	assert_int_equal(back.syslog, 1);
	assert_int_equal(back.format, OUTPUT_JSON);
	assert_string_equal(
	    back.metrics_file, "/var/lib/node_exporter/dockerup.prom");
	settings_free(&back);
	/* Without a metrics file, none comes back. */
	free(s.metrics_file);
	s.metrics_file = NULL;
	buf_reset(&b);
	assert_int_equal(wire_encode_settings(&s, &b), 0);
	assert_int_equal(
	    wire_decode_settings(b.p, b.len, &back, err, sizeof(err)), 0);
	assert_null(back.metrics_file);
	settings_free(&back);
	/* A log format out of range is refused. */
	s.log_format = (enum log_format_setting)7;
	buf_reset(&b);
	assert_int_equal(wire_encode_settings(&s, &b), 0);
	assert_int_equal(
	    wire_decode_settings(b.p, b.len, &back, err, sizeof(err)), -1);
	settings_free(&s);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_cmdline_errors),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_status_command),
		cmocka_unit_test(test_wire_roundtrip),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
