/* imsg framing over a real socketpair: what goes in comes out, and what is
 * malformed is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imsg.h"

#define WAIT_MS 5000

struct pair {
	int fd[2];
	struct imsgbuf tx; /* writes on fd[0] */
	struct imsgbuf rx; /* reads on fd[1] */
};

static int
pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	if (p == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fd) == -1)
		return -1;
	imsg_init(&p->tx, p->fd[0], PROC_FETCHER);
	imsg_init(&p->rx, p->fd[1], PROC_ENGINE);
	*state = p;
	return 0;
}

static int
pair_teardown(void **state)
{
	struct pair *p = *state;

	imsg_clear(&p->tx);
	imsg_clear(&p->rx);
	close(p->fd[0]);
	close(p->fd[1]);
	free(p);
	return 0;
}

/* Writes a raw header and payload, bypassing imsg_compose's checks. */
static void
write_raw(int fd, uint32_t type, uint32_t len, uint32_t seq, const void *data,
    size_t dlen)
{
	struct imsg_hdr h = {
		.type = type, .len = len, .sender = PROC_FETCHER, .seq = seq
	};

	assert_int_equal(write(fd, &h, sizeof(h)), (ssize_t)sizeof(h));
	if (dlen > 0)
		assert_int_equal(write(fd, data, dlen), (ssize_t)dlen);
}

static void
test_round_trip(void **state)
{
	struct pair *p = *state;
	struct imsg m;
	const char *payloads[] = { "hello", "", "a longer third payload" };
	const uint32_t types[] = { IMSG_SETTINGS, IMSG_RELOAD, IMSG_DEFN };

	for (size_t i = 0; i < 3; i++)
		assert_int_equal(imsg_compose(&p->tx, types[i], payloads[i],
				     strlen(payloads[i])),
		    0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), 1);
		assert_int_equal(m.hdr.type, types[i]);
		assert_int_equal(m.hdr.sender, PROC_FETCHER);
		assert_int_equal(m.hdr.seq, i);
		assert_int_equal(
		    m.hdr.len, IMSG_HDR_SIZE + strlen(payloads[i]));
		assert_int_equal(m.len, strlen(payloads[i]));
		assert_memory_equal(m.data, payloads[i], m.len);
		assert_int_equal(m.fd, -1);
	}
	/* Nothing more buffered. */
	assert_int_equal(imsg_get(&p->rx, &m), 0);
	/* The peer hangs up: end of stream. */
	close(p->fd[0]);
	p->fd[0] = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), 0);
}

/* The largest message takes many socket buffers: a child writes it while
 * this process reads. */
static void
test_largest_message(void **state)
{
	struct pair *p = *state;
	struct imsg m;
	unsigned char *big = malloc(IMSG_MAX_DATA);
	pid_t pid;
	int status;

	assert_non_null(big);
	for (size_t i = 0; i < IMSG_MAX_DATA; i++)
		big[i] = (unsigned char)(i * 7);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(imsg_compose(&p->tx, IMSG_FILE, big, IMSG_MAX_DATA) == 0
			? 0
			: 1);
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), 1);
	assert_int_equal(m.len, IMSG_MAX_DATA);
	assert_memory_equal(m.data, big, IMSG_MAX_DATA);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(big);
}

