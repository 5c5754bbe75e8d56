/*
 * Run reports, the JSON plan and the status and metrics files
 * (src/engine/status.c), outside any sandbox, in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "defn.h"
#include "reconcile.h"
#include "settings.h"
#include "status.h"

static char tmpdir[64];

static int
setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_status.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static cJSON *
read_json(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[65536];
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return cJSON_Parse(buf);
}

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

/* A run like reconcile.c reports one: two definitions and an orphan. */
static void
sample_report(struct run_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	report_item_begin(rep, "api", "api");
	report_plan(rep, "pull 127.0.0.1:5000/app:2 (not present locally)");
	report_item_seen(rep, "sha256:aaaa", 1, 1);
	report_plan(rep,
	    "replace api (definition changed: env, "
	    "portMappings)");
	report_plan(rep, "signal web SIGHUP (api restarted)");
	report_item_end(rep, "c0ffee");
	report_item_begin(rep, "bad", "bad");
	report_fail(rep, "bad: pull x: not found");
	report_fail(rep, "a later failure");
	report_item_end(rep, "");
	report_item_begin(rep, "db", NULL);
	report_item_seen(rep, "sha256:bbbb", 0, 1);
	report_item_end(rep, "d00d");
	report_plan(rep, "remove intruder (not declared)");
	report_plan(rep,
	    "rename web-old to web (recovering an interrupted "
	    "replace)");
	report_plan(rep, "prune 2 dangling images");
	report_fail(rep, "remove intruder: busy");
	rep->replaced = 1;
	rep->removed = 1;
	rep->failed = 2;
	rep->exit_code = 1;
}

static void
test_report(void **state)
{
	struct run_report rep;

	sample_report(&rep);
	assert_int_equal(rep.nactions, 6);
	assert_string_equal(rep.actions[0].action, "pull");
	assert_string_equal(rep.actions[0].name, "127.0.0.1:5000/app:2");
	assert_string_equal(rep.actions[0].reason, "not present locally");
	assert_string_equal(rep.actions[1].action, "replace");
	assert_string_equal(
	    rep.actions[1].reason, "definition changed: env, portMappings");
	assert_string_equal(rep.actions[2].detail, "SIGHUP");
	assert_string_equal(rep.actions[4].name, "web-old");
	assert_string_equal(rep.actions[4].detail, "to web");
	assert_string_equal(rep.actions[5].name, "");
	assert_string_equal(rep.actions[5].detail, "2 dangling images");
	assert_string_equal(rep.actions[5].reason, "");
	assert_int_equal(rep.nitems, 3);
	assert_string_equal(rep.items[0].action, "replace");
	assert_string_equal(rep.items[0].container_id, "c0ffee");
	assert_string_equal(rep.items[0].image_id, "sha256:aaaa");
	assert_null(rep.items[0].error);
	assert_string_equal(rep.items[1].action, "none");
	assert_string_equal(rep.items[1].error, "bad: pull x: not found");
	assert_string_equal(rep.items[2].action, "unchanged");
	assert_null(rep.items[2].name);
	/* A failure outside any definition is the run's. */
	assert_string_equal(rep.error, "remove intruder: busy");
	run_report_free(&rep);
	assert_int_equal(rep.nitems, 0);
	assert_null(rep.actions);
}

static void
test_plan_json(void **state)
{
	struct run_report rep;
	char path[128];
	FILE *f;
	cJSON *doc, *a;

	sample_report(&rep);
	snprintf(path, sizeof(path), "%s/plan.json", tmpdir);
	assert_non_null(f = fopen(path, "w"));
	status_print_plan(&rep, 1, f);
	fclose(f);
	assert_non_null(doc = read_json(path));
	a = cJSON_GetObjectItem(doc, "actions");
	assert_int_equal(cJSON_GetArraySize(a), 6);
	assert_string_equal(
	    jstr(cJSON_GetArrayItem(a, 1), "action"), "replace");
	assert_string_equal(jstr(cJSON_GetArrayItem(a, 1), "name"), "api");
	assert_string_equal(jstr(cJSON_GetArrayItem(a, 1), "line"),
	    "replace api (definition changed: env, portMappings)");
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "detail"));
	assert_string_equal(jstr(cJSON_GetArrayItem(a, 4), "detail"), "to web");
	assert_int_equal(
	    (int)jnum(cJSON_GetObjectItem(doc, "summary"), "replace"), 1);
	assert_int_equal(
	    (int)jnum(cJSON_GetObjectItem(doc, "summary"), "exit_code"), 1);
	cJSON_Delete(doc);
	run_report_free(&rep);
}

