/*
 * The engine's channel to the parent (parentchan.h).  Kept apart from
 * engine.c so that the self-upgrade (selfup.c) can ask the parent for
 * something without depending on the engine's main loop.
 */
#include "parentchan.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proc.h"

static struct imsgbuf parent_ib;
static struct parent_chan_hooks hooks;

void
parent_chan_init(const struct parent_chan_hooks *h)
{
	hooks = *h;
	imsg_init(&parent_ib, PARENT_FD, PROC_ENGINE);
	imsg_accept_fds(&parent_ib);
}

struct imsgbuf *
parent_chan(void)
{
	return &parent_ib;
}

uint32_t
parent_chan_check(struct imsg *m)
{
	switch (m->hdr.type) {
	case IMSG_PEER_FD:
		if (m->len != 0 || m->fd == -1)
			break;
		hooks.peer_fd(m->fd);
		return m->hdr.type;
	case IMSG_GO:
	case IMSG_SELF_ACK:
		if (m->fd != -1 ||
		    m->len != (m->hdr.type == IMSG_GO ? 0 : sizeof(int32_t)))
			break;
		return m->hdr.type;
	}
	fatalx("unpermitted message %s from the parent",
	    imsg_type_name(m->hdr.type));
}

int
parent_chan_request(uint32_t type, const void *data, size_t len)
{
	struct pollfd pfd = { .fd = parent_ib.fd, .events = POLLIN };
	struct imsg m;
	int32_t result;
	ssize_t n;
	int r;

	if (imsg_compose(&parent_ib, type, data, len) == -1)
		return -1;
	for (;;) {
		while ((r = imsg_get(&parent_ib, &m)) == 1) {
			uint32_t t = parent_chan_check(&m);
			if (t == IMSG_GO)
				hooks.go();
			else if (t == IMSG_SELF_ACK) {
				memcpy(&result, m.data, sizeof(result));
				return result == 0 ? 0 : -1;
			}
		}
		if (r == -1)
			fatalx("malformed message stream from the parent");
		if ((r = poll(&pfd, 1, SELF_ACK_TIMEOUT_MS)) == -1 &&
		    errno == EINTR)
			continue;
		if (r <= 0) {
			log_warnx("the parent did not answer %s",
			    imsg_type_name(type));
			return -1;
		}
		if ((n = imsg_read(&parent_ib)) == 0)
			exit(0);
		if (n < 0 && errno != EAGAIN)
			fatal("reading from the parent");
	}
}