static void
test_too_big_refused(void **state)
{
	struct pair *p = *state;
	struct imsg m;
	static char one[1];

	/* The sender refuses to frame it... */
	errno = 0;
	assert_int_equal(
	    imsg_compose(&p->tx, IMSG_FILE, one, IMSG_MAX_DATA + 1), -1);
	assert_int_equal(errno, EINVAL);
	/* ...and the receiver refuses a header that claims it, before
	 * waiting for (or allocating) the rest. */
	write_raw(p->fd[0], IMSG_FILE, IMSG_MAX_SIZE + 1, 0, NULL, 0);
	errno = 0;
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_short_length_refused(void **state)
{
	struct pair *p = *state;
	struct imsg m;

	write_raw(p->fd[0], IMSG_FILE, IMSG_HDR_SIZE - 1, 0, NULL, 0);
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_type_zero_refused(void **state)
{
	struct pair *p = *state;
	struct imsg m;

	errno = 0;
	assert_int_equal(imsg_compose(&p->tx, IMSG_NONE, "x", 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(imsg_compose(&p->tx, IMSG_MAX, "x", 1), -1);
	assert_int_equal(errno, EINVAL);
	write_raw(p->fd[0], IMSG_NONE, IMSG_HDR_SIZE, 0, NULL, 0);
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_type_out_of_range_refused(void **state)
{
	struct pair *p = *state;
	struct imsg m;

	write_raw(p->fd[0], IMSG_MAX, IMSG_HDR_SIZE, 0, NULL, 0);
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_sequence_gap_refused(void **state)
{
	struct pair *p = *state;
	struct imsg m;

	assert_int_equal(imsg_compose(&p->tx, IMSG_RELOAD, NULL, 0), 0);
	p->tx.seq_out++; /* one message lost */
	assert_int_equal(imsg_compose(&p->tx, IMSG_RELOAD, NULL, 0), 0);
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), 1);
	assert_int_equal(m.hdr.seq, 0);
	errno = 0;
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_replay_refused(void **state)
{
	struct pair *p = *state;
	struct imsg m;

	write_raw(p->fd[0], IMSG_RELOAD, IMSG_HDR_SIZE, 0, NULL, 0);
	write_raw(p->fd[0], IMSG_RELOAD, IMSG_HDR_SIZE, 0, NULL, 0);
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), 1);
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), -1);
	assert_int_equal(errno, EBADMSG);
}

/* Frames two messages on tx, then feeds their bytes to rx one at a time. */
static void
test_partial_reads_reassembled(void **state)
{
	struct pair *p = *state;
	struct imsgbuf feeder;
	struct imsg m;
	unsigned char wire[256];
	ssize_t n;
	int sp[2], got = 0;

	assert_int_equal(imsg_compose(&p->tx, IMSG_FILE, "0123456789", 10), 0);
	assert_int_equal(imsg_compose(&p->tx, IMSG_DIR_END, "z", 1), 0);
	n = read(p->fd[1], wire, sizeof(wire));
	assert_int_equal(n, 2 * IMSG_HDR_SIZE + 11);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	imsg_init(&feeder, sp[1], PROC_PARENT);
	for (ssize_t i = 0; i < n; i++) {
		assert_int_equal(write(sp[0], wire + i, 1), 1);
		assert_int_equal(imsg_read(&feeder), 1);
		int r = imsg_get(&feeder, &m);
		assert_true(r == 0 || r == 1);
		if (r == 0)
			continue;
		got++;
		if (got == 1) {
			assert_int_equal(i, IMSG_HDR_SIZE + 10 - 1);
			assert_int_equal(m.hdr.type, IMSG_FILE);
			assert_memory_equal(m.data, "0123456789", 10);
		} else {
			assert_int_equal(i, n - 1);
			assert_int_equal(m.hdr.type, IMSG_DIR_END);
			assert_int_equal(m.len, 1);
			assert_int_equal(m.data[0], 'z');
		}
	}
	assert_int_equal(got, 2);
	imsg_clear(&feeder);
	close(sp[0]);
	close(sp[1]);
}

static int
open_fd_count(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

static void
test_fd_refused_unless_accepted(void **state)
{
	struct pair *p = *state;
	struct imsg m;
	int pfd[2], before;

	assert_int_equal(pipe(pfd), 0);
	before = open_fd_count();
	assert_int_equal(
	    imsg_compose_fd(&p->tx, IMSG_PEER_FD, NULL, 0, pfd[0]), 0);
	errno = 0;
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), -1);
	assert_int_equal(errno, EBADMSG);
	/* The unwanted descriptor was closed, not leaked. */
	assert_int_equal(open_fd_count(), before);
	close(pfd[0]);
	close(pfd[1]);
}

