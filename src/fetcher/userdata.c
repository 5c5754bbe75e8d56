/*
 * EC2 user-data over the instance metadata service.
 *
 * IMDSv2: PUT /latest/api/token with a TTL header, then GET
 * /latest/user-data with the token.  The token PUT answered 404 or 405
 * means an endpoint that does not know tokens (IMDSv1 only, or an older
 * emulator): a plain GET then only when the setting imds_v1 allows it
 * (IMDSv1 answers any request from the host, one that a server-side
 * request forgery makes included).  403 is not a reason to fall back: AWS
 * answers 403 when the metadata service is turned off for the instance,
 * and a GET would fail the same way.  Timeouts, refused or reset
 * connections and 5xx answers are retried IMDS_RETRIES times with a
 * doubling backoff.
 */
#include "userdata.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <zlib.h>

#include "bounds.h"
#include "httpreq.h"
#include "log.h"
#include "xalloc.h"

#define STR2(x)        #x
#define STR(x)         STR2(x)
#define TTL_STRING     STR(IMDS_TOKEN_TTL_S)
#define IMDS_TOKEN_MAX 1024

/* Never advises a higher hop limit: that opens the metadata service (and
 * the instance's credentials) to every bridged container. */
static const char hop_limit_hint[] =
    "the token request timed out; the "
    "usual cause is dockerup in a bridged container, which the instance "
    "metadata hop limit of 1 does not answer; expected dockerup on the "
    "host network: run its container with --network host";

void
imds_session_clear(struct imds_session *im)
{
	if (im->token != NULL)
		explicit_bzero(im->token, strlen(im->token));
	free(im->token);
	im->token = NULL;
}

struct http_answer {
	long status; /* 0: no answer */
	CURLcode code;
	int timed_out;
	int too_large;
};