static void
sample_state(struct desired_state *st)
{
	desired_state_init(st);
	st->nsources = 2;
	st->sources = calloc(2, sizeof(*st->sources));
	st->sources[0].name = strdup("/etc/dockerup/containers.d/api.json");
	st->sources[0].health = SOURCE_OK;
	st->sources[1].name = strdup("user-data");
	st->sources[1].health = SOURCE_STALE;
	st->sources[1].error = strdup("unreachable: timeout");
	st->sources[1].good_since = 1700000000;
}

static void
test_status_and_metrics(void **state)
{
	struct settings s;
	struct run_report rep;
	struct desired_state st;
	struct run_timing t = { .start = 1800000000, .duration = 1.5 };
	char path[128], prom[128], cmd[1024];
	FILE *f;
	cJSON *doc, *d;
	struct stat sb;

	settings_init(&s);
	free(s.cache);
	s.cache = strdup(tmpdir);
	snprintf(prom, sizeof(prom), "%s/prom/dockerup.prom", tmpdir);
	snprintf(path, sizeof(path), "%s/prom", tmpdir);
	assert_int_equal(mkdir(path, 0755), 0);
	s.metrics_file = strdup(prom);
	sample_report(&rep);
	sample_state(&st);
	status_open(&s);
	status_write(&s, &st, &rep, &t, 1);
	snprintf(path, sizeof(path), "%s/status.json", tmpdir);
	assert_non_null(doc = read_json(path));
	assert_string_equal(jstr(doc, "time"), "2027-01-15T08:00:00Z");
	assert_string_equal(jstr(doc, "result"), "failed");
	assert_int_equal((int)jnum(doc, "exit_code"), 1);
	assert_string_equal(jstr(doc, "error"), "remove intruder: busy");
	d = cJSON_GetObjectItem(doc, "definitions");
	assert_string_equal(jstr(cJSON_GetArrayItem(d, 0), "state"), "running");
	assert_string_equal(jstr(cJSON_GetArrayItem(d, 1), "state"), "failed");
	assert_string_equal(jstr(cJSON_GetArrayItem(d, 2), "state"), "stopped");
	d = cJSON_GetObjectItem(doc, "sources");
	assert_string_equal(
	    jstr(cJSON_GetArrayItem(d, 1), "health"), "using_last_good");
	assert_string_equal(jstr(cJSON_GetArrayItem(d, 1), "good_since"),
	    "2023-11-14T22:13:20Z");
	assert_null(jstr(cJSON_GetArrayItem(d, 0), "good_since"));
	assert_int_equal(
	    (int)jnum(cJSON_GetObjectItem(doc, "totals"), "runs"), 1);
	cJSON_Delete(doc);
	/* A second engine reads the totals back; a success this time. */
	status_open(&s);
	t.start += 60;
	status_write(&s, &st, &rep, &t, 0);
	assert_non_null(doc = read_json(path));
	assert_int_equal(
	    (int)jnum(cJSON_GetObjectItem(doc, "totals"), "runs"), 2);
	assert_int_equal(
	    (int)jnum(cJSON_GetObjectItem(doc, "totals"), "failures"), 1);
	assert_int_equal(
	    (int)jnum(cJSON_GetObjectItem(doc, "totals"), "last_success"),
	    1800000060);
	cJSON_Delete(doc);
	snprintf(cmd, sizeof(cmd),
	    "grep -qx 'dockerup_runs_total 2' %s && "
	    "grep -qx 'dockerup_run_failures_total 1' %s && "
	    "grep -qx 'dockerup_containers{state=\"failed\"} 1' %s && "
	    "grep -qx 'dockerup_last_success_timestamp_seconds 1800000060' %s "
	    "&& grep -qx 'dockerup_last_run_duration_seconds 1.500' %s",
	    prom, prom, prom, prom, prom);
	assert_int_equal(system(cmd), 0);
	/* No temporary file is left, and a stale one does not block. */
	snprintf(path, sizeof(path), "%s/.status.json.tmp", tmpdir);
	assert_int_equal(stat(path, &sb), -1);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	status_write(&s, &st, &rep, &t, 0);
	assert_int_equal(stat(path, &sb), -1);
	run_report_free(&rep);
	desired_state_free(&st);
	settings_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_plan_json),
		cmocka_unit_test(test_status_and_metrics),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