static void
test_fd_passed_when_accepted(void **state)
{
	struct pair *p = *state;
	struct imsg m;
	char c = 0;
	int pfd[2];

	imsg_accept_fds(&p->rx);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(
	    imsg_compose_fd(&p->tx, IMSG_PEER_FD, "peer", 4, pfd[0]), 0);
	close(pfd[0]);
	assert_int_equal(imsg_compose(&p->tx, IMSG_RELOAD, NULL, 0), 0);

	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), 1);
	assert_int_equal(m.hdr.type, IMSG_PEER_FD);
	assert_memory_equal(m.data, "peer", 4);
	assert_true(m.fd >= 0);
	/* It is the same pipe. */
	assert_int_equal(write(pfd[1], "!", 1), 1);
	assert_int_equal(read(m.fd, &c, 1), 1);
	assert_int_equal(c, '!');
	close(m.fd);
	close(pfd[1]);
	/* The descriptor went with its own message only. */
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), 1);
	assert_int_equal(m.hdr.type, IMSG_RELOAD);
	assert_int_equal(m.fd, -1);
}

/*
 * A message before the one that carries a descriptor, both waiting in the
 * socket when the receiver reads: one read returns both (Linux ends a
 * read after the segment with the descriptor, not before it), and the
 * descriptor belongs to the second message, never to the first.
 */
static void
test_fd_bound_to_its_message(void **state)
{
	struct pair *p = *state;
	struct imsg m;
	char c = 0;
	int pfd[2];

	imsg_accept_fds(&p->rx);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(imsg_compose(&p->tx, IMSG_RELOAD, "before", 6), 0);
	assert_int_equal(
	    imsg_compose_fd(&p->tx, IMSG_PEER_FD, "peer", 4, pfd[0]), 0);
	close(pfd[0]);
	assert_int_equal(imsg_compose(&p->tx, IMSG_RELOAD, "after", 5), 0);

	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), 1);
	assert_int_equal(m.hdr.type, IMSG_RELOAD);
	assert_memory_equal(m.data, "before", 6);
	assert_int_equal(m.fd, -1);
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), 1);
	assert_int_equal(m.hdr.type, IMSG_PEER_FD);
	assert_true(m.fd >= 0);
	assert_int_equal(write(pfd[1], "!", 1), 1);
	assert_int_equal(read(m.fd, &c, 1), 1);
	assert_int_equal(c, '!');
	close(m.fd);
	close(pfd[1]);
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), 1);
	assert_memory_equal(m.data, "after", 5);
	assert_int_equal(m.fd, -1);
}

/* A descriptor sent with bytes in the middle of a message: malformed. */
static void
test_fd_inside_a_message_refused(void **state)
{
	struct pair *p = *state;
	struct imsg_hdr h = { IMSG_FILE, IMSG_HDR_SIZE + 8, PROC_FETCHER, 0 };
	struct imsg m;
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr *c;
	int pfd[2], before;

	imsg_accept_fds(&p->rx);
	assert_int_equal(pipe(pfd), 0);
	before = open_fd_count();
	/* The header and half the payload, then the rest with the fd. */
	assert_int_equal(write(p->fd[0], &h, sizeof(h)), (ssize_t)sizeof(h));
	assert_int_equal(write(p->fd[0], "1234", 4), 4);
	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = "5678";
	iov.iov_len = 4;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_len = CMSG_LEN(sizeof(int));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(c), &pfd[0], sizeof(int));
	assert_int_equal(sendmsg(p->fd[0], &msg, 0), 4);
	errno = 0;
	assert_int_equal(imsg_wait(&p->rx, &m, WAIT_MS), -1);
	assert_int_equal(errno, EBADMSG);
	imsg_clear(&p->rx);
	assert_int_equal(open_fd_count(), before);
	close(pfd[0]);
	close(pfd[1]);
}

