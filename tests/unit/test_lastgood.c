/*
 * The parent's store of last good copies (src/parent/lastgood.c): a
 * root-only directory, files named after a hash of their source, only
 * well-formed encodings kept, and what is sent back to a fetcher checked
 * again; the old directory the fetcher's account owned is removed unread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "digest.h"
#include "imsg.h"
#include "parent/parent.h"
#include "wire.h"

static char cache[64], dir[128], confdir[128];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static int
setup_cache(void **state)
{
	snprintf(cache, sizeof(cache), "/tmp/test_lastgood.XXXXXX");
	if (mkdtemp(cache) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/lastgood", cache);
	snprintf(confdir, sizeof(confdir), "%s/c.d", cache);
	return mkdir(confdir, 0755);
}

static int
teardown_cache(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
	return system(cmd) == 0 ? 0 : -1;
}

/* An encoded copy of source name (user-data, or a file). */
static void
encode(const char *name, const char *doc, struct buf *b)
{
	struct wire_lastgood w = {
		.name = (char *)name,
		.form = strcmp(name, "user-data") == 0 ? WIRE_LG_USERDATA
						       : WIRE_LG_FILE,
		.since = 1764633600,
		.text = (char *)doc,
		.len = strlen(doc),
	};

	buf_init(b, IMSG_MAX_DATA);
	assert_int_equal(wire_encode_lastgood(&w, b), 0);
}

static void
path_of(const char *source, char *out, size_t len)
{
	char hex[2 * SHA256_LEN + 1];

	sha256_hex(source, strlen(source), hex);
	snprintf(out, len, "%s/lg-%s", dir, hex);
}

