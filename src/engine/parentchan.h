#ifndef DOCKERUP_PARENTCHAN_H
#define DOCKERUP_PARENTCHAN_H

/*
 * The engine's channel to the parent (PARENT_FD): what the parent may
 * send (a new socket to the fetcher, IMSG_GO, the acknowledgement of a
 * request), each checked for its exact size, and the requests the
 * self-upgrade makes (selfup.h), each answered by an IMSG_SELF_ACK.
 */
#include <stddef.h>
#include <stdint.h>

#include "imsg.h"

#define SELF_ACK_TIMEOUT_MS 30000 /* how long a request waits for its ack */

/* What the engine does with a message that arrives while a request waits. */
struct parent_chan_hooks {
	void (*peer_fd)(int fd); /* a new socket to the fetcher */
	void (*go)(void);        /* IMSG_GO: the run lock is ours */
};

/* Sets the channel up on PARENT_FD, descriptors accepted. */
void parent_chan_init(const struct parent_chan_hooks *h);
struct imsgbuf *parent_chan(void);

/*
 * Checks one message from the parent and returns its type; a new fetcher
 * socket goes to the peer_fd hook.  Anything unpermitted is fatal.
 */
uint32_t parent_chan_check(struct imsg *m);

/* Sends a request to the parent, waits for its IMSG_SELF_ACK; 0 done. */
int parent_chan_request(uint32_t type, const void *data, size_t len);

#endif
