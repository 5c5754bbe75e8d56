#ifndef DOCKERUP_UDPROC_H
#define DOCKERUP_UDPROC_H

/*
 * The fetcher's user-data loader process (see udproc.c): what the network
 * sends is fetched and parsed there, never in the fetcher.
 */
#include <sys/types.h>

#include "fetch.h"
#include "imsg.h"
#include "lastgood.h"
#include "settings.h"

struct udproc {
	struct imsgbuf ib; /* the fetcher's channel to the loader */
	pid_t pid;
	const struct settings *settings;
	const struct file_ops *parent_ops; /* profiles, read by the parent */
	const struct lastgood_sink *sink;  /* NULL: copies are not kept */
	/* Where the loader's IMSG_SLOT_ANSWERs go (the engine), checked. */
	void (*to_engine)(uint32_t type, const void *p, size_t len);
};

/*
 * Forks the loader: call after the privilege drop and before the sandbox
 * (the loader installs its own, with network; the fetcher's has none).
 */
void udproc_start(struct udproc *u, const struct settings *s,
    const struct file_ops *parent_ops, const struct lastgood_sink *sink);
/* A last good copy of user-data the parent kept, for the loader. */
void udproc_restore(struct udproc *u, const unsigned char *p, size_t len);
/* file_ops.load_userdata: ctx is the struct udproc. */
void udproc_load(void *ctx, const struct settings *s, struct ud_part *out);

/* file_ops.load_etcd: ctx is the struct udproc. */
void udproc_load_etcd(void *ctx, const struct settings *s, struct ud_part *out);
/*
 * The engine's rolling-update messages (IMSG_SLOT_ASK, _DONE, _RESET,
 * IMSG_FLEET_HOST), checked by the caller, for the loader.
 */
void udproc_pass(struct udproc *u, uint32_t type, const void *p, size_t len);
/* The loader's channel, to poll between loads (the etcd watch). */
int udproc_fd(const struct udproc *u);
/* Reads what the loader sent between loads: 1 when etcd changed. */
int udproc_read_watch(struct udproc *u);

#endif
