/*
 * Docker Engine API client over libcurl: unix sockets, plain tcp, and tcp
 * with TLS following the docker CLI's conventions (DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH holding ca.pem, cert.pem, key.pem).
 */
#include "docker.h"

#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bounds.h"
#include "curlso.h"
#include "log.h"
#include "observe.h"
#include "proc.h"
#include "regauth.h"
#include "xalloc.h"

struct docker {
	CURL *curl;
	char *remote;             /* as configured, for messages */
	char *sock_path;          /* unix endpoint: the socket */
	char *base_url;           /* scheme://host[:port], no trailing slash */
	int tls;                  /* https with DOCKER_CERT_PATH's files */
	struct buf ca, cert, key; /* their contents, read at open: the
	                             engine may not read them once sandboxed */
	struct regauth auth;      /* registry credentials, last good */
	char version[16];         /* negotiated "1.41"; "" before /_ping */
	unsigned calls;
	char curl_err[CURL_ERROR_SIZE];
};

/* What the write and header callbacks of one request share. */
struct xfer {
	CURL *curl;
	struct docker_resp *resp;
	const struct docker_req *rq;
	struct buf line; /* stream mode: the partial line */
	int overflow;
	int line_overflow;   /* stream mode: one line above its bound */
	size_t header_bytes; /* of this answer so far */
	int header_overflow;
	int in_body; /* the header is complete */
	int cb_failed;
	char api_version[16]; /* from the answer's API-Version header */
};

void
docker_resp_init(struct docker_resp *r)
{
	r->status = 0;
	buf_init(&r->body, MAX_DOCKER_RESPONSE);
}

void
docker_resp_free(struct docker_resp *r)
{
	buf_free(&r->body);
	r->status = 0;
}

unsigned
docker_calls(const struct docker *dk)
{
	return dk->calls;
}

const char *
docker_api_version(const struct docker *dk)
{
	return dk->version;
}

const char *
docker_remote(const struct docker *dk)
{
	return dk->remote;
}

char *
docker_escape(const char *s)
{
	char *e, *copy;

	if ((e = curl_easy_escape(NULL, s, 0)) == NULL)
		fatal("%s", __func__);
	copy = xstrdup(e);
	curl_free(e);
	return copy;
}

