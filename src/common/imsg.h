#ifndef DOCKERUP_IMSG_H
#define DOCKERUP_IMSG_H

/*
 * Message framing between dockerup's processes, after OpenBSD's imsg: a
 * fixed header, the length checked against IMSG_MAX_SIZE before anything
 * is allocated, and message types where 0 is never valid.  Streams are
 * SOCK_STREAM socketpairs; file descriptors cross only in messages sent
 * with imsg_compose_fd() and only to a receiver that asked for them with
 * imsg_accept_fds().
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bounds.h"

enum imsg_type {
	IMSG_NONE = 0,
	/* parent -> child */
	IMSG_SETTINGS, /* struct wire settings, first message */
	IMSG_RELOAD,   /* SIGHUP: load sources again now */
	IMSG_SHUTDOWN, /* finish the call in flight, then exit */
	IMSG_PEER_FD,  /* a fresh fetcher<->engine socket (fd) */
	IMSG_FILE,     /* a file the parent read: name, bytes */
	IMSG_FILE_ERR, /* a file the parent could not read */
	IMSG_DIR_END,  /* end of a confdir listing */
	/* fetcher -> parent */
	IMSG_READ_SETTINGS, /* read the settings file */
	IMSG_READ_CONFDIR,  /* read every *.json in confdir */
	IMSG_READ_PROFILE,  /* read one seccomp profile */
	/* fetcher -> engine */
	IMSG_STATE_BEGIN, /* struct wire_state_begin */
	IMSG_DEFN,        /* one encoded definition */
	IMSG_SOURCE,      /* one source's health */
	IMSG_STATE_END,   /* struct wire_state_end */
	/* engine -> fetcher */
	IMSG_STATE_ACK,  /* accepted (or rejected) a desired state */
	IMSG_RUN_RESULT, /* a run's result and why it failed */
	/* child -> parent */
	IMSG_RUN_DONE, /* a reconcile finished: result code */
	IMSG_READY,    /* a child finished starting up */
	/* engine -> parent */
	IMSG_RESTART_PEER, /* the fetcher sent garbage: restart it */
	/* self-upgrade handover (see src/engine/selfup.c) */
	IMSG_GO,            /* parent->engine: lock held; old instance id */
	IMSG_STANDBY_READY, /* engine->parent: ready, own container id */
	IMSG_SELF_WRITE,    /* engine->parent: struct wire_self_write */
	IMSG_SELF_RELEASE,  /* engine->parent: release the lock */
	IMSG_SELF_ACK,      /* parent->engine: int32 0 done, -1 failed */
	/* last good contents, kept by the parent (src/parent/lastgood.c) */
	IMSG_LASTGOOD_PUT,  /* fetcher->parent: struct wire_lastgood */
	IMSG_LASTGOOD_DEL,  /* fetcher->parent: a source's name */
	IMSG_READ_LASTGOOD, /* fetcher->parent: send them all */
	IMSG_LASTGOOD,      /* parent->fetcher: one copy, as it was put */
	IMSG_LASTGOOD_END,  /* parent->fetcher: no more copies */
	/* the fetcher and its user-data loader (src/fetcher/udproc.c); the
	 * loader also sends IMSG_READ_PROFILE and IMSG_LASTGOOD_PUT/DEL */
	IMSG_UD_LOAD,    /* fetcher->loader: load user-data now */
	IMSG_UD_RESTORE, /* fetcher->loader: a last good copy of it */
	IMSG_UD_SOURCE,  /* loader->fetcher: its source_status */
	IMSG_UD_DEFN,    /* loader->fetcher: prefix and definition */
	IMSG_UD_ERR,     /* loader->fetcher: one problem */
	IMSG_UD_END,     /* loader->fetcher: struct wire_ud_end */
	/* The same loader for etcd: the answer is UD_SOURCE, its UD_DEFNs and
	 * UD_ERRs, for each source, then UD_END */
	IMSG_ETCD_LOAD,    /* fetcher->loader: load etcd's definitions now */
	IMSG_ETCD_CHANGED, /* loader->fetcher: etcd changed, load again */
	/* Rolling updates (src/engine/slot.c, src/fetcher/rolling.c): the
	 * fetcher passes each on between the engine and the loader */
	IMSG_SLOT_ASK,    /* engine->loader: struct wire_slot_ask */
	IMSG_SLOT_ANSWER, /* loader->engine: struct wire_slot_answer */
	IMSG_SLOT_DONE,   /* engine->loader: struct wire_slot_done */
	IMSG_SLOT_RESET,  /* fetcher->loader: a new engine, release all */
	IMSG_FLEET_HOST,  /* engine->loader: this host's status (JSON) */
	IMSG_MAX
};

