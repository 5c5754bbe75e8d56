/* Server mode: the schedule's back-off and jitter, and which confdir
 * names the watch (and the listing) treat as definitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "bounds.h"
#include "parent/parent.h"
#include "fetcher/schedule.h"

static struct wire_run_result
result(uint32_t cause, const char *where)
{
	struct wire_run_result rr;

	memset(&rr, 0, sizeof(rr));
	rr.exit_code = cause == RUN_CAUSE_NONE ? 0 : 1;
	rr.cause = cause;
	strncpy(rr.where, where, sizeof(rr.where) - 1);
	return rr;
}

/* The jitter of an interval: 0..min(10%, SERVER_JITTER_MAX_MS). */
static long long
jitter_bound(int interval_s)
{
	long long b = interval_s * (long long)SERVER_JITTER_PERMILLE;

	return b > SERVER_JITTER_MAX_MS ? SERVER_JITTER_MAX_MS : b;
}

static void
assert_wait(long long got, long long base, int interval_s)
{
	assert_true(got >= base);
	assert_true(got <= base + jitter_bound(interval_s));
}

static void
test_jitter_bounds(void **state)
{
	struct schedule s;
	int intervals[] = { 1, 9, 60, 300, 3600, 86400 };
	long long lo, hi;

	for (size_t i = 0; i < sizeof(intervals) / sizeof(intervals[0]); i++) {
		schedule_init(&s, intervals[i]);
		lo = hi = schedule_wait_ms(&s);
		for (int k = 0; k < 2000; k++) {
			long long w = schedule_wait_ms(&s);
			assert_wait(w, intervals[i] * 1000LL, intervals[i]);
			lo = w < lo ? w : lo;
			hi = w > hi ? w : hi;
		}
		/* Random: 2000 draws spread over the range. */
		if (jitter_bound(intervals[i]) >= 100)
			assert_true(hi - lo > jitter_bound(intervals[i]) / 2);
	}
	/* 3600 s: at most 30 s more, never 360. */
	assert_int_equal(jitter_bound(3600), 30000);
}

static void
test_backoff_doubles_to_cap_and_resets(void **state)
{
	struct schedule s;
	struct wire_run_result fail = result(RUN_CAUSE_REGISTRY, "reg:5000");
	struct wire_run_result ok = result(RUN_CAUSE_NONE, "");
	long long base = 60000;

	schedule_init(&s, 60);
	for (int n = 1; n <= 12; n++) {
		long long want = base << (n - 1);
		if (want > SERVER_BACKOFF_MAX_S * 1000LL)
			want = SERVER_BACKOFF_MAX_S * 1000LL;
		assert_wait(schedule_after_run(&s, &fail), want, 60);
		assert_int_equal(s.failures, n);
	}
	assert_wait(schedule_after_run(&s, &ok), base, 60);
	assert_int_equal(s.failures, 0);
	/* A failure that is not the engine's or a registry's: no back-off. */
	struct wire_run_result other = result(RUN_CAUSE_OTHER, "");
	assert_wait(schedule_after_run(&s, &other), base, 60);
	assert_wait(schedule_after_run(&s, &other), base, 60);
	assert_int_equal(s.failures, 0);
}

static void
test_backoff_never_below_a_long_interval(void **state)
{
	struct schedule s;
	struct wire_run_result fail = result(RUN_CAUSE_ENGINE, "unix:///x");

	schedule_init(&s, 86400);
	for (int n = 1; n <= 3; n++)
		assert_wait(schedule_after_run(&s, &fail), 86400000LL, 86400);
}

static void
test_rate_limited_waits_at_least_the_default(void **state)
{
	struct schedule s;
	struct wire_run_result rl = result(RUN_CAUSE_RATE_LIMITED, "reg:5000");

	schedule_init(&s, 1);
	assert_wait(
	    schedule_after_run(&s, &rl), SERVER_RATE_LIMIT_WAIT_S * 1000LL, 1);
	assert_wait(
	    schedule_after_run(&s, &rl), SERVER_RATE_LIMIT_WAIT_S * 1000LL, 1);
	schedule_init(&s, 300);
	assert_wait(schedule_after_run(&s, &rl), 300000, 300);
	assert_wait(schedule_after_run(&s, &rl), 600000, 300);
}

static void
test_definition_names(void **state)
{
	const char *yes[] = { "web.json", "a.json", "#web.json", "web~.json" };
	const char *no[] = { "4913", ".web.json.swp", ".web.json.swx",
		"web.json~", "#web.json#", ".#web.json", ".web.json",
		"web.json.tmp", ".json", "web.JSON", "web.jso",
		"web.json.bak" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(is_definition_name(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(is_definition_name(no[i]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jitter_bounds),
		cmocka_unit_test(test_backoff_doubles_to_cap_and_resets),
		cmocka_unit_test(test_backoff_never_below_a_long_interval),
		cmocka_unit_test(test_rate_limited_waits_at_least_the_default),
		cmocka_unit_test(test_definition_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