int
docker_parse_api_version(const char *s, unsigned *major, unsigned *minor)
{
	unsigned long ma, mi;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	ma = strtoul(s, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	mi = strtoul(end + 1, &end, 10);
	if (*end != '\0' || ma > 99 || mi > 999)
		return -1;
	*major = (unsigned)ma;
	*minor = (unsigned)mi;
	return 0;
}

static int
version_cmp(unsigned ma, unsigned mi, unsigned mb, unsigned nb)
{
	if (ma != mb)
		return ma < mb ? -1 : 1;
	if (mi != nb)
		return mi < nb ? -1 : 1;
	return 0;
}

int
docker_choose_api_version(
    const char *srv, char *out, size_t outlen, char *err, size_t errlen)
{
	unsigned ma, mi;

	if (docker_parse_api_version(srv, &ma, &mi) == -1) {
		snprintf(err, errlen,
		    "the engine announced API version "
		    "\"%s\" in /_ping, expected MAJOR.MINOR such as 1.41",
		    srv ? srv : "(none)");
		return -1;
	}
	if (version_cmp(ma, mi, DOCKER_API_MIN_MAJOR, DOCKER_API_MIN_MINOR) <
	    0) {
		snprintf(err, errlen,
		    "the engine speaks API %u.%u; dockerup "
		    "needs %u.%u or newer (Docker 17.06 or later)",
		    ma, mi, DOCKER_API_MIN_MAJOR, DOCKER_API_MIN_MINOR);
		return -1;
	}
	if (version_cmp(
		ma, mi, DOCKER_API_NEWEST_MAJOR, DOCKER_API_NEWEST_MINOR) > 0) {
		ma = DOCKER_API_NEWEST_MAJOR;
		mi = DOCKER_API_NEWEST_MINOR;
	}
	snprintf(out, outlen, "%u.%u", ma, mi);
	return 0;
}

void
docker_error_text(const struct buf *body, char *out, size_t outlen)
{
	cJSON *j = NULL, *m;
	size_t n;

	if (body->len > 0)
		j = cJSON_ParseWithLength((const char *)body->p, body->len);
	m = cJSON_GetObjectItemCaseSensitive(j, "message");
	if (cJSON_IsString(m)) {
		snprintf(out, outlen, "%s", m->valuestring);
	} else if (body->len == 0) {
		snprintf(out, outlen, "(no message)");
	} else {
		n = body->len < 200 ? body->len : 200;
		snprintf(out, outlen, "%.*s", (int)n, (const char *)body->p);
		/* An error body ends with a newline: not part of the text. */
		n = strlen(out);
		while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
			out[--n] = '\0';
	}
	cJSON_Delete(j);
}

static int
read_pem(
    const char *dir, const char *name, struct buf *b, char *err, size_t errlen)
{
	char path[MAX_PATH_LEN + 64];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf_init(b, MAX_TLS_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	rc = buf_read_fd(b, fd);
	close(fd);
	if (rc == 0)
		return 0;
fail:
	snprintf(err, errlen,
	    "DOCKER_TLS_VERIFY is set but %s cannot be "
	    "read: %s (DOCKER_CERT_PATH names the directory of ca.pem, "
	    "cert.pem and key.pem)",
	    path, strerror(errno));
	return -1;
}

/* Reads DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as the docker CLI does. */
static int
docker_tls_setup(struct docker *dk, char *err, size_t errlen)
{
	const char *dir = getenv("DOCKER_CERT_PATH");
	const char *home = getenv("HOME");
	char path[MAX_PATH_LEN];

	if (!settings_tls_from_env())
		return 0;
	if (dir == NULL || *dir == '\0') {
		snprintf(path, sizeof(path), "%s/.docker", home ? home : "");
		dir = path;
	}
	dk->tls = 1;
	if (read_pem(dir, "ca.pem", &dk->ca, err, errlen) == -1 ||
	    read_pem(dir, "cert.pem", &dk->cert, err, errlen) == -1 ||
	    read_pem(dir, "key.pem", &dk->key, err, errlen) == -1)
		return -1;
	return 0;
}

static int
docker_parse_remote(
    struct docker *dk, const char *remote, char *err, size_t errlen)
{
	const char *hostport;

	if (strncmp(remote, "unix://", 7) == 0 && remote[7] == '/') {
		dk->sock_path = xstrdup(remote + 7);
		dk->base_url = xstrdup("http://localhost");
		return 0;
	}
	if (strncmp(remote, "tcp://", 6) != 0 || remote[6] == '\0') {
		snprintf(err, errlen,
		    "Docker endpoint \"%s\": expected "
		    "unix:///path or tcp://host:port",
		    remote);
		return -1;
	}
	hostport = remote + 6;
	if (strcspn(hostport, "/?#@ ") != strlen(hostport)) {
		snprintf(err, errlen,
		    "Docker endpoint \"%s\": expected "
		    "tcp://host:port without a path",
		    remote);
		return -1;
	}
	if (docker_tls_setup(dk, err, errlen) == -1)
		return -1;
	xasprintf(
	    &dk->base_url, "%s://%s", dk->tls ? "https" : "http", hostport);
	return 0;
}

/*
 * What later runs need from files while the engine may still read them:
 * registry credentials (kept as the last good copy) and our own container
 * ID from /proc/self.
 */
static void
docker_open_files(struct docker *dk, const struct settings *s)
{
	char err[1024];

	if (regauth_load(&dk->auth, s->registry_auth, err, sizeof(err)) != 0)
		log_warnx("%s; pulling without registry credentials until it "
			  "can be read",
		    err);
	if (s->self_id == NULL)
		(void)selfid_get();
}

struct regauth *
docker_regauth(struct docker *dk)
{
	return &dk->auth;
}

int
docker_in_clear(const struct docker *dk)
{
	return dk->sock_path == NULL && !dk->tls;
}

struct docker *
docker_open(const struct settings *s, char *err, size_t errlen)
{
	struct docker *dk;

	if (curlso_load(err, errlen) == -1)
		return NULL;
	dk = xcalloc(1, sizeof(*dk));
	dk->remote = xstrdup(s->remote ? s->remote : DEFAULT_REMOTE);
	err[0] = '\0';
	regauth_init(&dk->auth);
	if (docker_parse_remote(dk, dk->remote, err, errlen) == -1 ||
	    (dk->curl = curl_easy_init()) == NULL) {
		if (err[0] == '\0')
			snprintf(err, errlen, "out of memory");
		docker_close(dk);
		return NULL;
	}
	docker_open_files(dk, s);
	return dk;
}

void
docker_close(struct docker *dk)
{
	if (dk == NULL)
		return;
	if (dk->curl)
		curl_easy_cleanup(dk->curl);
	free(dk->remote);
	free(dk->sock_path);
	free(dk->base_url);
	buf_free(&dk->ca);
	buf_free(&dk->cert);
	if (dk->key.p)
		explicit_bzero(dk->key.p, dk->key.cap);
	buf_free(&dk->key);
	regauth_free(&dk->auth);
	free(dk);
}

/* Stream mode: hands every complete line to the request's callback. */
static int
xfer_stream(struct xfer *x, const char *p, size_t n)
{
	const char *nl;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		size_t chunk = nl ? (size_t)(nl - p) : n;
		if (buf_append(&x->line, p, chunk) == -1) {
			x->line_overflow = 1;
			return -1;
		}
		if (nl == NULL)
			break;
		if (x->line.len > 0 &&
		    x->rq->on_line(
			buf_cstr(&x->line), x->line.len, x->rq->arg) == -1) {
			x->cb_failed = 1;
			return -1;
		}
		buf_reset(&x->line);
		p += chunk + 1;
		n -= chunk + 1;
	}
	return 0;
}

/* Stream mode, at the end: a last line without its newline; -1 when the
 * callback refused it. */
static int
xfer_last_line(struct xfer *x)
{
	if (x->rq->on_line == NULL || x->line.len == 0)
		return 0;
	return x->rq->on_line(buf_cstr(&x->line), x->line.len, x->rq->arg);
}

static size_t
xfer_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	long code = 0;

	x->in_body = 1;
	/* An error answer is one JSON document: kept whole for its message. */
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
	if (x->rq->on_line != NULL && code < 300) {
		if (xfer_stream(x, p, n) == -1)
			return 0;
		return n;
	}
	if (buf_append(&x->resp->body, p, n) == -1) {
		x->overflow = 1;
		return 0;
	}
	return n;
}

