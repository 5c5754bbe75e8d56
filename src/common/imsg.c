#include "imsg.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

static void compact(struct imsgbuf *ib);
static size_t next_message(const struct imsgbuf *ib, size_t *want);

void
imsg_init(struct imsgbuf *ib, int fd, uint32_t sender)
{
	memset(ib, 0, sizeof(*ib));
	ib->fd = fd;
	ib->sender = sender;
	ib->passed_fd = -1;
	ib->rbuf = xmalloc(IMSG_MAX_SIZE);
}

void
imsg_clear(struct imsgbuf *ib)
{
	free(ib->rbuf);
	ib->rbuf = NULL;
	free(ib->wbuf);
	ib->wbuf = NULL;
	ib->wlen = ib->wcap = 0;
	for (size_t i = 0; i < ib->nwfds; i++)
		close(ib->wfds[i].fd);
	ib->nwfds = 0;
	if (ib->passed_fd != -1)
		close(ib->passed_fd);
	ib->passed_fd = -1;
	ib->rlen = 0;
}

void
imsg_accept_fds(struct imsgbuf *ib)
{
	ib->accept_fds = 1;
}

void
imsg_queue_writes(struct imsgbuf *ib)
{
	ib->queued = 1;
}

size_t
imsg_pending(const struct imsgbuf *ib)
{
	return ib->wlen;
}

/* One sendmsg() of iov, with fd (or -1) in SCM_RIGHTS, never blocking. */
static ssize_t
send_some(int sock, struct iovec *iov, int iovcnt, int fd)
{
	struct msghdr msg;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)iovcnt;
	if (fd != -1) {
		struct cmsghdr *c;

		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_len = CMSG_LEN(sizeof(int));
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n;
}

int
imsg_flush(struct imsgbuf *ib)
{
	while (ib->wlen > 0) {
		/* A message with a descriptor starts its own sendmsg(). */
		size_t len = ib->wlen;
		int fd = -1;
		if (ib->nwfds > 0 && ib->wfds[0].off == 0)
			fd = ib->wfds[0].fd;
		if (ib->nwfds > (fd != -1 ? 1u : 0u))
			len = ib->wfds[fd != -1 ? 1 : 0].off;
		struct iovec iov = { ib->wbuf, len };
		ssize_t n = send_some(ib->fd, &iov, 1, fd);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		if (fd != -1) {
			close(fd);
			memmove(&ib->wfds[0], &ib->wfds[1],
			    --ib->nwfds * sizeof(ib->wfds[0]));
		}
		memmove(ib->wbuf, ib->wbuf + n, ib->wlen - (size_t)n);
		ib->wlen -= (size_t)n;
		for (size_t i = 0; i < ib->nwfds; i++)
			ib->wfds[i].off -= (size_t)n;
	}
	return 0;
}

/* Appends a framed message to the write queue, then sends what it can. */
static int
enqueue(struct imsgbuf *ib, const struct iovec *iov, int iovcnt, int fd)
{
	size_t len = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len > IMSG_QUEUE_MAX - ib->wlen ||
	    (fd != -1 && ib->nwfds == IMSG_QUEUE_FDS)) {
		errno = ENOBUFS;
		return -1;
	}
	if (ib->wlen + len > ib->wcap) {
		size_t cap = ib->wcap ? ib->wcap : 4096;
		unsigned char *p;
		while (cap < ib->wlen + len)
			cap *= 2;
		p = xreallocarray(ib->wbuf, cap, 1);
		ib->wbuf = p;
		ib->wcap = cap;
	}
	if (fd != -1) {
		/* The caller may close its descriptor once this returns. */
		int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (copy == -1)
			return -1;
		ib->wfds[ib->nwfds++] = (struct imsg_qfd){ ib->wlen, copy };
	}
	for (int i = 0; i < iovcnt; i++) {
		memcpy(ib->wbuf + ib->wlen, iov[i].iov_base, iov[i].iov_len);
		ib->wlen += iov[i].iov_len;
	}
	return imsg_flush(ib);
}