/*
 * A queued writer (the parent) never blocks on a peer that does not read:
 * messages past what the socket holds wait in the queue, in order, with
 * their descriptors, until imsg_flush(); an overflow is ENOBUFS.
 */
static void
test_queued_writes_never_block(void **state)
{
	struct pair *p = *state;
	static unsigned char big[IMSG_MAX_DATA];
	struct imsg m;
	int pfd[2], sent = 0;
	char c = 0;

	imsg_queue_writes(&p->tx);
	imsg_accept_fds(&p->rx);
	assert_int_equal(pipe(pfd), 0);
	/* Far more than a socket buffer; the reader reads nothing yet. */
	for (int i = 0; i < 16; i++, sent++) {
		big[0] = (unsigned char)i;
		assert_int_equal(
		    imsg_compose(&p->tx, IMSG_FILE, big, sizeof(big)), 0);
	}
	assert_true(imsg_pending(&p->tx) > 0);
	assert_int_equal(
	    imsg_compose_fd(&p->tx, IMSG_PEER_FD, "fd", 2, pfd[0]), 0);
	close(pfd[0]); /* the queue holds its own copy */
	/* The reader drains; the writer flushes as the socket takes it. */
	for (int i = 0; i < sent; i++) {
		while (imsg_get(&p->rx, &m) == 0) {
			assert_int_equal(imsg_flush(&p->tx), 0);
			assert_true(imsg_read(&p->rx) > 0);
		}
		assert_int_equal(m.hdr.type, IMSG_FILE);
		assert_int_equal(m.len, sizeof(big));
		assert_int_equal(m.data[0], i);
		assert_int_equal(m.fd, -1);
	}
	while (imsg_get(&p->rx, &m) == 0) {
		assert_int_equal(imsg_flush(&p->tx), 0);
		assert_true(imsg_read(&p->rx) > 0);
	}
	assert_int_equal(m.hdr.type, IMSG_PEER_FD);
	assert_true(m.fd >= 0);
	assert_int_equal(write(pfd[1], "!", 1), 1);
	assert_int_equal(read(m.fd, &c, 1), 1);
	assert_int_equal(c, '!');
	close(m.fd);
	close(pfd[1]);
	assert_int_equal(imsg_pending(&p->tx), 0);
}

static void
test_queue_overflow_refused(void **state)
{
	struct pair *p = *state;
	static unsigned char big[IMSG_MAX_DATA];
	int r = 0;
	size_t i;

	imsg_queue_writes(&p->tx);
	for (i = 0; r == 0 && i < IMSG_QUEUE_MAX / IMSG_MAX_SIZE + 2; i++)
		r = imsg_compose(&p->tx, IMSG_FILE, big, sizeof(big));
	assert_int_equal(r, -1);
	assert_int_equal(errno, ENOBUFS);
	assert_true(imsg_pending(&p->tx) <= IMSG_QUEUE_MAX);
}

static void
test_type_names(void **state)
{
	assert_string_equal(imsg_type_name(IMSG_DEFN), "DEFN");
	assert_string_equal(imsg_type_name(IMSG_NONE), "NONE");
	assert_string_equal(imsg_type_name(IMSG_MAX), "UNKNOWN");
	assert_string_equal(imsg_type_name(UINT32_MAX), "UNKNOWN");
	for (uint32_t t = 1; t < IMSG_MAX; t++)
		assert_string_not_equal(imsg_type_name(t), "UNKNOWN");
}

#define PAIR_TEST(f)                                                           \
	cmocka_unit_test_setup_teardown(f, pair_setup, pair_teardown)

static int handled;

static int
take(void *ctx, struct imsg *m)
{
	handled++;
	return *(int *)ctx;
}