static size_t
xfer_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, len;
	const char name[] = "API-Version:";

	/* Every header line of every answer (a redirect or a 100 too). */
	x->header_bytes += n;
	if (x->header_bytes > MAX_DOCKER_HEADER) {
		x->header_overflow = 1;
		return 0;
	}
	if (n > sizeof(name) - 1 &&
	    strncasecmp(p, name, sizeof(name) - 1) == 0) {
		p += sizeof(name) - 1;
		len = n - (sizeof(name) - 1);
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 &&
		    (p[len - 1] == '\r' || p[len - 1] == '\n' ||
			p[len - 1] == ' '))
			len--;
		if (len < sizeof(x->api_version)) {
			memcpy(x->api_version, p, len);
			x->api_version[len] = '\0';
		}
	}
	return n;
}

/* The PEM files go by content (libcurl 7.77 or later). */
static void
docker_set_tls(struct docker *dk, CURL *c)
{
	struct curl_blob ca = { dk->ca.p, dk->ca.len, CURL_BLOB_NOCOPY };
	struct curl_blob cert = { dk->cert.p, dk->cert.len, CURL_BLOB_NOCOPY };
	struct curl_blob key = { dk->key.p, dk->key.len, CURL_BLOB_NOCOPY };

	if (!dk->tls)
		return;
	curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
	curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
	curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
	curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
}