enum imsg_sender {
	PROC_NONE = 0,
	PROC_PARENT,
	PROC_FETCHER,
	PROC_ENGINE,
	PROC_UDLOADER, /* the fetcher's user-data loader */
};

struct imsg_hdr {
	uint32_t type;
	uint32_t len;    /* including this header */
	uint32_t sender; /* enum imsg_sender */
	uint32_t seq;
};

#define IMSG_HDR_SIZE sizeof(struct imsg_hdr)
#define IMSG_MAX_DATA (IMSG_MAX_SIZE - IMSG_HDR_SIZE)

/* A descriptor waiting in a write queue with its message. */
struct imsg_qfd {
	size_t off; /* its message's first byte in wbuf */
	int fd;     /* our own copy, closed once sent */
};

struct imsgbuf {
	int fd;
	uint32_t sender; /* what we put in our headers */
	uint32_t seq_out;
	uint32_t seq_in; /* next sequence expected from the peer */
	int accept_fds;
	int passed_fd;       /* a received fd not handed out yet, or -1 */
	size_t passed_off;   /* where its message starts in rbuf */
	unsigned char *rbuf; /* owned, IMSG_MAX_SIZE bytes */
	size_t rlen;
	size_t consumed; /* length of the message last handed out */
	/* Queued writes (imsg_queue_writes()): never blocking. */
	int queued;
	unsigned char *wbuf;
	size_t wlen, wcap;
	struct imsg_qfd wfds[IMSG_QUEUE_FDS];
	size_t nwfds;
};

struct imsg {
	struct imsg_hdr hdr;
	const unsigned char *data; /* points into the imsgbuf's buffer */
	size_t len;                /* payload length */
	int fd;                    /* -1 unless passed; the receiver owns it */
};

/* Its read buffer is allocated here (fatal when out of memory). */
void imsg_init(struct imsgbuf *ib, int fd, uint32_t sender);
/*
 * From now on imsg_compose*() never blocks: a message the socket does not
 * take at once waits in a queue (at most IMSG_QUEUE_MAX bytes, else
 * ENOBUFS) until imsg_flush(); poll for POLLOUT while imsg_pending().
 */
void imsg_queue_writes(struct imsgbuf *ib);
/* Writes what the socket takes now: 0 (some may be left), -1 on error. */
int imsg_flush(struct imsgbuf *ib);
size_t imsg_pending(const struct imsgbuf *ib);
void imsg_clear(struct imsgbuf *ib);
void imsg_accept_fds(struct imsgbuf *ib);
int imsg_compose(
    struct imsgbuf *ib, uint32_t type, const void *data, size_t len);
int imsg_compose_fd(
    struct imsgbuf *ib, uint32_t type, const void *data, size_t len, int fd);
/* Reads what is available: >0 bytes, 0 on EOF, -1 on error (errno). */
ssize_t imsg_read(struct imsgbuf *ib);
/*
 * Takes the next complete message out of the buffer: 1 with *m set, 0 when
 * more bytes are needed, -1 when the stream is malformed (bad length,
 * type 0 or out of range, sequence gap): the caller drops the connection.
 * m->data is valid until the next imsg_read() or imsg_get().
 */
int imsg_get(struct imsgbuf *ib, struct imsg *m);
/* Blocks until one message arrives: 1, 0 on EOF, -1 on error. */
int imsg_wait(struct imsgbuf *ib, struct imsg *m, int timeout_ms);
const char *imsg_type_name(uint32_t type);

/*
 * What a receiver accepts, one rule per message type: which senders may
 * send it, its exact payload size, whether it carries a descriptor, and
 * its handler.  Every channel checks its messages through a table of
 * these, so that what a process accepts is read in one place.
 */
#define IMSG_FROM(p)  (1u << (p)) /* a sender's bit in imsg_rule.senders */
#define IMSG_SIZE_ANY (-1L)       /* bounded by IMSG_MAX_SIZE only */

struct imsg_rule {
	uint32_t type;
	uint32_t senders; /* IMSG_FROM(PROC_x) | ... */
	long size;        /* the payload's size, or IMSG_SIZE_ANY */
	int with_fd;      /* 1: must carry a descriptor; 0: must not */
	/* 0, or -1 when the message is bad (the caller drops the peer) */
	int (*handler)(void *ctx, struct imsg *m);
};

/*
 * Runs m's handler from rules (n of them).  -1 with why set when no rule
 * permits m (type, sender, size, descriptor) or its handler refuses it.
 * A handler that keeps m's descriptor sets m->fd to -1; one left in m
 * when the message is refused is closed here.
 */
int imsg_dispatch(const struct imsg_rule *rules, size_t n, struct imsg *m,
    void *ctx, char *why, size_t whylen);
/* The rule for type, or NULL. */
const struct imsg_rule *imsg_rule_for(
    const struct imsg_rule *rules, size_t n, uint32_t type);

#endif
