#ifndef DOCKERUP_USERDATA_H
#define DOCKERUP_USERDATA_H

/*
 * EC2 user-data: fetched from the instance metadata service (IMDSv2;
 * IMDSv1 only when the endpoint does not know tokens and allow_v1 is set),
 * then decoded (gzip) and classified.
 */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

enum ud_fetch {
	UD_FETCH_OK = 1,      /* body holds the answer */
	UD_FETCH_NONE,        /* 404: no user-data, an empty source */
	UD_FETCH_UNREACHABLE, /* timeouts, refused, 5xx, 401/403: err set */
	UD_FETCH_INVALID,     /* an answer we refuse (too large): err set */
};

struct imds_session {
	char *token;             /* IMDSv2 session token, or NULL */
	struct timespec expires; /* CLOCK_MONOTONIC */
	unsigned requests;       /* HTTP requests made, for tests and logs */
};

void imds_session_clear(struct imds_session *im);

/* GET {base}/latest/user-data with retries; fills body (max size set).
 * allow_v1: a plain GET when the token request answers 404 or 405. */
enum ud_fetch userdata_fetch(struct imds_session *im, const char *base,
    int allow_v1, struct buf *body, char *err, size_t errlen);

enum ud_kind {
	UD_JSON = 1, /* out holds the text to parse */
	UD_EMPTY,    /* nothing but white space */
	UD_NOT_JSON, /* a script, cloud-config...: ignored */
	UD_BAD,      /* bad gzip or too large: err set */
};

/*
 * Decompresses gzip (magic 1f 8b) within MAX_DOCUMENT_SIZE and tells
 * whether the text is meant as JSON.  out receives the text.
 */
enum ud_kind userdata_decode(const unsigned char *p, size_t len,
    struct buf *out, char *err, size_t errlen);

/* What a non-JSON body looks like, without quoting it. */
const char *userdata_describe(const unsigned char *p, size_t len);

#endif