/*
 * Once the parent is gone, a read or a pull in flight is abandoned (called
 * about once a second even when nothing arrives); a change in flight is
 * waited for, so that no later instance sees it happen under it.
 */
static int
xfer_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct xfer *x = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return (x->rq->on_line != NULL || strcmp(x->rq->method, "GET") == 0) &&
	    proc_parent_gone();
}

/*
 * Options common to every request on handle c (dk->curl, or one of
 * docker_request_many()'s); the handle keeps its connections.
 */
static void
docker_set_common(
    struct docker *dk, CURL *c, struct xfer *x, long timeout_s, char *errbuf)
{
	curl_easy_reset(c);
	if (dk->sock_path)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, dk->sock_path);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(
	    c, CURLOPT_CONNECTTIMEOUT, (long)DOCKER_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, xfer_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "dockerup");
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xfer_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	docker_set_tls(dk, c);
}

static void
docker_set_method(CURL *c, const struct docker_req *rq)
{
	if (strcmp(rq->method, "GET") == 0)
		return;
	if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
		    (long)(rq->body ? strlen(rq->body) : 0));
		return;
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
}

static struct curl_slist *
docker_headers(const struct docker_req *rq)
{
	struct curl_slist *h = NULL, *t;
	char *auth = NULL;

	if ((t = curl_slist_append(h, "Expect:")) == NULL)
		goto fail;
	h = t;
	if (rq->body != NULL) {
		if ((t = curl_slist_append(
			 h, "Content-Type: application/json")) == NULL)
			goto fail;
		h = t;
	}
	if (rq->registry_auth != NULL) {
		xasprintf(&auth, "X-Registry-Auth: %s", rq->registry_auth);
		t = curl_slist_append(h, auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
		if (t == NULL)
			goto fail;
		h = t;
	}
	return h;
fail:
	curl_slist_free_all(h);
	return NULL;
}

/* The cause of a transfer failure, in the words an operator needs. */
static void
docker_transport_error(struct docker *dk, CURL *c, const char *errbuf,
    const struct docker_req *rq, CURLcode rc, const struct xfer *x, char *err,
    size_t errlen)
{
	long oserr = 0;

	if (x->overflow) {
		snprintf(err, errlen,
		    "%s %s: the answer from %s is larger than %d bytes",
		    rq->method, rq->path, dk->remote, MAX_DOCKER_RESPONSE);
		return;
	}
	if (x->line_overflow) {
		snprintf(err, errlen,
		    "%s %s: a line of the answer from %s exceeds %d bytes",
		    rq->method, rq->path, dk->remote, MAX_DOCKER_STREAM_LINE);
		return;
	}
	/*
	 * libcurl stops at one header line above CURL_MAX_HTTP_HEADER, before
	 * our callback sees it, and says "Out of memory": in the header, that
	 * is what it means.
	 */
	if (x->header_overflow || (rc == CURLE_OUT_OF_MEMORY && !x->in_body)) {
		snprintf(err, errlen,
		    "%s %s: response header from %s exceeds %d bytes",
		    rq->method, rq->path, dk->remote, MAX_DOCKER_HEADER);
		return;
	}
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
		snprintf(err, errlen,
		    "cannot reach the Docker engine at %s: "
		    "%s",
		    dk->remote,
		    oserr ? strerror((int)oserr) : curl_easy_strerror(rc));
		return;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(err, errlen,
		    "%s %s: the Docker engine at %s did not "
		    "answer within %ld s",
		    rq->method, rq->path, dk->remote,
		    rq->timeout_s ? rq->timeout_s : (long)DOCKER_TIMEOUT_S);
		return;
	}
	snprintf(err, errlen, "%s %s: Docker engine at %s: %s", rq->method,
	    rq->path, dk->remote, errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

static long
docker_perform(struct docker *dk, const char *url, const struct docker_req *rq,
    struct docker_resp *resp, char *api_version, char *err, size_t errlen)
{
	struct xfer x;
	struct curl_slist *hdrs;
	long timeout = rq->timeout_s ? rq->timeout_s : DOCKER_TIMEOUT_S;
	CURLcode rc;

	memset(&x, 0, sizeof(x));
	x.curl = dk->curl;
	x.resp = resp;
	x.rq = rq;
	buf_init(&x.line, MAX_DOCKER_STREAM_LINE);
	resp->status = 0;
	buf_reset(&resp->body);
	if ((hdrs = docker_headers(rq)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	docker_set_common(dk, dk->curl, &x, timeout, dk->curl_err);
	docker_set_method(dk->curl, rq);
	curl_easy_setopt(dk->curl, CURLOPT_URL, url);
	curl_easy_setopt(dk->curl, CURLOPT_HTTPHEADER, hdrs);
	dk->curl_err[0] = '\0';
	proc_check_parent(); /* no call without the parent's run lock */
	dk->calls++;
	log_debug("docker: %s %s", rq->method, rq->path);
	rc = curl_easy_perform(dk->curl);
	/* A last line without its newline. */
	if (rc == CURLE_OK && xfer_last_line(&x) == -1)
		x.cb_failed = 1;
	curl_easy_setopt(dk->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	buf_free(&x.line);
	if (api_version != NULL)
		memcpy(api_version, x.api_version, sizeof(x.api_version));
	if (x.cb_failed) {
		/* The callback said what was wrong through its own state. */
		snprintf(err, errlen, "%s %s: stopped reading the answer",
		    rq->method, rq->path);
		curl_easy_getinfo(
		    dk->curl, CURLINFO_RESPONSE_CODE, &resp->status);
		return resp->status ? resp->status : -1;
	}
	if (rc != CURLE_OK) {
		docker_transport_error(
		    dk, dk->curl, dk->curl_err, rq, rc, &x, err, errlen);
		return -1;
	}
	curl_easy_getinfo(dk->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	return resp->status;
}

long
docker_request(struct docker *dk, const struct docker_req *rq,
    struct docker_resp *resp, char *err, size_t errlen)
{
	char *url = NULL, msg[1024];
	long st;

	if (dk->version[0] == '\0' && docker_ping(dk, err, errlen) == -1)
		return -1;
	xasprintf(&url, "%s/v%s%s", dk->base_url, dk->version, rq->path);
	st = docker_perform(dk, url, rq, resp, NULL, err, errlen);
	free(url);
	if (st >= 400) {
		docker_error_text(&resp->body, msg, sizeof(msg));
		snprintf(err, errlen, "%s (HTTP %ld from %s %s)", msg, st,
		    rq->method, rq->path);
	}
	return st;
}

int
docker_ping(struct docker *dk, char *err, size_t errlen)
{
	struct docker_req rq = { .method = "GET", .path = "/_ping" };
	struct docker_resp resp;
	char *url = NULL, srv[16], ver[16];
	long st;

	docker_resp_init(&resp);
	xasprintf(&url, "%s/_ping", dk->base_url);
	st = docker_perform(dk, url, &rq, &resp, srv, err, errlen);
	free(url);
	if (st != 200) {
		if (st > 0)
			snprintf(err, errlen,
			    "the Docker engine at %s is not "
			    "ready: /_ping answered HTTP %ld",
			    dk->remote, st);
		docker_resp_free(&resp);
		return -1;
	}
	docker_resp_free(&resp);
	if (docker_choose_api_version(
		srv[0] ? srv : NULL, ver, sizeof(ver), err, errlen) == -1)
		return -1;
	if (strcmp(ver, dk->version) != 0)
		log_debug(
		    "docker: %s speaks API %s, using %s", dk->remote, srv, ver);
	memcpy(dk->version, ver, sizeof(ver));
	return 0;
}

/* One transfer of docker_request_many(). */
struct many_slot {
	struct docker_call *call;
	CURL *c;
	struct xfer x;
	struct curl_slist *hdrs;
	char *url;
	char errbuf[CURL_ERROR_SIZE];
};

static void
many_free(CURLM *m, struct many_slot *s)
{
	if (s->c != NULL) {
		curl_multi_remove_handle(m, s->c);
		curl_easy_cleanup(s->c);
		s->c = NULL;
	}
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;
	free(s->url);
	s->url = NULL;
	buf_free(&s->x.line);
}

/* Sets up s's own easy handle as docker_perform() does, and queues it. */
static int
many_start(struct docker *dk, CURLM *m, struct many_slot *s)
{
	struct docker_call *call = s->call;
	long timeout =
	    call->rq.timeout_s ? call->rq.timeout_s : DOCKER_TIMEOUT_S;

	s->x.resp = &call->resp;
	s->x.rq = &call->rq;
	buf_init(&s->x.line, MAX_DOCKER_STREAM_LINE);
	call->resp.status = 0;
	buf_reset(&call->resp.body);
	if ((s->c = curl_easy_init()) == NULL ||
	    (s->hdrs = docker_headers(&call->rq)) == NULL) {
		snprintf(call->err, sizeof(call->err), "%s %s: out of memory",
		    call->rq.method, call->rq.path);
		return -1;
	}
	xasprintf(
	    &s->url, "%s/v%s%s", dk->base_url, dk->version, call->rq.path);
	s->x.curl = s->c;
	docker_set_common(dk, s->c, &s->x, timeout, s->errbuf);
	docker_set_method(s->c, &call->rq);
	curl_easy_setopt(s->c, CURLOPT_URL, s->url);
	curl_easy_setopt(s->c, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(s->c, CURLOPT_PRIVATE, (void *)s);
	s->errbuf[0] = '\0';
	dk->calls++;
	log_debug("docker: %s %s", call->rq.method, call->rq.path);
	if (curl_multi_add_handle(m, s->c) != CURLM_OK) {
		snprintf(call->err, sizeof(call->err),
		    "%s %s: libcurl could "
		    "not queue the request",
		    call->rq.method, call->rq.path);
		return -1;
	}
	return 0;
}

/* The answer of a finished transfer, as docker_request() reports it. */
static void
many_finish(struct docker *dk, struct many_slot *s, CURLcode rc)
{
	struct docker_call *call = s->call;
	char msg[512];

	if (rc != CURLE_OK) {
		docker_transport_error(dk, s->c, s->errbuf, &call->rq, rc,
		    &s->x, call->err, sizeof(call->err));
		call->status = -1;
		return;
	}
	/* A stream's last line without its newline. */
	(void)xfer_last_line(&s->x);
	curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &call->resp.status);
	call->status = call->resp.status;
	if (call->status >= 400) {
		docker_error_text(&call->resp.body, msg, sizeof(msg));
		snprintf(call->err, sizeof(call->err),
		    "%s (HTTP %ld from %s "
		    "%s)",
		    msg, call->status, call->rq.method, call->rq.path);
	}
}

/* The order of docker_request_many()'s calls. */
struct many_order {
	size_t *first, *sibling; /* each call's followers (`after`), a list */
	size_t *ready;           /* followers whose call succeeded, FIFO */
	size_t head, tail;
	size_t next; /* the next call in order */
};

#define MANY_NONE ((size_t)-1)

/* Whether call i waits for another one (a valid `after`). */
static int
many_follows(const struct docker_call *v, size_t i)
{
	return v[i].after != 0 && v[i].after <= i;
}

static void
many_order_init(struct many_order *q, const struct docker_call *v, size_t n)
{
	q->first = xcalloc(n, sizeof(*q->first));
	q->sibling = xcalloc(n, sizeof(*q->sibling));
	q->ready = xcalloc(n, sizeof(*q->ready));
	q->head = q->tail = q->next = 0;
	for (size_t i = 0; i < n; i++)
		q->first[i] = q->sibling[i] = MANY_NONE;
	/* Backwards, so that each list is in the calls' order. */
	for (size_t i = n; i-- > 0;) {
		if (!many_follows(v, i))
			continue;
		q->sibling[i] = q->first[v[i].after - 1];
		q->first[v[i].after - 1] = i;
	}
}

static void
many_order_free(struct many_order *q)
{
	free(q->first);
	free(q->sibling);
	free(q->ready);
}

/* The next call to send, n when none can go now: followers first. */
static size_t
many_pick(const struct docker_call *v, size_t n, struct many_order *q)
{
	if (q->head < q->tail)
		return q->ready[q->head++];
	while (q->next < n && many_follows(v, q->next))
		q->next++;
	return q->next < n ? q->next++ : n;
}

/* Call i has its answer (or none): its followers go, or never do. */
static void
many_release(struct docker_call *v, struct many_order *q, size_t i)
{
	for (size_t f = q->first[i]; f != MANY_NONE; f = q->sibling[f]) {
		if (v[i].status > 0 && v[i].status < 400) {
			q->ready[q->tail++] = f;
			continue;
		}
		v[f].status = DOCKER_SKIPPED;
		snprintf(v[f].err, sizeof(v[f].err),
		    "%s %s: not sent, as %s %s before it failed",
		    v[f].rq.method, v[f].rq.path, v[i].rq.method, v[i].rq.path);
		many_release(v, q, f);
	}
}

/* Reads what finished; returns how many did. */
static size_t
many_collect(
    struct docker *dk, CURLM *m, struct docker_call *v, struct many_order *q)
{
	CURLMsg *msg;
	size_t done = 0;
	int left;

	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		struct many_slot *s;
		void *p = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
		s = p;
		many_finish(dk, s, msg->data.result);
		many_free(m, s);
		many_release(v, q, (size_t)(s->call - v));
		done++;
	}
	return done;
}

void
docker_request_many(
    struct docker *dk, struct docker_call *v, size_t n, size_t max_parallel)
{
	struct many_slot *slots = NULL;
	struct many_order q;
	CURLM *m = NULL;
	size_t active = 0, i;
	char err[1024];
	int still;

	for (i = 0; i < n; i++) {
		v[i].status = -1;
		v[i].err[0] = '\0';
	}
	if (n == 0)
		return;
	/* Nothing to overlap: the kept-alive connection serves it. */
	if (n == 1) {
		v[0].status = docker_request(
		    dk, &v[0].rq, &v[0].resp, v[0].err, sizeof(v[0].err));
		return;
	}
	if (max_parallel == 0)
		max_parallel = 1;
	err[0] = '\0';
	if (dk->version[0] == '\0' && docker_ping(dk, err, sizeof(err)) == -1)
		goto fail;
	slots = xcalloc(n, sizeof(*slots));
	if ((m = curl_multi_init()) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	curl_multi_setopt(
	    m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)max_parallel);
	many_order_init(&q, v, n);
	for (;;) {
		/* Without the parent, what is in flight finishes; no more. */
		while (active < max_parallel && !proc_parent_gone() &&
		    (i = many_pick(v, n, &q)) < n) {
			slots[i].call = &v[i];
			if (many_start(dk, m, &slots[i]) == 0)
				active++;
			else {
				many_free(m, &slots[i]);
				many_release(v, &q, i);
			}
		}
		if (active == 0)
			break; /* all done, or the parent is gone */
		if (curl_multi_perform(m, &still) != CURLM_OK)
			break;
		active -= many_collect(dk, m, v, &q);
		if (active > 0 &&
		    curl_multi_poll(m, NULL, 0, DOCKER_MANY_POLL_MS, NULL) !=
			CURLM_OK)
			break;
	}
	for (i = 0; i < n; i++) {
		/* Only after a libcurl failure: no answer. */
		if (slots[i].c != NULL) {
			snprintf(v[i].err, sizeof(v[i].err),
			    "%s %s: libcurl stopped the transfer",
			    v[i].rq.method, v[i].rq.path);
			many_free(m, &slots[i]);
		} else if (slots[i].call == NULL &&
		    v[i].status != DOCKER_SKIPPED)
			snprintf(v[i].err, sizeof(v[i].err),
			    "%s %s: not sent: %s", v[i].rq.method, v[i].rq.path,
			    proc_parent_gone() ? "the parent dockerup is gone"
					       : "libcurl failed before it");
	}
	many_order_free(&q);
	curl_multi_cleanup(m);
	free(slots);
	return;
fail:
	for (i = 0; i < n; i++)
		snprintf(v[i].err, sizeof(v[i].err), "%s", err);
	free(slots);
}
