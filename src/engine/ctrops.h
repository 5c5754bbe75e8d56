#ifndef DOCKERUP_CTROPS_H
#define DOCKERUP_CTROPS_H

/*
 * One Docker call per container operation.  Each returns OP_OK, OP_FAILED
 * (the engine refused; err holds its message) or OP_LOST (no answer: the
 * engine is unreachable and the run should stop).
 */
#include <stddef.h>
#include <stdint.h>

#include "docker.h"

#define OP_OK     0
#define OP_FAILED (-1)
#define OP_LOST   (-2)

/*
 * The operations below, sent together: op_req_*() fills in the request
 * the op_* function of the same name sends, ops_send() sends n of them
 * through docker_request_many(), at most max at a time, and sets each
 * one's rc and err (and id, for a create) as that function returns them.
 * An entry left zeroed (or one whose op_req_*() refused it) is not sent
 * and keeps its rc.  op_req_free() frees what op_req_*() allocated.
 */
struct op_req {
	const char *method;
	char *path;       /* NULL: not sent */
	const char *body; /* the caller's */
	long timeout_s;
	long ok1, ok2; /* the statuses that mean success */
	int removal;   /* a DELETE that another removal already does is OK */
	int create;    /* the answer carries the new container's Id */
	size_t after;  /* 0, or 1 + the index, in the same batch, of the
	                  request this one is sent after, once that one has
	                  succeeded (docker_call's after) */
	int rc;        /* OP_OK, OP_FAILED or OP_LOST */
	char id[65];   /* a create's new container */
	char err[1024];
};
/* op_req_stop()'s and op_stop()'s stop timeout: the container's own. */
#define STOP_OWN_TIMEOUT (-1)
void op_req_create(struct op_req *o, const char *name, const char *body);
void op_req_start(struct op_req *o, const char *id);
void op_req_stop(struct op_req *o, const char *id, int64_t stop_timeout_s);
void op_req_remove(struct op_req *o, const char *id);
void op_req_rename(struct op_req *o, const char *id, const char *name);
void ops_send(struct docker *dk, struct op_req *v, size_t n, size_t max);
void op_req_free(struct op_req *o);

/* POST /containers/create?name=; name NULL for an unnamed container. */
int op_create(struct docker *dk, const char *name, const char *body,
    char id[65], char *err, size_t errlen);
/* Starting a running container and stopping a stopped one succeed. */
int op_start(struct docker *dk, const char *id, char *err, size_t errlen);
/*
 * SIGTERM, then SIGKILL after stop_timeout_s (Docker's t=; with
 * STOP_OWN_TIMEOUT, none: the container's own StopTimeout).
 */
int op_stop(struct docker *dk, const char *id, int64_t stop_timeout_s,
    char *err, size_t errlen);
/*
 * A stop and a start in one request, which the engine carries out whole
 * even if we are gone before its answer (a container with restart "no"
 * is never left stopped by a killed run).
 */
int op_restart(struct docker *dk, const char *id, int64_t stop_timeout_s,
    char *err, size_t errlen);
int op_remove(struct docker *dk, const char *id, char *err, size_t errlen);
int op_rename(struct docker *dk, const char *id, const char *name, char *err,
    size_t errlen);
int op_kill(struct docker *dk, const char *id, const char *signal, char *err,
    size_t errlen);
/*
 * The host ports ("8080/tcp") of the container's PortBindings, as one
 * string of space-separated items with a leading and a trailing space.
 */
int op_host_ports(
    struct docker *dk, const char *id, char **out, char *err, size_t errlen);
enum ctr_health {
	HEALTH_NONE = 0, /* no health check (State.Health absent) */
	HEALTH_STARTING,
	HEALTH_HEALTHY,
	HEALTH_UNHEALTHY,
};
/* State.StartedAt of a container that never ran (Go's zero time). */
#define DOCKER_ZERO_TIME "0001-01-01T00:00:00"
struct ctr_state {
	int running;
	int restarting; /* exited, and its restart policy restarts it */
	int exit_code;
	int64_t restart_count; /* RestartCount: restarts by its policy */
	enum ctr_health health;
	int never_started; /* State.StartedAt is Docker's zero time */
	double started_at; /* State.StartedAt, unix seconds; 0 unknown */
};
int op_state(struct docker *dk, const char *id, struct ctr_state *st, char *err,
    size_t errlen);
/* The last lines of a container's output, as printable text. */
int op_logs_tail(struct docker *dk, const char *id, unsigned lines, char *out,
    size_t outlen, char *err, size_t errlen);
/* DELETE with force: kills the container first (volumes are kept). */
int op_remove_force(
    struct docker *dk, const char *id, char *err, size_t errlen);
/* The mount points of a container (GET /containers/ID/json's Mounts). */
struct mounts;
int op_mounts(struct docker *dk, const char *id, struct mounts *out, char *err,
    size_t errlen);
/* The paths the image ref (a name or an ID) declares with VOLUME, pushed
   onto out. */
struct strlist;
int op_image_volumes(struct docker *dk, const char *ref, struct strlist *out,
    char *err, size_t errlen);
/* POST /images/prune?filters={"dangling":["true"]}. */
int op_prune_images(struct docker *dk, unsigned *deleted,
    unsigned long long *reclaimed, char *err, size_t errlen);

/*
 * The parsers of what the endpoint answers, apart from the calls (pure,
 * fuzzed by tests/fuzz/fuzz_docker.c).  inspect_*: from the document of
 * GET /containers/ID/json; inspect_state is -1 without a State object,
 * inspect_ports -1 when the list is over its bound (*out " 8080/tcp 53/udp ", the
 * caller's).  logs_text: a logs stream (8-byte frame headers, or a TTY's
 * raw bytes) as printable text, cut to outlen.
 */
struct cJSON;
int inspect_state(const struct cJSON *j, struct ctr_state *st);
int inspect_ports(const struct cJSON *j, char **out);
void inspect_image_volumes(const struct cJSON *j, struct strlist *out);
void logs_text(const unsigned char *p, size_t n, char *out, size_t outlen);
/* Docker's RFC 3339 UTC time ("...T03:04:05.123Z") as unix seconds; 0
   when it is not one. */
double docker_time(const char *s);

#endif
