/*
 * The self-upgrade's handover files as the parent writes them for the
 * engine (src/parent/handover.c) and the engine reads them back
 * (src/engine/selfup.c): only IDs, hashes and times get through.
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

#include "parent/parent.h"
#include "engine/selfup.h"
#include "wire.h"

#define ID64                                                                   \
	"0123456789abcdef0123456789abcdef"                                     \
	"0123456789abcdef0123456789abcdef"

static char cache[64];

static int
setup_cache(void **state)
{
	char dir[128];

	snprintf(cache, sizeof(cache), "/tmp/test_handover.XXXXXX");
	if (mkdtemp(cache) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/handover", cache);
	return mkdir(dir, 0755);
}

static int
teardown_cache(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
	return system(cmd) == 0 ? 0 : -1;
}

static int
write_file(enum wire_self_file f, const char *text)
{
	struct wire_self_write w;

	memset(&w, 0, sizeof(w));
	w.file = (uint32_t)f;
	snprintf(w.text, sizeof(w.text), "%s", text);
	return parent_self_write(cache, &w);
}

static void
test_ids_round_trip(void **state)
{
	char line[WIRE_SELF_TEXT_MAX];

	assert_int_equal(write_file(SELF_FILE_OLD, ID64), 0);
	assert_int_equal(selfup_init(cache), 0);
	assert_int_equal(selfup_read(SELF_FILE_OLD, line, sizeof(line)), 0);
	assert_string_equal(line, ID64);
	assert_true(selfup_is_id(line));
	assert_true(parent_handover_pending(cache));
	/* An empty text removes the file. */
	assert_int_equal(write_file(SELF_FILE_OLD, ""), 0);
	assert_int_equal(selfup_read(SELF_FILE_OLD, line, sizeof(line)), -1);
	assert_false(parent_handover_pending(cache));
}

static void
test_only_ids_and_hashes(void **state)
{
	struct wire_self_write w;

	/* Not 64 hex digits, a path, a newline, upper case. */
	assert_int_equal(write_file(SELF_FILE_READY, "0123"), -1);
	assert_int_equal(write_file(SELF_FILE_READY, "../../etc/passwd"), -1);
	assert_int_equal(write_file(SELF_FILE_OLD, ID64 "\n"), -1);
	assert_int_equal(write_file(SELF_FILE_OLD,
			     "0123456789ABCDEF0123456789abcdef0123456789abcdef0"
			     "123456789abcdef"),
	    -1);
	assert_int_equal(write_file(SELF_FILE_FAILED, ID64 " /etc 1"), -1);
	/* Unknown file numbers. */
	assert_int_equal(write_file(SELF_FILE_NONE, ID64), -1);
	assert_int_equal(write_file((enum wire_self_file)99, ID64), -1);
	/* A text without its NUL. */
	memset(&w, 'a', sizeof(w));
	w.file = SELF_FILE_READY;
	assert_int_equal(parent_self_write(cache, &w), -1);
}

static void
test_failed_record(void **state)
{
	char image[80];

	assert_int_equal(
	    write_file(SELF_FILE_FAILED, ID64 " sha256:" ID64 " 1764300000"),
	    0);
	assert_int_equal(selfup_init(cache), 0);
	assert_true(selfup_failed_has(ID64, image, sizeof(image)));
	assert_string_equal(image, "sha256:" ID64);
	assert_false(selfup_failed_has("ffffffffffffffffffffffffffffffff"
				       "ffffffffffffffffffffffffffffffff",
	    image, sizeof(image)));
}

static void
test_ready_from_standby(void **state)
{
	struct wire_self_id id;
	char line[WIRE_SELF_TEXT_MAX];

	memset(&id, 0, sizeof(id));
	memcpy(id.id, ID64, 64);
	assert_int_equal(parent_self_ready(cache, &id), 0);
	assert_int_equal(selfup_init(cache), 0);
	assert_int_equal(selfup_read(SELF_FILE_READY, line, sizeof(line)), 0);
	assert_string_equal(line, ID64);
	/* Too short, or without its NUL. */
	memset(&id, 0, sizeof(id));
	memcpy(id.id, "abc", 3);
	assert_int_equal(parent_self_ready(cache, &id), -1);
	memset(&id, 'a', sizeof(id));
	assert_int_equal(parent_self_ready(cache, &id), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_ids_round_trip, setup_cache, teardown_cache),
		cmocka_unit_test_setup_teardown(
		    test_only_ids_and_hashes, setup_cache, teardown_cache),
		cmocka_unit_test_setup_teardown(
		    test_failed_record, setup_cache, teardown_cache),
		cmocka_unit_test_setup_teardown(
		    test_ready_from_standby, setup_cache, teardown_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
