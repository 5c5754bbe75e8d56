/*
 * The store of rolled-back updates (src/engine/failed.c): what is
 * recorded reads back the same, the store stays bounded, and a file out
 * of form is refused whole, naming the entry and the field.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bounds.h"
#include "failed.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define IMG                                                                    \
	"sha256:"                                                              \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void
test_note_and_read_back(void **state)
{
	struct failed_store fs = { 0 }, back;
	struct failed_entry *e;
	char err[512], *text;

	failed_note(&fs, "web", H1, IMG, "exited with status 3", 100);
	failed_note(&fs, "image:busybox", H2, IMG, "turned unhealthy", 200);
	failed_note(&fs, "web", H2, IMG, "was not healthy within 3 s", 300);
	assert_int_equal(fs.n, 2);
	text = failed_format(&fs);
	assert_int_equal(
	    failed_parse(text, strlen(text), &back, err, sizeof(err)), 0);
	assert_non_null(e = failed_find(&back, "web"));
	assert_string_equal(e->hash, H2);
	assert_string_equal(e->why, "was not healthy within 3 s");
	assert_int_equal(e->time, 300);
	assert_int_equal(e->rollbacks, 2);
	assert_non_null(e = failed_find(&back, "image:busybox"));
	assert_int_equal(e->rollbacks, 1);
	assert_null(failed_find(&back, "nosuch"));
	free(text);
	failed_store_free(&fs);
	failed_store_free(&back);
}

static void
test_bounded(void **state)
{
	struct failed_store fs = { 0 };
	char name[32], why[MAX_FAILED_WHY * 2];

	for (int i = 0; i < MAX_FAILED_ENTRIES + 10; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		failed_note(&fs, name, H1, IMG, "x", 1000 + i);
	}
	assert_int_equal(fs.n, MAX_FAILED_ENTRIES);
	/* The oldest went first. */
	assert_null(failed_find(&fs, "c0"));
	assert_null(failed_find(&fs, "c9"));
	assert_non_null(failed_find(&fs, "c10"));
	memset(why, 'w', sizeof(why) - 1);
	why[sizeof(why) - 1] = '\0';
	failed_note(&fs, "c10", H1, IMG, why, 5000);
	assert_int_equal(strlen(failed_find(&fs, "c10")->why), MAX_FAILED_WHY);
	failed_store_free(&fs);
}

static void
refused(const char *text, const char *want)
{
	struct failed_store fs;
	char err[512];

	assert_int_equal(
	    failed_parse(text, strlen(text), &fs, err, sizeof(err)), -1);
	assert_non_null(strstr(err, want));
	assert_int_equal(fs.n, 0);
	assert_null(fs.v);
}

#define ENTRY(id, hash, image, extra)                                          \
	"{\"id\": \"" id "\", \"hash\": \"" hash "\", \"image\": \"" image     \
	"\", \"time\": 1, \"why\": \"w\", \"rollbacks\": 1" extra "}"

static void
test_out_of_form(void **state)
{
	struct failed_store fs;
	char err[512];
	const char *ok = "{\"version\": 1, \"definitions\": [" ENTRY(
	    "web", H1, IMG, "") "," ENTRY("db", "", "", "") "]}";

	assert_int_equal(
	    failed_parse(ok, strlen(ok), &fs, err, sizeof(err)), 0);
	assert_int_equal(fs.n, 2);
	failed_store_free(&fs);
	refused("[]", "version 1");
	refused("{\"version\": 2, \"definitions\": []}", "version 1");
	refused("garbage", "version 1");
	refused("{\"version\": 1, \"definitions\": [" ENTRY(
		    "web", "../../etc", IMG, "") "]}",
	    "definitions[0].hash");
	refused("{\"version\": 1, \"definitions\": [" ENTRY(
		    "web", H1, "sha256:xyz", "") "]}",
	    "definitions[0].image");
	refused("{\"version\": 1, \"definitions\": [" ENTRY(
		    "web", H1, IMG, "") "," ENTRY("", H1, IMG, "") "]}",
	    "definitions[1].id");
	refused("{\"version\": 1, \"definitions\": [" ENTRY(
		    "web", H1, IMG, "") "," ENTRY("web", H2, IMG, "") "]}",
	    "web appears twice");
	refused("{\"version\": 1, \"definitions\": [{\"id\": \"web\", "
		"\"hash\": \"\", \"image\": \"\", \"time\": -1, \"why\": "
		"\"w\", \"rollbacks\": 1}]}",
	    "definitions[0].time");
	refused("{\"version\": 1, \"definitions\": [{\"id\": \"web\", "
		"\"hash\": \"\", \"image\": \"\", \"time\": 1e400, \"why\": "
		"\"w\", \"rollbacks\": 1}]}",
	    "definitions[0].time");
}

