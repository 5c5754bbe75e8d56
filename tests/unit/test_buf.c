/* The bounded byte buffer: appends, the hard maximum, encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

static void
test_append_and_cstr(void **state)
{
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_append_str(&b, "def"), 0);
	assert_int_equal(b.len, 6);
	assert_string_equal(buf_cstr(&b), "abcdef");
	/* The NUL is not counted. */
	assert_int_equal(b.len, 6);
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_int_equal(b.len, 6);
	buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
}

static void
test_empty_cstr(void **state)
{
	struct buf b;

	buf_init(&b, 16);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void
test_max_is_hard(void **state)
{
	struct buf b;
	char x[17];

	memset(x, 'x', sizeof(x));
	buf_init(&b, 16);
	assert_int_equal(buf_append(&b, x, 16), 0);
	/* At the limit: one more byte is refused and nothing changes. */
	errno = 0;
	assert_int_equal(buf_append(&b, x, 1), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 16);
	/* A full buffer can still be NUL-terminated. */
	assert_non_null(buf_cstr(&b));
	assert_int_equal(strlen(buf_cstr(&b)), 16);
	buf_free(&b);

	buf_init(&b, 16);
	errno = 0;
	assert_int_equal(buf_append(&b, x, 17), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 0);
	/* A length that would wrap size_t is refused too. */
	assert_int_equal(buf_append(&b, x, 4), 0);
	assert_int_equal(buf_append(&b, x, SIZE_MAX - 1), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 4);
	buf_free(&b);
}

static void
test_printf(void **state)
{
	struct buf b;

	buf_init(&b, 32);
	assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), 0);
	assert_int_equal(buf_printf(&b, ";%05u", 7u), 0);
	assert_string_equal(buf_cstr(&b), "n=42;00007");
	/* Would pass the maximum: refused whole. */
	assert_int_equal(buf_printf(&b, "%040d", 1), -1);
	assert_int_equal(errno, E2BIG);
	assert_string_equal(buf_cstr(&b), "n=42;00007");
	buf_free(&b);
}

static void
test_integers_little_endian(void **state)
{
	static const unsigned char want[] = {
		0xab,
		0x34,
		0x12,
		0x78,
		0x56,
		0x34,
		0x12,
		0x08,
		0x07,
		0x06,
		0x05,
		0x04,
		0x03,
		0x02,
		0x01,
	};
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(buf_put_u8(&b, 0xab), 0);
	assert_int_equal(buf_put_u16(&b, 0x1234), 0);
	assert_int_equal(buf_put_u32(&b, 0x12345678), 0);
	assert_int_equal(buf_put_u64(&b, 0x0102030405060708ULL), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.p, want, sizeof(want));
	buf_free(&b);
}

static void
test_reset_and_growth(void **state)
{
	struct buf b;
	unsigned char chunk[100];
	size_t i;

	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (unsigned char)i;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_append(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	for (i = 0; i < 1000; i++)
		assert_memory_equal(b.p + i * 100, chunk, sizeof(chunk));
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_append_str(&b, "again"), 0);
	assert_string_equal(buf_cstr(&b), "again");
	buf_free(&b);
}

/* A file of n bytes (a pipe: no size to trust), read with a bound. */
static int
pipe_of(size_t n)
{
	static unsigned char big[40000];
	int fds[2];

	assert_true(n <= sizeof(big));
	memset(big, 'x', n);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], big, n), (ssize_t)n);
	close(fds[1]);
	return fds[0];
}

static void
test_read_fd_bounded(void **state)
{
	struct buf b;
	int fd;

	/* At the bound, across several reads: everything. */
	buf_init(&b, 40000);
	fd = pipe_of(40000);
	assert_int_equal(buf_read_fd(&b, fd), 0);
	assert_int_equal(b.len, 40000);
	close(fd);
	buf_free(&b);
	/* One byte more than the bound: EFBIG, not a cut file. */
	buf_init(&b, 39999);
	fd = pipe_of(40000);
	assert_int_equal(buf_read_fd(&b, fd), -1);
	assert_int_equal(errno, EFBIG);
	close(fd);
	buf_free(&b);
	/* An empty file, and a descriptor that cannot be read. */
	buf_init(&b, 10);
	fd = pipe_of(0);
	assert_int_equal(buf_read_fd(&b, fd), 0);
	assert_int_equal(b.len, 0);
	close(fd);
	assert_int_equal(buf_read_fd(&b, fd), -1);
	assert_int_equal(errno, EBADF);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_cstr),
		cmocka_unit_test(test_empty_cstr),
		cmocka_unit_test(test_max_is_hard),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_integers_little_endian),
		cmocka_unit_test(test_reset_and_growth),
		cmocka_unit_test(test_read_fd_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