static long
elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	    (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Writes the whole message, waiting at most IMSG_WRITE_TIMEOUT_MS. */
static int
write_all(struct imsgbuf *ib, struct iovec *iov, int iovcnt, int fd)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (iovcnt > 0) {
		ssize_t n = send_some(ib->fd, iov, iovcnt, fd);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			long left = IMSG_WRITE_TIMEOUT_MS - elapsed_ms(&start);
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			struct pollfd pfd = { .fd = ib->fd, .events = POLLOUT };
			if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		fd = -1; /* the descriptor went with the first byte */
		size_t done = (size_t)n;
		while (iovcnt > 0 && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

int
imsg_compose_fd(
    struct imsgbuf *ib, uint32_t type, const void *data, size_t len, int fd)
{
	struct imsg_hdr hdr;
	struct iovec iov[2];

	if (type == IMSG_NONE || type >= IMSG_MAX || len > IMSG_MAX_DATA) {
		errno = EINVAL;
		return -1;
	}
	hdr.type = type;
	hdr.len = (uint32_t)(IMSG_HDR_SIZE + len);
	hdr.sender = ib->sender;
	hdr.seq = ib->seq_out++;
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	if (ib->queued)
		return enqueue(ib, iov, len > 0 ? 2 : 1, fd);
	return write_all(ib, iov, len > 0 ? 2 : 1, fd);
}

int
imsg_compose(struct imsgbuf *ib, uint32_t type, const void *data, size_t len)
{
	return imsg_compose_fd(ib, type, data, len, -1);
}

ssize_t
imsg_read(struct imsgbuf *ib)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	ssize_t n;

	size_t start = 0, want = IMSG_MAX_SIZE;

	compact(ib);
	if (ib->rlen >= IMSG_MAX_SIZE) {
		errno = ENOBUFS;
		return -1;
	}
	/*
	 * A receiver of descriptors reads one message's header, then the
	 * rest of it, never across two messages: a descriptor (sent with a
	 * message's first byte) then arrives with the read that starts that
	 * message, and is bound to it alone.
	 */
	if (ib->accept_fds)
		start = next_message(ib, &want);
	if (want > IMSG_MAX_SIZE - ib->rlen)
		want = IMSG_MAX_SIZE - ib->rlen;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = ib->rbuf + ib->rlen;
	iov.iov_len = want;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	do {
		n = recvmsg(ib->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL;
	     c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int fd;
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
		/*
		 * Unasked-for, a second pending descriptor, or one that came
		 * with bytes in the middle of a message: refuse it.
		 */
		if (!ib->accept_fds || ib->passed_fd != -1 ||
		    ib->rlen != start) {
			close(fd);
			errno = EBADMSG;
			return -1;
		}
		ib->passed_fd = fd;
		ib->passed_off = start;
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		errno = EBADMSG;
		return -1;
	}
	ib->rlen += (size_t)n;
	return n;
}

/*
 * Where the first incomplete message starts in the buffer, and how many
 * bytes would complete its header, or else the message itself.
 */
static size_t
next_message(const struct imsgbuf *ib, size_t *want)
{
	size_t off = 0;

	for (;;) {
		struct imsg_hdr hdr;
		if (ib->rlen - off < IMSG_HDR_SIZE) {
			*want = IMSG_HDR_SIZE - (ib->rlen - off);
			return off;
		}
		memcpy(&hdr, ib->rbuf + off, sizeof(hdr));
		if (hdr.len < IMSG_HDR_SIZE || hdr.len > IMSG_MAX_SIZE) {
			*want = 1; /* imsg_get() refuses it */
			return off;
		}
		if (ib->rlen - off < hdr.len) {
			*want = hdr.len - (ib->rlen - off);
			return off;
		}
		off += hdr.len;
	}
}

/* Drops the message handed out by the previous imsg_get(). */
static void
compact(struct imsgbuf *ib)
{
	if (ib->consumed == 0)
		return;
	memmove(ib->rbuf, ib->rbuf + ib->consumed, ib->rlen - ib->consumed);
	ib->rlen -= ib->consumed;
	if (ib->passed_fd != -1)
		ib->passed_off -= ib->consumed;
	ib->consumed = 0;
}

int
imsg_get(struct imsgbuf *ib, struct imsg *m)
{
	struct imsg_hdr hdr;

	compact(ib);
	if (ib->rlen < IMSG_HDR_SIZE)
		return 0;
	memcpy(&hdr, ib->rbuf, sizeof(hdr));
	if (hdr.len < IMSG_HDR_SIZE || hdr.len > IMSG_MAX_SIZE ||
	    hdr.type == IMSG_NONE || hdr.type >= IMSG_MAX ||
	    hdr.seq != ib->seq_in) {
		errno = EBADMSG;
		return -1;
	}
	if (ib->rlen < hdr.len)
		return 0;
	ib->seq_in++;
	ib->consumed = hdr.len;
	m->hdr = hdr;
	m->len = hdr.len - IMSG_HDR_SIZE;
	m->data = ib->rbuf + IMSG_HDR_SIZE;
	m->fd = -1;
	/* A pending descriptor goes with its own message only. */
	if (ib->passed_fd != -1 && ib->passed_off == 0) {
		m->fd = ib->passed_fd;
		ib->passed_fd = -1;
	}
	return 1;
}

int
imsg_wait(struct imsgbuf *ib, struct imsg *m, int timeout_ms)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int r = imsg_get(ib, m);
		if (r != 0)
			return r;
		long left =
		    timeout_ms < 0 ? -1 : timeout_ms - elapsed_ms(&start);
		if (timeout_ms >= 0 && left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd pfd = { .fd = ib->fd, .events = POLLIN };
		int p = poll(&pfd, 1, (int)left);
		if (p < 0 && errno != EINTR)
			return -1;
		if (p <= 0)
			continue;
		ssize_t n = imsg_read(ib);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EAGAIN)
			return -1;
	}
}

const char *
imsg_type_name(uint32_t type)
{
	static const char *const names[IMSG_MAX] = {
		[IMSG_NONE] = "NONE",
		[IMSG_SETTINGS] = "SETTINGS",
		[IMSG_RELOAD] = "RELOAD",
		[IMSG_SHUTDOWN] = "SHUTDOWN",
		[IMSG_PEER_FD] = "PEER_FD",
		[IMSG_FILE] = "FILE",
		[IMSG_FILE_ERR] = "FILE_ERR",
		[IMSG_DIR_END] = "DIR_END",
		[IMSG_READ_SETTINGS] = "READ_SETTINGS",
		[IMSG_READ_CONFDIR] = "READ_CONFDIR",
		[IMSG_READ_PROFILE] = "READ_PROFILE",
		[IMSG_STATE_BEGIN] = "STATE_BEGIN",
		[IMSG_DEFN] = "DEFN",
		[IMSG_SOURCE] = "SOURCE",
		[IMSG_STATE_END] = "STATE_END",
		[IMSG_STATE_ACK] = "STATE_ACK",
		[IMSG_RUN_RESULT] = "RUN_RESULT",
		[IMSG_RUN_DONE] = "RUN_DONE",
		[IMSG_READY] = "READY",
		[IMSG_RESTART_PEER] = "RESTART_PEER",
		[IMSG_GO] = "GO",
		[IMSG_STANDBY_READY] = "STANDBY_READY",
		[IMSG_SELF_WRITE] = "SELF_WRITE",
		[IMSG_SELF_RELEASE] = "SELF_RELEASE",
		[IMSG_SELF_ACK] = "SELF_ACK",
		[IMSG_LASTGOOD_PUT] = "LASTGOOD_PUT",
		[IMSG_LASTGOOD_DEL] = "LASTGOOD_DEL",
		[IMSG_READ_LASTGOOD] = "READ_LASTGOOD",
		[IMSG_LASTGOOD] = "LASTGOOD",
		[IMSG_LASTGOOD_END] = "LASTGOOD_END",
		[IMSG_UD_LOAD] = "UD_LOAD",
		[IMSG_UD_RESTORE] = "UD_RESTORE",
		[IMSG_UD_SOURCE] = "UD_SOURCE",
		[IMSG_UD_DEFN] = "UD_DEFN",
		[IMSG_UD_ERR] = "UD_ERR",
		[IMSG_UD_END] = "UD_END",
		[IMSG_ETCD_LOAD] = "ETCD_LOAD",
		[IMSG_ETCD_CHANGED] = "ETCD_CHANGED",
		[IMSG_SLOT_ASK] = "SLOT_ASK",
		[IMSG_SLOT_ANSWER] = "SLOT_ANSWER",
		[IMSG_SLOT_DONE] = "SLOT_DONE",
		[IMSG_SLOT_RESET] = "SLOT_RESET",
		[IMSG_FLEET_HOST] = "FLEET_HOST",
	};

	if (type >= IMSG_MAX || names[type] == NULL)
		return "UNKNOWN";
	return names[type];
}

const struct imsg_rule *
imsg_rule_for(const struct imsg_rule *rules, size_t n, uint32_t type)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].type == type)
			return &rules[i];
	return NULL;
}

int
imsg_dispatch(const struct imsg_rule *rules, size_t n, struct imsg *m,
    void *ctx, char *why, size_t whylen)
{
	const struct imsg_rule *r = imsg_rule_for(rules, n, m->hdr.type);
	const char *name = imsg_type_name(m->hdr.type);

	if (r == NULL || m->hdr.sender >= 32 ||
	    !(r->senders & IMSG_FROM(m->hdr.sender)))
		snprintf(why, whylen, "unpermitted message %s", name);
	else if (r->size != IMSG_SIZE_ANY && m->len != (size_t)r->size)
		snprintf(why, whylen, "message %s of %zu bytes, expected %ld",
		    name, m->len, r->size);
	else if (r->with_fd != (m->fd != -1))
		snprintf(why, whylen, "message %s %s a descriptor", name,
		    r->with_fd ? "without" : "with");
	else if (r->handler(ctx, m) == -1)
		snprintf(why, whylen, "bad %s", name);
	else
		return 0;
	if (m->fd != -1) {
		close(m->fd);
		m->fd = -1;
	}
	return -1;
}