/* The parent lists the confdir for a fetcher: file NAME.json holds DOC. */
static void
serve(const char *name, const char *doc)
{
	struct imsgbuf pib, fib;
	struct imsg m;
	char path[256];
	FILE *f;
	int sp[2];

	snprintf(path, sizeof(path), "%s/%s", confdir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(doc, f);
	fclose(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	imsg_init(&pib, sp[0], PROC_PARENT);
	imsg_init(&fib, sp[1], PROC_FETCHER);
	parent_send_confdir(&pib, confdir);
	do
		assert_int_equal(imsg_wait(&fib, &m, 5000), 1);
	while (m.hdr.type != IMSG_DIR_END);
	imsg_clear(&pib);
	imsg_clear(&fib);
	close(sp[0]);
	close(sp[1]);
}

/* Reads what parent_lastgood_send() sends: the copies, then END. */
static size_t
receive(struct buf *got, size_t max)
{
	struct imsgbuf pib, fib;
	struct imsg m;
	int sp[2];
	size_t n = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	imsg_init(&pib, sp[0], PROC_PARENT);
	imsg_init(&fib, sp[1], PROC_FETCHER);
	parent_lastgood_send(&pib);
	for (;;) {
		assert_int_equal(imsg_wait(&fib, &m, 5000), 1);
		if (m.hdr.type == IMSG_LASTGOOD_END)
			break;
		assert_int_equal(m.hdr.type, IMSG_LASTGOOD);
		assert_true(n < max);
		buf_init(&got[n], IMSG_MAX_DATA);
		assert_int_equal(buf_append(&got[n], m.data, m.len), 0);
		n++;
	}
	imsg_clear(&pib);
	imsg_clear(&fib);
	close(sp[0]);
	close(sp[1]);
	return n;
}

static void
test_kept_root_only_and_sent_back(void **state)
{
	struct buf b, got[4];
	struct stat st;
	char path[256];

	parent_lastgood_open(cache, confdir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, geteuid());
	encode("user-data", "{\"containers\": []}", &b);
	assert_int_equal(parent_lastgood_put(b.p, b.len), 0);
	path_of("user-data", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(receive(got, 4), 1);
	assert_int_equal(got[0].len, b.len);
	assert_memory_equal(got[0].p, b.p, b.len);
	buf_free(&got[0]);
	/* Forgotten: gone. */
	assert_int_equal(
	    parent_lastgood_del((const unsigned char *)"user-data", 9), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(receive(got, 4), 0);
	buf_free(&b);
}

static void
test_malformed_is_refused(void **state)
{
	struct buf b, got[4];

	parent_lastgood_open(cache, confdir);
	encode("user-data", "{\"containers\": []}", &b);
	/* Truncated, trailing bytes, a name with a NUL: refused, nothing
	 * written. */
	assert_int_equal(parent_lastgood_put(b.p, b.len - 1), -1);
	assert_int_equal(buf_append(&b, "x", 1), 0);
	assert_int_equal(parent_lastgood_put(b.p, b.len), -1);
	assert_int_equal(
	    parent_lastgood_del((const unsigned char *)"a\0b", 3), -1);
	assert_int_equal(parent_lastgood_del((const unsigned char *)"", 0), -1);
	assert_int_equal(receive(got, 4), 0);
	buf_free(&b);
	/* Only user-data and *.json files directly in the confdir, as the
	 * parent served them, are sources; the form must match. */
	char bad[6][256];
	serve("a.json", "{\"containers\": []}");
	snprintf(bad[0], sizeof(bad[0]), "/etc/passwd");
	snprintf(bad[1], sizeof(bad[1]), "%s/sub/a.json", confdir);
	snprintf(bad[2], sizeof(bad[2]), "%s/.a.json", confdir);
	snprintf(bad[3], sizeof(bad[3]), "%s/a.txt", confdir);
	snprintf(bad[4], sizeof(bad[4]), "%sx/a.json", confdir);
	snprintf(bad[5], sizeof(bad[5]), "user-data2");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		encode(bad[i], "{\"containers\": []}", &b);
		assert_int_equal(parent_lastgood_put(b.p, b.len), -1);
		buf_free(&b);
	}
	/* A confdir file with other bytes than the parent read: forged. */
	snprintf(bad[0], sizeof(bad[0]), "%s/a.json", confdir);
	encode(bad[0],
	    "{\"containers\": [{\"name\": \"x\", \"image\": \"x\", "
	    "\"privileged\": true}]}",
	    &b);
	assert_int_equal(parent_lastgood_put(b.p, b.len), -1);
	buf_free(&b);
	snprintf(bad[1], sizeof(bad[1]), "%s/b.json", confdir);
	encode(bad[1], "{\"containers\": []}", &b); /* never served */
	assert_int_equal(parent_lastgood_put(b.p, b.len), -1);
	buf_free(&b);
	struct wire_lastgood w = { .name = "user-data",
		.form = WIRE_LG_FILE,
		.since = 1,
		.text = "{}",
		.len = 2 };
	buf_init(&b, IMSG_MAX_DATA);
	assert_int_equal(wire_encode_lastgood(&w, &b), 0);
	assert_int_equal(parent_lastgood_put(b.p, b.len), -1);
	buf_free(&b);
	encode(bad[0], "{\"containers\": []}", &b);
	assert_int_equal(parent_lastgood_put(b.p, b.len), 0);
	buf_free(&b);
	assert_int_equal(receive(got, 4), 1);
	buf_free(&got[0]);
}

static void
test_planted_files_are_not_sent(void **state)
{
	struct buf b, got[4];
	char path[256];

	parent_lastgood_open(cache, confdir);
	encode("user-data", "{\"containers\": []}", &b);
	assert_int_equal(parent_lastgood_put(b.p, b.len), 0);
	path_of("user-data", path, sizeof(path));
	/* A copy under another source's file name, a symlink, garbage, a
	 * directory, a temporary file: none is sent, all are removed. */
	sh("cp %s %s/lg-0000", path, dir);
	sh("ln -s %s %s/lg-1111", path, dir);
	sh("echo garbage > %s/lg-2222", dir);
	sh("mkfifo %s/lg-3333", dir);
	sh("touch %s/.tmp-1-1", dir);
	assert_int_equal(receive(got, 4), 1);
	assert_memory_equal(got[0].p, b.p, b.len);
	buf_free(&got[0]);
	sh("test ! -e %s/lg-0000 && test ! -L %s/lg-1111 && "
	   "test ! -e %s/lg-2222 && test ! -e %s/lg-3333 && "
	   "test ! -e %s/.tmp-1-1",
	    dir, dir, dir, dir, dir);
	buf_free(&b);
}

static void
test_directory_not_root_only_is_not_used(void **state)
{
	struct buf b, got[4];
	char path[256];

	sh("mkdir -m 755 %s", dir);
	parent_lastgood_open(cache, confdir);
	encode("user-data", "{\"containers\": []}", &b);
	assert_int_equal(parent_lastgood_put(b.p, b.len), 0);
	path_of("user-data", path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(receive(got, 4), 0);
	buf_free(&b);
}

static void
test_old_fetcher_dir_removed_unread(void **state)
{
	char old[128];

	/* What the old version left, owned by its fetcher's account: a fifo
	 * would block whoever opened it. */
	snprintf(old, sizeof(old), "%s/fetcher", cache);
	sh("mkdir -m 700 %s && echo x > %s/lg-a.json && mkfifo %s/lg-b.json",
	    old, old, old);
	sh("chown -R 65534:65534 %s", old);
	parent_lastgood_open(cache, confdir);
	assert_int_equal(access(old, F_OK), -1);
	/* A symlink in its place is not followed. */
	sh("mkdir %s/elsewhere && touch %s/elsewhere/keep && "
	   "ln -s %s/elsewhere %s",
	    cache, cache, cache, old);
	parent_lastgood_open(cache, confdir);
	sh("test -e %s/elsewhere/keep && test ! -L %s", cache, old);
}

static void
test_copies_are_bounded(void **state)
{
	struct buf b;
	char path[256];

	parent_lastgood_open(cache, confdir);
	for (int i = 0; i < MAX_LASTGOOD_COPIES; i++)
		sh("touch %s/lg-x%d", dir, i);
	/* A new source beyond the bound is not kept... */
	encode("user-data", "{\"containers\": []}", &b);
	assert_int_equal(parent_lastgood_put(b.p, b.len), 0);
	path_of("user-data", path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	/* ...an existing one is still replaced. */
	sh("mv %s/lg-x0 %s", dir, path);
	assert_int_equal(parent_lastgood_put(b.p, b.len), 0);
	sh("test $(ls %s | wc -l) -eq %d", dir, MAX_LASTGOOD_COPIES);
	sh("test $(stat -c %%s %s) -eq %zu", path, b.len);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_kept_root_only_and_sent_back, setup_cache,
		    teardown_cache),
		cmocka_unit_test_setup_teardown(
		    test_malformed_is_refused, setup_cache, teardown_cache),
		cmocka_unit_test_setup_teardown(test_planted_files_are_not_sent,
		    setup_cache, teardown_cache),
		cmocka_unit_test_setup_teardown(
		    test_directory_not_root_only_is_not_used, setup_cache,
		    teardown_cache),
		cmocka_unit_test_setup_teardown(
		    test_old_fetcher_dir_removed_unread, setup_cache,
		    teardown_cache),
		cmocka_unit_test_setup_teardown(
		    test_copies_are_bounded, setup_cache, teardown_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