static void
http_request(struct imds_session *im, const char *method, const char *url,
    const char *header, struct buf *body, struct http_answer *a)
{
	struct curl_slist *hdrs = NULL;
	CURL *h;

	memset(a, 0, sizeof(*a));
	if (header != NULL && (hdrs = curl_slist_append(NULL, header)) == NULL)
		fatalx("curl_slist_append failed");
	h = http_handle(&(struct http_setup){ .url = url,
	    .headers = hdrs,
	    .timeout_ms = IMDS_TIMEOUT_MS,
	    .connect_ms = IMDS_TIMEOUT_MS,
	    .answer = body });
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	im->requests++;
	a->code = curl_easy_perform(h);
	if (a->code == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
	a->timed_out = a->code == CURLE_OPERATION_TIMEDOUT;
	a->too_large = a->code == CURLE_WRITE_ERROR;
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
}

static void
backoff(unsigned attempt)
{
	long ms = (long)IMDS_BACKOFF_MS << attempt;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
retryable(const struct http_answer *a)
{
	return a->status == 0 ? !a->too_large : a->status >= 500;
}

static void
describe_failure(const char *what, const char *url, const struct http_answer *a,
    char *err, size_t errlen)
{
	if (a->status != 0)
		snprintf(err, errlen,
		    "%s %s answered HTTP %ld after %d "
		    "retries; expected 200",
		    what, url, a->status, IMDS_RETRIES);
	else
		snprintf(err, errlen,
		    "%s %s failed after %d retries: %s; "
		    "expected the instance metadata service to answer",
		    what, url, IMDS_RETRIES, curl_easy_strerror(a->code));
}

static int
token_valid(const struct imds_session *im)
{
	struct timespec now;

	if (im->token == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < im->expires.tv_sec;
}

/* 1: token, 0: IMDSv1 endpoint (no token), -1: failure with err set. */
static int
get_token(struct imds_session *im, const char *base, int allow_v1, char *err,
    size_t errlen)
{
	char url[1100];
	struct http_answer a;
	struct buf body;
	int timed_out = 0, rc = -1;

	if (token_valid(im))
		return 1;
	imds_session_clear(im);
	snprintf(url, sizeof(url), "%s/latest/api/token", base);
	buf_init(&body, IMDS_TOKEN_MAX);
	for (unsigned attempt = 0; attempt <= IMDS_RETRIES; attempt++) {
		if (attempt > 0)
			backoff(attempt - 1);
		http_request(im, "PUT", url,
		    "X-aws-ec2-metadata-token-ttl-"
		    "seconds: " TTL_STRING,
		    &body, &a);
		timed_out |= a.timed_out;
		if (!retryable(&a))
			break;
	}
	if (a.status == 200 && body.len > 0 &&
	    strspn(buf_cstr(&body),
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
		"opqrstuvwxyz0123456789+/=_-.") == body.len) {
		im->token = xstrdup(buf_cstr(&body));
		clock_gettime(CLOCK_MONOTONIC, &im->expires);
		im->expires.tv_sec += IMDS_TOKEN_TTL_S - 60;
		rc = 1;
	} else if ((a.status == 404 || a.status == 405) && allow_v1) {
		log_debug(
		    "IMDS token request answered %ld: using IMDSv1", a.status);
		rc = 0;
	} else if (a.status == 404 || a.status == 405) {
		snprintf(err, errlen,
		    "the metadata service refused a session token (PUT %s "
		    "answered HTTP %ld): it offers IMDSv1 only; expected "
		    "IMDSv2, or the setting imds_v1=true (--imds-v1) to allow "
		    "IMDSv1",
		    url, a.status);
	} else if (a.status == 403) {
		snprintf(err, errlen,
		    "the metadata service refused a session "
		    "token (HTTP 403): it is turned off for this instance; "
		    "expected it enabled when aws is on");
	} else if (a.status == 200) {
		snprintf(err, errlen,
		    "the metadata service answered the token "
		    "request with a malformed token; expected an IMDSv2 token");
	} else if (a.status == 0 && timed_out) {
		snprintf(err, errlen, "%s", hop_limit_hint);
	} else
		describe_failure("token request", url, &a, err, errlen);
	if (body.p != NULL)
		explicit_bzero(body.p, body.len);
	buf_free(&body);
	return rc;
}

static enum ud_fetch
get_userdata(struct imds_session *im, const char *url, struct buf *body,
    struct http_answer *a)
{
	char hdr[IMDS_TOKEN_MAX + 64];

	for (unsigned attempt = 0; attempt <= IMDS_RETRIES; attempt++) {
		if (attempt > 0)
			backoff(attempt - 1);
		if (im->token != NULL)
			snprintf(hdr, sizeof(hdr),
			    "X-aws-ec2-metadata-token: %s", im->token);
		http_request(im, "GET", url, im->token ? hdr : NULL, body, a);
		if (!retryable(a))
			break;
	}
	explicit_bzero(hdr, sizeof(hdr));
	if (a->status == 200)
		return UD_FETCH_OK;
	if (a->status == 404)
		return UD_FETCH_NONE;
	return a->too_large ? UD_FETCH_INVALID : UD_FETCH_UNREACHABLE;
}

enum ud_fetch
userdata_fetch(struct imds_session *im, const char *base, int allow_v1,
    struct buf *body, char *err, size_t errlen)
{
	char url[1100];
	struct http_answer a;
	enum ud_fetch r = UD_FETCH_UNREACHABLE;

	snprintf(url, sizeof(url), "%s/latest/user-data", base);
	for (int round = 0; round < 2; round++) {
		int t = get_token(im, base, allow_v1, err, errlen);
		if (t == -1)
			return UD_FETCH_UNREACHABLE;
		r = get_userdata(im, url, body, &a);
		/* 401: the token expired or was revoked; get a new one once. */
		if (a.status != 401 || t == 0)
			break;
		imds_session_clear(im);
	}
	if (r == UD_FETCH_OK || r == UD_FETCH_NONE)
		return r;
	if (a.status == 401)
		snprintf(err, errlen,
		    "GET %s answered HTTP 401 Unauthorized: "
		    "the metadata service refused %s; expected it to accept an "
		    "IMDSv2 session token",
		    url,
		    im->token ? "our session token"
			      : "a request without a token (and "
				"offered no token)");
	else if (r == UD_FETCH_INVALID)
		snprintf(err, errlen,
		    "user-data is larger than %d bytes; "
		    "expected at most that",
		    MAX_DOCUMENT_SIZE);
	else
		describe_failure("GET", url, &a, err, errlen);
	return r;
}

static enum ud_kind
gunzip(const unsigned char *p, size_t len, struct buf *out, char *err,
    size_t errlen)
{
	unsigned char chunk[16384];
	z_stream z;
	int zr;

	if (len > MAX_USERDATA_GZIP_SIZE) {
		snprintf(err, errlen,
		    "gzip user-data is %zu bytes; expected "
		    "at most %d",
		    len, MAX_USERDATA_GZIP_SIZE);
		return UD_BAD;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		fatalx("inflateInit2 failed");
	z.next_in = (unsigned char *)(uintptr_t)p;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			snprintf(err, errlen,
			    "gzip user-data is corrupt (%s); "
			    "expected a valid gzip stream",
			    z.msg ? z.msg : "truncated");
			inflateEnd(&z);
			return UD_BAD;
		}
		if (buf_append(out, chunk, sizeof(chunk) - z.avail_out) == -1) {
			snprintf(err, errlen,
			    "decompressed user-data is "
			    "larger than %d bytes; expected at most that",
			    MAX_DOCUMENT_SIZE);
			inflateEnd(&z);
			return UD_BAD;
		}
		if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
			snprintf(err, errlen,
			    "gzip user-data is truncated; "
			    "expected a complete gzip stream");
			inflateEnd(&z);
			return UD_BAD;
		}
	} while (zr != Z_STREAM_END);
	inflateEnd(&z);
	return UD_JSON;
}

enum ud_kind
userdata_decode(const unsigned char *p, size_t len, struct buf *out, char *err,
    size_t errlen)
{
	size_t i = 0;

	buf_reset(out);
	out->max = MAX_DOCUMENT_SIZE;
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
		if (gunzip(p, len, out, err, errlen) == UD_BAD)
			return UD_BAD;
	} else if (buf_append(out, p, len) == -1) {
		snprintf(err, errlen,
		    "user-data is %zu bytes; expected at "
		    "most %d",
		    len, MAX_DOCUMENT_SIZE);
		return UD_BAD;
	}
	if (out->len >= 3 && memcmp(out->p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < out->len && isspace(out->p[i]))
		i++;
	if (i == out->len)
		return UD_EMPTY;
	if (out->p[i] == '{' || out->p[i] == '[' || out->p[i] == '/')
		return UD_JSON;
	return UD_NOT_JSON;
}

const char *
userdata_describe(const unsigned char *p, size_t len)
{
	if (len >= 2 && p[0] == '#' && p[1] == '!')
		return "a script";
	if (len >= 13 && memcmp(p, "#cloud-config", 13) == 0)
		return "a cloud-config document";
	if (len >= 13 && strncasecmp((const char *)p, "Content-Type:", 13) == 0)
		return "a MIME multi-part document";
	if (len >= 12 && strncasecmp((const char *)p, "MIME-Version", 12) == 0)
		return "a MIME multi-part document";
	return "text that is not JSON";
}
