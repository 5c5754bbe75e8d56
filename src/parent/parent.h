#ifndef DOCKERUP_PARENT_H
#define DOCKERUP_PARENT_H

#include <sys/types.h>
#include <time.h>

#include "imsg.h"
#include "settings.h"

/* One supervised child. */
struct child {
	const char *role; /* "fetcher" or "engine" */
	enum imsg_sender proc;
	pid_t pid;         /* 0 when not running */
	struct imsgbuf ib; /* our socket to it; fd -1 when none */
	int backoff_s;     /* next restart delay */
	time_t restart_at; /* when to start it again; 0: not pending */
	time_t started;
	time_t crashes[CRASH_LOOP_RESTARTS];
	size_t ncrashes;
};

/* lock.c */
int parent_lock(const char *cache, int wait_s);
int parent_lock_open(const char *cache);
int parent_lock_try(int fd); /* 1 locked, 0 held by another, -1 */

/* handover.c: the self-upgrade's files, written for the engine. */
struct wire_self_write;
struct wire_self_id;
int parent_self_write(const char *cache, const struct wire_self_write *w);
int parent_self_ready(const char *cache, const struct wire_self_id *id);
int parent_handover_pending(const char *cache);

/* files.c: reading files on behalf of the fetcher. */
void parent_send_confdir(struct imsgbuf *ib, const char *confdir);
int is_definition_name(const char *name);
/* 1 when the last confdir listing served name with exactly these bytes. */
int parent_served_file(const char *name, const void *p, size_t len);
void parent_send_profile(struct imsgbuf *ib, const char *seccomp_dir,
    const unsigned char *ref, size_t len);

/* lastgood.c: the fetcher's last good copies, root-only. */
void parent_lastgood_open(const char *cache, const char *confdir);
/* Copies of etcd's keys are kept for the settings' directory only. */
void parent_lastgood_etcd(const struct settings *s);
int parent_lastgood_put(const unsigned char *p, size_t len);
int parent_lastgood_del(const unsigned char *p, size_t len);
void parent_lastgood_send(struct imsgbuf *ib);

/* spawn.c: lock_fd, or -1, is passed on LOCK_FD (proc.h). */
pid_t parent_spawn(const char *self, const char *role, int parent_fd,
    int peer_fd, int lock_fd, int verbose);

#endif
