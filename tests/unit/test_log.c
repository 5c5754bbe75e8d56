/*
 * Log lines (src/common/log.c): the text and JSON formats, JSON escaping
 * of any bytes, and the summary of repeated warnings.  stderr is sent to
 * a temporary file and read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "bounds.h"
#include "log.h"

static char path[64];
static int saved_stderr = -1;

/* stderr to a fresh temporary file. */
static int
capture(void **state)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_log.XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return -1;
	if (saved_stderr == -1)
		saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_init("test", 1);
	log_configure(0, 0, 0);
	return 0;
}

static int
release(void **state)
{
	log_flush();
	dup2(saved_stderr, STDERR_FILENO);
	unlink(path);
	return 0;
}

/* What was logged so far; the caller frees it. */
static char *
captured(void)
{
	FILE *f = fopen(path, "r");
	char *s = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(s);
	n = fread(s, 1, 65535, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_text_line(void **state)
{
	char *out;

	errno = ENOENT;
	log_warn("opening %s", "x");
	log_info("plain");
	log_debug("shown at -v");
	out = captured();
	/* 2026-11-28T02:05:40.123Z warn test: opening x: No such file... */
	assert_int_equal(out[4], '-');
	assert_int_equal(out[10], 'T');
	assert_int_equal(out[19], '.');
	assert_int_equal(out[23], 'Z');
	assert_non_null(strstr(out,
	    "Z warn test: opening x: No such file or "
	    "directory\n"));
	assert_non_null(strstr(out, "Z info test: plain\n"));
	assert_non_null(strstr(out, "Z debug test: shown at -v\n"));
	free(out);
}

static void
test_json_line(void **state)
{
	char *out, *nl;
	cJSON *o;

	log_configure(1, 0, 0);
	log_warnx("quote \" backslash \\ newline \n tab \t ctl \x01 "
		  "utf8 \xc3\xa9 bad \xff end");
	out = captured();
	nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0'); /* one line */
	o = cJSON_ParseWithLength(out, (size_t)(nl - out));
	assert_non_null(o);
	assert_string_equal(
	    cJSON_GetObjectItem(o, "level")->valuestring, "warn");
	assert_string_equal(
	    cJSON_GetObjectItem(o, "proc")->valuestring, "test");
	assert_int_equal(
	    (long)cJSON_GetObjectItem(o, "pid")->valuedouble, (long)getpid());
	assert_int_equal(
	    strlen(cJSON_GetObjectItem(o, "time")->valuestring), 24);
	assert_string_equal(cJSON_GetObjectItem(o, "msg")->valuestring,
	    "quote \" backslash \\ newline \n tab \t ctl \x01 utf8 \xc3\xa9 "
	    "bad \xef\xbf\xbd end");
	cJSON_Delete(o);
	free(out);
	log_configure(0, 0, 0);
}

static void
test_json_escape_cut(void **state)
{
	char out[8];

	/* Never half an escape or half a character. */
	assert_int_equal(log_json_escape("abcdef\"", out, sizeof(out)), 6);
	assert_string_equal(out, "abcdef");
	assert_int_equal(log_json_escape("ab\x01", out, sizeof(out)), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(log_json_escape("abcde\xc3\xa9", out, sizeof(out)), 7);
	assert_int_equal(
	    log_json_escape("abcdef\xc3\xa9", out, sizeof(out)), 6);
	/* Overlong and surrogate encodings are not UTF-8. */
	log_json_escape("\xc0\xaf", out, sizeof(out));
	assert_string_equal(out, "\\ufffd");
	char big[64];
	log_json_escape("\xed\xa0\x80", big, sizeof(big));
	assert_string_equal(big, "\\ufffd\\ufffd\\ufffd");
}

/* Text escaping: each case as a person reads it afterwards. */
static void
test_text_escape(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain \xc3\xa9 \\ \"q\"", "plain \xc3\xa9 \\ \"q\"" },
		{ "a\nb\rc\td", "a\\nb\\rc\\td" },
		{ "\x1b[2J", "\\x1b[2J" },
		{ "nul-free \x01\x1f\x7f", "nul-free \\x01\\x1f\\x7f" },
		/* C1 controls, as UTF-8: CSI, NEL */
		{ "\xc2\x9b"
		  "2J \xc2\x85",
		    "\\u009b2J \\u0085" },
		{ "\xc2\xa0 kept", "\xc2\xa0 kept" }, /* U+00A0 is printable */
		/* not UTF-8: a lone byte, overlong, surrogate, truncated */
		{ "\xff\xc0\xaf", "\\xff\\xc0\\xaf" },
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
		{ "end \xe2\x82", "end \\xe2\\x82" },
	};
	char out[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t used =
		    log_escape(cases[i].in, LOG_ESC_TEXT, out, sizeof(out));
		assert_string_equal(out, cases[i].want);
		assert_int_equal(used, strlen(cases[i].in));
	}
	/* Cut before an escape that does not fit, never inside one. */
	assert_int_equal(log_escape("ab\x1b", LOG_ESC_TEXT, out, 5), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(log_escape("ab\xc3\xa9", LOG_ESC_TEXT, out, 4), 2);
	assert_string_equal(out, "ab");
	/* JSON escapes C1 controls too. */
	log_escape("\xc2\x9b", LOG_ESC_JSON, out, sizeof(out));
	assert_string_equal(out, "\\u009b");
}

/* The text another trust domain sends cannot forge a line nor reach the
 * terminal as an escape sequence, in either format. */
static const char forged[] = "no such image\n2026-01-01T00:00:00.000Z "
			     "info engine: fake line\r\x1b[2J\xc2\x9b"
			     "31m";

static void
test_text_line_not_forged(void **state)
{
	char *out;

	log_warnx("pull failed: %s (HTTP 404)", forged);
	out = captured();
	assert_int_equal(count(out, "\n"), 1);
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\r'));
	assert_null(strstr(out, "\xc2\x9b"));
	assert_non_null(strstr(out,
	    "warn test: pull failed: no such image\\n2026-01-01T00:00:00.000Z "
	    "info engine: fake line\\r\\x1b[2J\\u009b31m (HTTP 404)\n"));
	free(out);
}

static void
test_json_line_not_forged(void **state)
{
	char *out, *nl;
	cJSON *o;

	log_configure(1, 0, 0);
	log_warnx("pull failed: %s", forged);
	out = captured();
	assert_int_equal(count(out, "\n"), 1);
	assert_null(strchr(out, '\x1b'));
	assert_null(strstr(out, "\xc2\x9b"));
	nl = strchr(out, '\n');
	o = cJSON_ParseWithLength(out, (size_t)(nl - out));
	assert_non_null(o);
	/* A JSON reader gets the text back as it was sent. */
	assert_non_null(
	    strstr(cJSON_GetObjectItem(o, "msg")->valuestring, forged));
	cJSON_Delete(o);
	free(out);
	log_configure(0, 0, 0);
}

/* --syslog: the same escaping, in both formats. */
static void
test_syslog_line_not_forged(void **state)
{
	char line[LOG_LINE_MAX + 128], msg[512];
	size_t n;

	snprintf(msg, sizeof(msg), "pull failed: %s", forged);
	log_init("engine", 0);
	log_configure(0, 0, 0);
	n = log_syslog_line(LOG_LVL_WARN, msg, line, sizeof(line));
	assert_int_equal(n, strlen(line));
	assert_null(strchr(line, '\n'));
	assert_null(strchr(line, '\x1b'));
	assert_null(strstr(line, "\xc2\x9b"));
	assert_int_equal(strncmp(line, "<28>dockerup[", 13), 0);
	assert_non_null(strstr(line,
	    "]: engine: pull failed: no such image\\n2026-01-01T00:00:00.000Z "
	    "info engine: fake line\\r\\x1b[2J\\u009b31m"));
	log_configure(1, 0, 0);
	log_syslog_line(LOG_LVL_WARN, msg, line, sizeof(line));
	assert_null(strchr(line, '\n'));
	assert_null(strchr(line, '\x1b'));
	assert_null(strstr(line, "\xc2\x9b"));
	assert_non_null(
	    strstr(line, "\"msg\":\"pull failed: no such image\\n"));
	log_configure(0, 0, 0);
}

static void
test_long_json_line_stays_valid(void **state)
{
	char *msg = malloc(LOG_MSG_MAX), *out;
	cJSON *o;

	/* Each \x01 becomes 6 bytes: more than a line holds. */
	memset(msg, '\x01', LOG_MSG_MAX - 1);
	msg[LOG_MSG_MAX - 1] = '\0';
	log_configure(1, 0, 0);
	log_info("%s", msg);
	out = captured();
	o = cJSON_Parse(out);
	assert_non_null(o);
	cJSON_Delete(o);
	free(out);
	free(msg);
	log_configure(0, 0, 0);
}

static void
test_repeats(void **state)
{
	char *out;

	for (int i = 0; i < 4; i++)
		log_warnx("registry down");
	log_info("a run ends"); /* does not interrupt */
	log_warnx("registry down");
	out = captured();
	assert_int_equal(count(out, "registry down"), 1);
	assert_int_equal(count(out, "repeated"), 0);
	free(out);
	log_warnx("something else");
	out = captured();
	assert_non_null(strstr(out,
	    "warn test: last message repeated 4 "
	    "times\n"));
	assert_true(strstr(out, "repeated 4") < strstr(out, "something else"));
	free(out);
	/* A repeat pending at exit (or on log_flush) is not lost. */
	log_warnx("something else");
	log_flush();
	out = captured();
	assert_non_null(strstr(out, "last message repeated 1 time\n"));
	assert_int_equal(count(out, "something else"), 1);
	free(out);
	/* Different levels are different messages. */
	log_info("registry down");
	log_info("registry down");
	out = captured();
	assert_int_equal(count(out, "info test: registry down"), 2);
	free(out);
}

static void
test_syslog_fallback(void **state)
{
	char *out;

	/* No /dev/log in a unit test's world is assumed; if there is one,
	 * the line goes there and nothing is asserted about stderr. */
	if (access("/dev/log", F_OK) == 0)
		skip();
	log_configure(0, 1, 1);
	log_info("after fallback");
	out = captured();
	assert_int_equal(count(out, "syslog: cannot connect to /dev/log"), 1);
	assert_non_null(strstr(out, "info test: after fallback"));
	free(out);
	log_configure(0, 0, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_text_line, capture, release),
		cmocka_unit_test_setup_teardown(
		    test_json_line, capture, release),
		cmocka_unit_test(test_json_escape_cut),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test_setup_teardown(
		    test_text_line_not_forged, capture, release),
		cmocka_unit_test_setup_teardown(
		    test_json_line_not_forged, capture, release),
		cmocka_unit_test(test_syslog_line_not_forged),
		cmocka_unit_test_setup_teardown(
		    test_long_json_line_stays_valid, capture, release),
		cmocka_unit_test_setup_teardown(test_repeats, capture, release),
		cmocka_unit_test_setup_teardown(
		    test_syslog_fallback, capture, release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