static void
test_too_many(void **state)
{
	struct failed_store fs = { 0 };
	char name[32], *text, *p;

	for (int i = 0; i < MAX_FAILED_ENTRIES; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		failed_note(&fs, name, H1, IMG, "x", i);
	}
	text = failed_format(&fs);
	/* One more entry than the store keeps. */
	p = strrchr(text, ']');
	assert_non_null(p);
	*p = '\0';
	{
		size_t n = strlen(text) + 512;
		char *more = malloc(n);
		assert_non_null(more);
		snprintf(
		    more, n, "%s, " ENTRY("extra", H1, IMG, "") "]}", text);
		refused(more, "expected at most");
		free(more);
	}
	free(text);
	failed_store_free(&fs);
}

static void
test_load_save(void **state)
{
	char dir[] = "/tmp/test_failed.XXXXXX", path[64], err[512];
	struct failed_store fs = { 0 }, back;
	struct stat sb;
	int dirfd;

	assert_non_null(mkdtemp(dir));
	assert_int_not_equal(dirfd = open(dir, O_RDONLY | O_DIRECTORY), -1);
	/* No file: nothing held. */
	assert_int_equal(failed_load(dirfd, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n, 0);
	failed_note(&fs, "web", H1, IMG, "exited", 7);
	assert_int_equal(failed_save(dirfd, &fs), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, FAILED_FILE);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(failed_load(dirfd, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n, 1);
	assert_string_equal(back.v[0].hash, H1);
	failed_store_free(&back);
	failed_store_free(&fs);
	unlink(path);
	close(dirfd);
	rmdir(dir);
}

#define WRITES 100 /* per writer: two writers stay under the bound */

static int
add_edit(struct failed_store *fs, void *arg)
{
	failed_note(fs, arg, H1, IMG, "exited", 1);
	return 1;
}

/* A writer's process: WRITES entries "<prefix>N", one update each. */
static void
writer(const char *dir, char prefix)
{
	char name[16], err[512];
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY), lockfd;

	/* Its own open file: flock(2) excludes open files, not processes. */
	if (dirfd == -1 || (lockfd = failed_lock_open(dirfd)) == -1)
		_exit(2);
	for (int i = 0; i < WRITES; i++) {
		snprintf(name, sizeof(name), "%c%d", prefix, i);
		if (failed_update(dirfd, lockfd, 0, add_edit, name, err,
			sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			_exit(1);
		}
	}
	_exit(0);
}

static int
clear_edit(struct failed_store *fs, void *arg)
{
	struct failed_entry *e = failed_find(fs, arg);

	if (e == NULL)
		return 0;
	e->hash[0] = '\0';
	return 1;
}

/* Two processes read, change and replace the file at once: no entry is
   lost, and the file stays in form. */
static void
test_two_writers(void **state)
{
	char dir[] = "/tmp/test_failed.XXXXXX", path[64], err[512], name[16];
	struct failed_store back;
	pid_t pid[2];
	int dirfd, lockfd, st;

	assert_non_null(mkdtemp(dir));
	for (int w = 0; w < 2; w++) {
		assert_int_not_equal(pid[w] = fork(), -1);
		if (pid[w] == 0)
			writer(dir, w == 0 ? 'a' : 'b');
	}
	for (int w = 0; w < 2; w++) {
		assert_int_equal(waitpid(pid[w], &st, 0), pid[w]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_not_equal(dirfd = open(dir, O_RDONLY | O_DIRECTORY), -1);
	assert_int_equal(failed_load(dirfd, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n, 2 * WRITES);
	for (int i = 0; i < WRITES; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		assert_non_null(failed_find(&back, name));
		snprintf(name, sizeof(name), "b%d", i);
		assert_non_null(failed_find(&back, name));
	}
	failed_store_free(&back);
	/* An edit that changes nothing writes nothing; one that does is
	   read back. */
	assert_int_not_equal(lockfd = failed_lock_open(dirfd), -1);
	assert_int_equal(failed_update(dirfd, lockfd, 0, clear_edit, "nosuch",
			     err, sizeof(err)),
	    0);
	assert_int_equal(
	    failed_update(dirfd, lockfd, 0, clear_edit, "a7", err, sizeof(err)),
	    0);
	assert_int_equal(failed_load(dirfd, &back, err, sizeof(err)), 0);
	assert_string_equal(failed_find(&back, "a7")->hash, "");
	assert_string_equal(failed_find(&back, "a8")->hash, H1);
	failed_store_free(&back);
	/* A file out of form: refused without repair, replaced with it. */
	snprintf(path, sizeof(path), "%s/%s", dir, FAILED_FILE);
	assert_int_equal(unlink(path), 0);
	assert_int_not_equal(st = open(path, O_WRONLY | O_CREAT, 0600), -1);
	assert_int_equal(write(st, "{", 1), 1);
	close(st);
	assert_int_equal(
	    failed_update(dirfd, lockfd, 0, add_edit, "c", err, sizeof(err)),
	    -1);
	assert_int_equal(
	    failed_update(dirfd, lockfd, 1, add_edit, "c", err, sizeof(err)),
	    0);
	assert_int_equal(failed_load(dirfd, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n, 1);
	failed_store_free(&back);
	close(lockfd);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", dir, FAILED_LOCK);
	unlink(path);
	close(dirfd);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_note_and_read_back),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_out_of_form),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_load_save),
		cmocka_unit_test(test_two_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