/* The one checker every channel uses: type, sender, size, descriptor. */
static void
test_dispatch_rules(void **state)
{
	static const struct imsg_rule rules[] = {
		{ IMSG_RELOAD, IMSG_FROM(PROC_PARENT), 0, 0, take },
		{ IMSG_DEFN, IMSG_FROM(PROC_FETCHER) | IMSG_FROM(PROC_UDLOADER),
		    IMSG_SIZE_ANY, 0, take },
		{ IMSG_PEER_FD, IMSG_FROM(PROC_PARENT), 0, 1, take },
	};
	const size_t n = sizeof(rules) / sizeof(rules[0]);
	unsigned char data[4] = { 0 };
	struct imsg m = { .data = data, .fd = -1 };
	char why[128];
	int ok = 0, bad = -1;

	m.hdr.type = IMSG_RELOAD;
	m.hdr.sender = PROC_PARENT;
	assert_int_equal(imsg_dispatch(rules, n, &m, &ok, why, sizeof(why)), 0);
	assert_int_equal(handled, 1);
	m.hdr.sender = PROC_ENGINE; /* not its sender */
	assert_int_equal(
	    imsg_dispatch(rules, n, &m, &ok, why, sizeof(why)), -1);
	assert_string_equal(why, "unpermitted message RELOAD");
	m.hdr.sender = PROC_PARENT;
	m.len = 4; /* not its size */
	assert_int_equal(
	    imsg_dispatch(rules, n, &m, &ok, why, sizeof(why)), -1);
	assert_string_equal(why, "message RELOAD of 4 bytes, expected 0");
	m.hdr.type = IMSG_DEFN;
	m.hdr.sender = PROC_UDLOADER; /* either sender, any size */
	assert_int_equal(imsg_dispatch(rules, n, &m, &ok, why, sizeof(why)), 0);
	assert_int_equal(
	    imsg_dispatch(rules, n, &m, &bad, why, sizeof(why)), -1);
	assert_string_equal(why, "bad DEFN");
	m.hdr.type = IMSG_STATE_END; /* no rule */
	assert_int_equal(
	    imsg_dispatch(rules, n, &m, &ok, why, sizeof(why)), -1);
	assert_string_equal(why, "unpermitted message STATE_END");
	/* A descriptor where none is due is closed; one that is due is
	 * the handler's. */
	m.hdr.type = IMSG_DEFN;
	m.fd = dup(0);
	assert_true(m.fd >= 0);
	int fd = m.fd;
	assert_int_equal(
	    imsg_dispatch(rules, n, &m, &ok, why, sizeof(why)), -1);
	assert_string_equal(why, "message DEFN with a descriptor");
	assert_int_equal(m.fd, -1);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	m.hdr.type = IMSG_PEER_FD;
	m.hdr.sender = PROC_PARENT;
	m.len = 0;
	assert_int_equal(
	    imsg_dispatch(rules, n, &m, &ok, why, sizeof(why)), -1);
	assert_string_equal(why, "message PEER_FD without a descriptor");
	assert_int_equal(handled, 3); /* RELOAD, DEFN, the refused DEFN */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_round_trip),
		PAIR_TEST(test_largest_message),
		PAIR_TEST(test_too_big_refused),
		PAIR_TEST(test_short_length_refused),
		PAIR_TEST(test_type_zero_refused),
		PAIR_TEST(test_type_out_of_range_refused),
		PAIR_TEST(test_sequence_gap_refused),
		PAIR_TEST(test_replay_refused),
		PAIR_TEST(test_partial_reads_reassembled),
		PAIR_TEST(test_fd_refused_unless_accepted),
		PAIR_TEST(test_fd_passed_when_accepted),
		PAIR_TEST(test_fd_bound_to_its_message),
		PAIR_TEST(test_fd_inside_a_message_refused),
		PAIR_TEST(test_queued_writes_never_block),
		PAIR_TEST(test_queue_overflow_refused),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_dispatch_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
