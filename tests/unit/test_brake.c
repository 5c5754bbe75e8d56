/*
 * The mass-removal brake's rule (src/engine/decide.c): more than half
 * of the running containers in a run's care, and at least
 * MASS_REMOVAL_MIN, are held back; fewer or less proceed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bounds.h"
#include "decide.h"

static void
test_rule(void **state)
{
	static const struct {
		unsigned going, running;
		int held;
	} cases[] = {
		{ 0, 0, 0 }, { 0, 5, 0 }, { 1, 5, 0 }, { 2, 5, 0 },
		{ 3, 5, 1 }, /* more than half */
		{ 4, 5, 1 }, { 5, 5, 1 },
		{ 2, 2, 0 }, /* all, but fewer than MASS_REMOVAL_MIN */
		{ 3, 3, 1 }, { 3, 6, 0 }, /* exactly half */
		{ 4, 6, 1 }, { 50, 100, 0 }, { 51, 100, 1 },
		{ 4000000000u, 4000000000u, 1 }, /* no overflow */
	};

	assert_int_equal(MASS_REMOVAL_MIN, 3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%u of %u\n", cases[i].going, cases[i].running);
		assert_int_equal(
		    mass_removal_held(cases[i].going, cases[i].running),
		    cases[i].held);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
	};

	return cmocka_run_group_tests_name("brake", tests, NULL, NULL);
}
