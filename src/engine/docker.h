#ifndef DOCKERUP_DOCKER_H
#define DOCKERUP_DOCKER_H

/*
 * The HTTP client for the Docker Engine API: one libcurl easy handle per
 * endpoint, reused across calls so the connection is kept alive.
 *
 * API version: every run starts with GET /_ping and uses the smaller of
 * the server's API-Version and DOCKER_API_NEWEST.  Engines older than
 * DOCKER_API_MIN are refused: 1.30 is the first version with
 * GET /distribution/{name}/json, which update detection needs; everything
 * else used here (labels, Tmpfs, SecurityOpt, images/prune, rename, the
 * API-Version header of /_ping) is older.  Current engines (Docker 29)
 * refuse versions below 1.44, so we never ask for less than the server's
 * own version unless it is newer than DOCKER_API_NEWEST.
 */
#include <stddef.h>

#include "buf.h"
#include "regauth.h"
#include "settings.h"

#define DOCKER_API_MIN_MAJOR    1
#define DOCKER_API_MIN_MINOR    30
#define DOCKER_API_NEWEST_MAJOR 1
#define DOCKER_API_NEWEST_MINOR 51

struct docker; /* a connection to the Docker endpoint */

/* Opens (lazily connects) the endpoint of s->remote; NULL with err set. */
struct docker *docker_open(const struct settings *s, char *err, size_t errlen);
void docker_close(struct docker *dk);

typedef int (*docker_line_cb)(const char *line, size_t len, void *arg);

struct docker_req {
	const char *method;        /* "GET", "POST" or "DELETE" */
	const char *path;          /* after the version, e.g. "/info" */
	const char *body;          /* JSON text, or NULL */
	const char *registry_auth; /* X-Registry-Auth value; never logged */
	long timeout_s;            /* 0: DOCKER_TIMEOUT_S */
	docker_line_cb on_line;    /* stream mode: one call per line, the
	                              body is not kept */
	void *arg;
};

struct docker_resp {
	long status;     /* HTTP status; 0 when none */
	struct buf body; /* bounded by MAX_DOCKER_RESPONSE */
};

void docker_resp_init(struct docker_resp *r);
void docker_resp_free(struct docker_resp *r);

/*
 * Sends one request.  Returns the HTTP status, or -1 when no answer came
 * (err says why).  A status >= 400 also fills err with the engine's own
 * message and the request it answered.
 */
long docker_request(struct docker *dk, const struct docker_req *rq,
    struct docker_resp *resp, char *err, size_t errlen);

/* One request of docker_request_many(). */
struct docker_call {
	struct docker_req rq;    /* on_line: as docker_request(), but a
	                              callback's -1 does not stop the read */
	struct docker_resp resp; /* initialized by the caller */
	size_t after;            /* 0, or 1 + the index of an earlier call
	                            of the same batch: this one is sent once
	                            that one has an answer below 400 */
	long status;             /* as docker_request() returns it, or
	                            DOCKER_SKIPPED */
	char err[1024];          /* as docker_request() sets it */
};

/* A call's status when the call it goes after failed: it was not sent. */
#define DOCKER_SKIPPED (-2)

/* How long one wait for any of docker_request_many()'s answers lasts. */
#define DOCKER_MANY_POLL_MS 1000

/*
 * Sends the n requests with at most max_parallel of them in flight (each
 * on its own connection, through libcurl's multi interface), started in
 * order; a call with an `after` goes as soon as its call has succeeded,
 * before the next in order.  Each call's status and err are set as
 * docker_request() would.
 */
void docker_request_many(
    struct docker *dk, struct docker_call *v, size_t n, size_t max_parallel);

/* GET /_ping and negotiate the API version; -1 with err set. */
int docker_ping(struct docker *dk, char *err, size_t errlen);

unsigned docker_calls(const struct docker *dk);
/*
 * Registry credentials read by docker_open() (before the engine is
 * sandboxed); a run refreshes them with regauth_reload().
 */
struct regauth *docker_regauth(struct docker *dk);
const char *docker_api_version(const struct docker *dk);
const char *docker_remote(const struct docker *dk);
/* A tcp:// endpoint without TLS: nothing secret may cross it. */
int docker_in_clear(const struct docker *dk);

/* URL-escapes s for a query string; the caller frees the result. */
char *docker_escape(const char *s);

/* "1.41" -> 1, 41; -1 when s is not MAJOR.MINOR. */
int docker_parse_api_version(const char *s, unsigned *major, unsigned *minor);
/*
 * The version to speak to a server announcing srv: min(srv, newest).
 * -1 with err set when srv is unparsable or below the minimum.
 */
int docker_choose_api_version(
    const char *srv, char *out, size_t outlen, char *err, size_t errlen);
/* The engine's "message" from an error body, or the body's start. */
void docker_error_text(const struct buf *body, char *out, size_t outlen);

#endif
