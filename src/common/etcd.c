/*
 * etcd's v3 JSON gateway (see etcd.h).  A range request names the
 * directory's first key and the key just past it (the last byte of the
 * prefix plus one), asks for at most MAX_ETCD_KEYS + 1 keys, and the
 * answer is checked before anything of it is used: every key under the
 * directory, printable, bounded; every value valid base64 of at most
 * MAX_DOCUMENT_SIZE bytes; the whole at most MAX_ETCD_TOTAL.
 */
#include "etcd.h"
#include "httpreq.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <nettle/base64.h>

#include "bounds.h"
#include "buf.h"
#include "log.h"
#include "xalloc.h"

#define ETCD_PASSWORD_MAX 256
#define ETCD_TOKEN_MAX    1024

static char password[ETCD_PASSWORD_MAX + 1]; /* etcd_password_file's */

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
etcd_kvs_init(struct etcd_kvs *kvs)
{
	memset(kvs, 0, sizeof(*kvs));
}

void
etcd_kvs_free(struct etcd_kvs *kvs)
{
	for (size_t i = 0; i < kvs->n; i++) {
		free(kvs->v[i].key);
		if (kvs->v[i].value != NULL)
			explicit_bzero(kvs->v[i].value, kvs->v[i].len);
		free(kvs->v[i].value);
	}
	free(kvs->v);
	memset(kvs, 0, sizeof(*kvs));
}

/* base64 into a malloc'ed buffer (NUL-terminated); NULL when invalid. */
static unsigned char *
b64_decode(const char *s, size_t max, size_t *outlen, int *too_large)
{
	struct base64_decode_ctx ctx;
	size_t n = strlen(s), len;
	unsigned char *out;

	*too_large = 0;
	if (BASE64_DECODE_LENGTH(n) > max + 3) {
		*too_large = 1;
		return NULL;
	}
	out = xmalloc(BASE64_DECODE_LENGTH(n) + 1);
	base64_decode_init(&ctx);
	len = BASE64_DECODE_LENGTH(n);
	if (!base64_decode_update(&ctx, &len, out, n, s) ||
	    !base64_decode_final(&ctx)) {
		free(out);
		return NULL;
	}
	if (len > max) {
		*too_large = 1;
		free(out);
		return NULL;
	}
	out[len] = '\0';
	*outlen = len;
	return out;
}

/* An int64 that the gateway sends as a string of digits (or a number). */
static int
get_u64(const cJSON *o, const char *name, uint64_t *out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);
	char *end;

	*out = 0;
	if (j == NULL)
		return 0;
	if (cJSON_IsNumber(j) && j->valuedouble >= 0 &&
	    j->valuedouble < 9007199254740992.0) {
		*out = (uint64_t)j->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(j) || j->valuestring[0] == '\0' ||
	    strspn(j->valuestring, "0123456789") != strlen(j->valuestring) ||
	    strlen(j->valuestring) > 19)
		return -1;
	errno = 0;
	*out = strtoull(j->valuestring, &end, 10);
	return errno != 0 ? -1 : 0;
}

static int
parse_kv(const cJSON *e, const char *dir, struct etcd_kvs *out, size_t *total,
    char *err, size_t errlen)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "key");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
	struct etcd_kv kv = { 0 };
	unsigned char *key;
	size_t klen;
	int big;

	if (!cJSON_IsObject(e) || !cJSON_IsString(k) ||
	    (v != NULL && !cJSON_IsString(v))) {
		seterr(err, errlen,
		    "kvs[%zu]: expected an object with a string key and value",
		    out->n);
		return -1;
	}
	/* Any length the answer holds: a key over MAX_ETCD_KEY_LEN under
	 * dir is counted and left out below, not taken for etcd's fault. */
	key = b64_decode(k->valuestring, MAX_ETCD_RESPONSE, &klen, &big);
	if (key == NULL && !big) {
		seterr(err, errlen, "kvs[%zu].key: not base64", out->n);
		return -1;
	}
	if (key == NULL || memchr(key, '\0', klen) != NULL ||
	    !settings_etcd_key_ok(dir, (char *)key, klen)) {
		if (key == NULL ||
		    strncmp((char *)key, dir, strlen(dir)) != 0) {
			free(key);
			seterr(err, errlen,
			    "kvs[%zu].key: not under %s; expected only the "
			    "keys asked for",
			    out->n, dir);
			return -1;
		}
		free(key); /* a name we never use: counted, not listed */
		out->ignored++;
		return 0;
	}
	kv.key = (char *)key;
	if (get_u64(e, "mod_revision", &kv.mod_rev) == -1) {
		seterr(err, errlen, "%s: mod_revision is not a number", kv.key);
		free(key);
		return -1;
	}
	if (v != NULL) {
		kv.value = b64_decode(
		    v->valuestring, MAX_DOCUMENT_SIZE, &kv.len, &kv.too_large);
		if (kv.value == NULL && !kv.too_large) {
			seterr(
			    err, errlen, "%s: the value is not base64", kv.key);
			free(key);
			return -1;
		}
	} else {
		kv.value = xcalloc(1, 1);
	}
	*total += kv.len;
	if (*total > MAX_ETCD_TOTAL) {
		seterr(err, errlen,
		    "the values under %s hold more than %d bytes; expected at "
		    "most that much",
		    dir, MAX_ETCD_TOTAL);
		free(kv.key);
		free(kv.value);
		return -1;
	}
	out->v[out->n++] = kv;
	return 0;
}

int
etcd_parse_range(const char *json, size_t len, const char *dir,
    struct etcd_kvs *out, char *err, size_t errlen)
{
	const cJSON *kvs, *e, *hdr;
	size_t total = 0, n;
	cJSON *root;
	int rc = -1;

	etcd_kvs_init(out);
	if ((root = cJSON_ParseWithLength(json, len)) == NULL ||
	    !cJSON_IsObject(root)) {
		seterr(err, errlen, "the answer is not a JSON object");
		goto out;
	}
	hdr = cJSON_GetObjectItemCaseSensitive(root, "header");
	if (hdr != NULL &&
	    (!cJSON_IsObject(hdr) ||
		get_u64(hdr, "revision", &out->revision) == -1)) {
		seterr(
		    err, errlen, "header: expected an object with a revision");
		goto out;
	}
	kvs = cJSON_GetObjectItemCaseSensitive(root, "kvs");
	if (kvs != NULL && !cJSON_IsArray(kvs)) {
		seterr(err, errlen, "kvs: expected an array");
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(kvs);
	if (n > MAX_ETCD_KEYS ||
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "more"))) {
		seterr(err, errlen,
		    "more than %d keys under %s; expected at most "
		    "%d",
		    MAX_ETCD_KEYS, dir, MAX_ETCD_KEYS);
		goto out;
	}
	out->v = xcalloc(n + 1, sizeof(*out->v));
	cJSON_ArrayForEach(e, kvs)
	{
		if (parse_kv(e, dir, out, &total, err, errlen) == -1)
			goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc == -1)
		etcd_kvs_free(out);
	return rc;
}

void
etcd_fingerprint(const struct etcd_kvs *kvs, unsigned char md[SHA256_LEN])
{
	struct buf b;

	buf_init(&b, MAX_ETCD_KEYS * (MAX_ETCD_KEY_LEN + 64));
	for (size_t i = 0; i < kvs->n; i++)
		if (buf_printf(&b, "%s\n%llu\n", kvs->v[i].key,
			(unsigned long long)kvs->v[i].mod_rev) == -1)
			fatal("%s", __func__);
	sha256(b.p != NULL ? b.p : (unsigned char *)"", b.len, md);
	buf_free(&b);
}

/* ---- requests ---- */

int
etcd_preinit(const struct settings *s, char *err, size_t errlen)
{
	FILE *f;

	if (s->etcd_user == NULL || s->etcd_password_file == NULL)
		return 0;
	if ((f = fopen(s->etcd_password_file, "re")) == NULL) {
		seterr(err, errlen,
		    "etcd_password_file %s: %s; expected a file the "
		    "fetcher's account can read",
		    s->etcd_password_file, strerror(errno));
		return -1;
	}
	if (fgets(password, sizeof(password), f) == NULL)
		password[0] = '\0';
	fclose(f);
	password[strcspn(password, "\r\n")] = '\0';
	return 0;
}

static char *
b64_encode(const char *s, size_t n)
{
	char *out = xmalloc(BASE64_ENCODE_RAW_LENGTH(n) + 1);

	base64_encode_raw(out, n, (const uint8_t *)s);
	out[BASE64_ENCODE_RAW_LENGTH(n)] = '\0';
	return out;
}

/* One POST; the HTTP status (0: no answer, err set). */
static long
post(const struct settings *s, const char *url, const char *body,
    const char *token, struct buf *answer, char *err, size_t errlen)
{
	char auth[ETCD_TOKEN_MAX + 32];
	struct curl_slist *hdrs = NULL;
	long status = 0;
	CURLcode rc;
	CURL *h;

	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: %s", token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (hdrs == NULL)
		fatalx("curl_slist_append failed");
	h = http_handle(&(struct http_setup){ .url = url,
	    .headers = hdrs,
	    .https = 1,
	    .timeout_ms = ETCD_TIMEOUT_MS,
	    .connect_ms = ETCD_CONNECT_MS,
	    .answer = answer });
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	if (s->etcd_cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->etcd_cacert);
	if (s->etcd_cert != NULL)
		curl_easy_setopt(h, CURLOPT_SSLCERT, s->etcd_cert);
	if (s->etcd_key != NULL)
		curl_easy_setopt(h, CURLOPT_SSLKEY, s->etcd_key);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	else if (rc == CURLE_WRITE_ERROR)
		seterr(err, errlen,
		    "%s: the answer is larger than %d bytes; expected at "
		    "most that much",
		    url, MAX_ETCD_RESPONSE);
	else
		seterr(err, errlen, "%s: %s", url, curl_easy_strerror(rc));
	if (rc == CURLE_WRITE_ERROR)
		status = -1;
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	return status;
}

/* etcd's authentication: a token for the user, or NULL (err set). */
static char *
authenticate(const struct settings *s, const char *base, struct buf *answer,
    long *status, char *err, size_t errlen)
{
	char url[600], *body, *token = NULL;
	cJSON *req, *root;
	const cJSON *t;

	if ((req = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(req, "name", s->etcd_user) == NULL ||
	    cJSON_AddStringToObject(req, "password", password) == NULL ||
	    (body = cJSON_PrintUnformatted(req)) == NULL)
		fatal("%s", __func__);
	cJSON_Delete(req);
	snprintf(url, sizeof(url), "%s/v3/auth/authenticate", base);
	*status = post(s, url, body, NULL, answer, err, errlen);
	explicit_bzero(body, strlen(body));
	free(body);
	if (*status != 200) {
		if (*status > 0)
			seterr(err, errlen,
			    "%s: HTTP %ld; expected the token of etcd_user %s",
			    url, *status, s->etcd_user);
		return NULL;
	}
	root = cJSON_ParseWithLength((const char *)answer->p, answer->len);
	t = cJSON_GetObjectItemCaseSensitive(root, "token");
	if (cJSON_IsString(t) && strlen(t->valuestring) < ETCD_TOKEN_MAX &&
	    strchr(t->valuestring, '\n') == NULL &&
	    strchr(t->valuestring, '\r') == NULL)
		token = strdup(t->valuestring);
	else
		seterr(err, errlen, "%s: no token in the answer", url);
	cJSON_Delete(root);
	return token;
}

/* The range request's body. */
static char *
range_body(const char *dir, int keys_only)
{
	size_t n = strlen(dir);
	char *end = xstrdup(dir), *k, *e, *body;

	end[n - 1]++; /* '/' + 1: every key that starts with dir */
	k = b64_encode(dir, n);
	e = b64_encode(end, n);
	xasprintf(&body, "{\"key\":\"%s\",\"range_end\":\"%s\",\"limit\":%d%s}",
	    k, e, MAX_ETCD_KEYS + 1, keys_only ? ",\"keys_only\":true" : "");
	free(k);
	free(e);
	free(end);
	return body;
}

/*
 * etcd's token for the user, kept between requests (the watch asks every
 * ETCD_WATCH_MS, and each log-in costs etcd a password hash): of one
 * endpoint, dropped when etcd refuses it.
 */
static char *token, *token_base;

static void
forget_token(void)
{
	if (token != NULL)
		explicit_bzero(token, strlen(token));
	free(token);
	free(token_base);
	token = token_base = NULL;
}

/* 0 with token set (or no user), -1 with *r and err set. */
static int
logged_in(const struct settings *s, const char *base, struct buf *answer,
    enum etcd_result *r, char *err, size_t errlen)
{
	long status = 0;

	if (s->etcd_user == NULL ||
	    (token != NULL && strcmp(token_base, base) == 0))
		return 0;
	forget_token();
	if ((token = authenticate(s, base, answer, &status, err, errlen)) ==
	    NULL) {
		*r = status == 0 || status >= 500 ? ETCD_UNREACHABLE
						  : ETCD_INVALID;
		return -1;
	}
	token_base = xstrdup(base);
	return 0;
}

/* One endpoint: ETCD_UNREACHABLE lets the caller try the next one;
 * ETCD_OK with the answer of HTTP 200 in answer. */
static enum etcd_result
call_at(const struct settings *s, const char *base, const char *path,
    const char *body, struct buf *answer, char *err, size_t errlen)
{
	enum etcd_result r = ETCD_INVALID;
	long status = 0;
	char url[600];

	snprintf(url, sizeof(url), "%s%s", base, path);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (logged_in(s, base, answer, &r, err, errlen) == -1)
			return r;
		status = post(s, url, body, token, answer, err, errlen);
		if (status != 401 || token == NULL)
			break;
		forget_token(); /* expired: log in again, once */
	}
	/* etcd 3.4's gateway does not answer a request with a token it
	 * no longer knows (it restarted): the next request logs in again. */
	if (status == 0)
		forget_token();
	if (status == 0 || status >= 500) {
		if (status >= 500)
			seterr(err, errlen, "%s: HTTP %ld", url, status);
		return ETCD_UNREACHABLE;
	}
	if (status == 200)
		return ETCD_OK;
	if (status > 0)
		seterr(err, errlen,
		    "%s: HTTP %ld; expected 200 (etcd's v3 gateway)", url,
		    status);
	return ETCD_INVALID;
}

enum etcd_result
etcd_call(const struct settings *s, const char *path, const char *body,
    struct buf *answer, char *err, size_t errlen)
{
	enum etcd_result r = ETCD_UNREACHABLE;
	char *list, *save = NULL;
	size_t tried = 0;

	seterr(err, errlen, "no etcd endpoint");
	list = xstrdup(s->etcd ? s->etcd : "");
	for (char *ep = strtok_r(list, ",", &save);
	     ep != NULL && tried < MAX_ETCD_ENDPOINTS && r == ETCD_UNREACHABLE;
	     ep = strtok_r(NULL, ",", &save), tried++)
		r = call_at(s, ep, path, body, answer, err, errlen);
	free(list);
	return r;
}

enum etcd_result
etcd_range(const struct settings *s, const char *dir, int keys_only,
    struct etcd_kvs *out, char *err, size_t errlen)
{
	char *body = range_body(dir, keys_only), why[512];
	enum etcd_result r;
	struct buf answer;

	etcd_kvs_init(out);
	buf_init(&answer, MAX_ETCD_RESPONSE);
	r = etcd_call(s, "/v3/kv/range", body, &answer, err, errlen);
	if (r == ETCD_OK &&
	    etcd_parse_range((const char *)answer.p, answer.len, dir, out, why,
		sizeof(why)) == -1) {
		seterr(err, errlen, "/v3/kv/range: %s", why);
		r = ETCD_INVALID;
	}
	buf_free(&answer);
	free(body);
	return r;
}

/* ---- the fleet's key layout and values (rolling.c, fleetcmd.c) ---- */

static int
printable(const char *t)
{
	for (; *t != '\0'; t++)
		if ((unsigned char)*t < 0x20 || (unsigned char)*t > 0x7e)
			return 0;
	return 1;
}

/* A printable string member of at most n - 1 bytes into out (or ""). */
static int
get_text(const cJSON *o, const char *name, char *out, size_t n, int need)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	out[0] = '\0';
	if (j == NULL)
		return need ? -1 : 0;
	if (!cJSON_IsString(j) || strlen(j->valuestring) >= n ||
	    !printable(j->valuestring))
		return -1;
	memcpy(out, j->valuestring, strlen(j->valuestring) + 1);
	return 0;
}

int
fleet_parse_value(const char *json, size_t len, struct fleet_value *v)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *t;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	if (!cJSON_IsObject(root) ||
	    get_text(root, "host", v->host, sizeof(v->host), 1) == -1 ||
	    get_text(root, "hash", v->hash, sizeof(v->hash), 0) == -1 ||
	    get_text(root, "reason", v->reason, sizeof(v->reason), 0) == -1)
		goto out;
	t = cJSON_GetObjectItemCaseSensitive(root, "since");
	if (t == NULL)
		t = cJSON_GetObjectItemCaseSensitive(root, "time");
	if (t != NULL &&
	    (!cJSON_IsNumber(t) || t->valuedouble < 0 || t->valuedouble > 1e13))
		goto out;
	v->time = t != NULL ? (int64_t)t->valuedouble : 0;
	rc = v->host[0] != '\0' ? 0 : -1;
out:
	cJSON_Delete(root);
	return rc;
}

char *
fleet_key_ident(const char *ident)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(3 * strlen(ident) + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)ident; *p; p++) {
		if (*p == '/' || *p == '%' || *p <= 0x20 || *p >= 0x7f) {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		} else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	    : c >= 'A' && c <= 'F'  ? c - 'A' + 10
				    : -1;
}

char *
fleet_ident_text(const char *k, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		int hi = i + 2 < n ? hexval(k[i + 1]) : -1;
		int lo = i + 2 < n ? hexval(k[i + 2]) : -1;
		int v = hi * 16 + lo;
		if (k[i] == '%' && hi >= 0 && lo >= 0 && v >= 0x20 &&
		    v < 0x7f) {
			*o++ = (char)v;
			i += 2;
		} else
			*o++ = k[i];
	}
	*o = '\0';
	return out;
}

/* ---- leases, transactions: rolling updates (rolling.c) ---- */

/* A small answer (leases, txn, put, delete): bounded well below ranges'. */
#define ETCD_SMALL_ANSWER (64 * 1024)

int
etcd_parse_lease(const char *json, size_t len, uint64_t *id, int64_t *ttl)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *o = root;
	uint64_t t = 0;
	int rc = -1;

	*id = 0;
	*ttl = 0;
	if (cJSON_IsObject(root) &&
	    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "result")))
		o = cJSON_GetObjectItemCaseSensitive(root, "result");
	if (cJSON_IsObject(o) && get_u64(o, "ID", id) == 0 && *id != 0 &&
	    get_u64(o, "TTL", &t) == 0 && t <= 86400 * 365) {
		*ttl = (int64_t)t;
		rc = 0;
	}
	cJSON_Delete(root);
	return rc;
}

int
etcd_parse_txn(const char *json, size_t len, int *succeeded)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *ok;
	int rc = -1;

	*succeeded = 0;
	if (cJSON_IsObject(root)) {
		ok = cJSON_GetObjectItemCaseSensitive(root, "succeeded");
		if (ok == NULL || cJSON_IsBool(ok)) {
			*succeeded = cJSON_IsTrue(ok);
			rc = 0;
		}
	}
	cJSON_Delete(root);
	return rc;
}

/* A request whose answer is small; ETCD_OK with it in answer. */
static enum etcd_result
small_call(const struct settings *s, const char *path, char *body,
    struct buf *answer, char *err, size_t errlen)
{
	enum etcd_result r;

	buf_init(answer, ETCD_SMALL_ANSWER);
	r = etcd_call(s, path, body, answer, err, errlen);
	free(body);
	if (r != ETCD_OK)
		buf_free(answer);
	return r;
}

static char *xasprintf_body(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *
xasprintf_body(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	return p;
}

enum etcd_result
etcd_lease_grant(
    const struct settings *s, int ttl, uint64_t *id, char *err, size_t errlen)
{
	enum etcd_result r;
	struct buf a;
	int64_t got;

	r = small_call(s, "/v3/lease/grant",
	    xasprintf_body("{\"TTL\":%d}", ttl), &a, err, errlen);
	if (r != ETCD_OK)
		return r;
	if (etcd_parse_lease((const char *)a.p, a.len, id, &got) == -1 ||
	    got <= 0) {
		seterr(err, errlen,
		    "/v3/lease/grant: no lease in the answer; expected an ID "
		    "and a TTL");
		r = ETCD_INVALID;
	}
	buf_free(&a);
	return r;
}

enum etcd_result
etcd_lease_keepalive(
    const struct settings *s, uint64_t id, int *alive, char *err, size_t errlen)
{
	enum etcd_result r;
	uint64_t got;
	struct buf a;
	int64_t ttl;

	*alive = 0;
	r = small_call(s, "/v3/lease/keepalive",
	    xasprintf_body("{\"ID\":\"%llu\"}", (unsigned long long)id), &a,
	    err, errlen);
	if (r != ETCD_OK)
		return r;
	/* An expired lease comes back without its TTL. */
	*alive = etcd_parse_lease((const char *)a.p, a.len, &got, &ttl) == 0 &&
	    got == id && ttl > 0;
	buf_free(&a);
	return r;
}

enum etcd_result
etcd_lease_revoke(
    const struct settings *s, uint64_t id, char *err, size_t errlen)
{
	enum etcd_result r;
	struct buf a;

	r = small_call(s, "/v3/lease/revoke",
	    xasprintf_body("{\"ID\":\"%llu\"}", (unsigned long long)id), &a,
	    err, errlen);
	if (r == ETCD_OK)
		buf_free(&a);
	return r;
}

enum etcd_result
etcd_put(const struct settings *s, const char *key, const char *value,
    uint64_t lease, char *err, size_t errlen)
{
	char *k = b64_encode(key, strlen(key));
	char *v = b64_encode(value, strlen(value));
	enum etcd_result r;
	struct buf a;

	r = small_call(s, "/v3/kv/put",
	    xasprintf_body(
		"{\"key\":\"%s\",\"value\":\"%s\",\"lease\":\"%llu\"}", k, v,
		(unsigned long long)lease),
	    &a, err, errlen);
	if (r == ETCD_OK)
		buf_free(&a);
	free(k);
	free(v);
	return r;
}

enum etcd_result
etcd_delete(const struct settings *s, const char *key, int prefix, char *err,
    size_t errlen)
{
	char *k = b64_encode(key, strlen(key)), *end = xstrdup(key), *e;
	enum etcd_result r;
	struct buf a;

	end[strlen(end) - 1]++; /* with prefix: every key under key */
	e = b64_encode(end, strlen(end));
	r = small_call(s, "/v3/kv/deleterange",
	    prefix
		? xasprintf_body("{\"key\":\"%s\",\"range_end\":\"%s\"}", k, e)
		: xasprintf_body("{\"key\":\"%s\"}", k),
	    &a, err, errlen);
	if (r == ETCD_OK)
		buf_free(&a);
	free(k);
	free(e);
	free(end);
	return r;
}

enum etcd_result
etcd_create(const struct settings *s, const char *key, const char *value,
    uint64_t lease, int *created, char *err, size_t errlen)
{
	char *k = b64_encode(key, strlen(key));
	char *v = b64_encode(value, strlen(value));
	enum etcd_result r;
	struct buf a;

	*created = 0;
	r = small_call(s, "/v3/kv/txn",
	    xasprintf_body("{\"compare\":[{\"key\":\"%s\",\"result\":"
			   "\"EQUAL\",\"target\":\"CREATE\","
			   "\"create_revision\":\"0\"}],\"success\":[{"
			   "\"request_put\":{\"key\":\"%s\",\"value\":"
			   "\"%s\",\"lease\":\"%llu\"}}]}",
		k, k, v, (unsigned long long)lease),
	    &a, err, errlen);
	if (r == ETCD_OK) {
		if (etcd_parse_txn((const char *)a.p, a.len, created) == -1) {
			seterr(err, errlen,
			    "/v3/kv/txn: the answer is not a transaction's");
			r = ETCD_INVALID;
		}
		buf_free(&a);
	}
	free(k);
	free(v);
	return r;
}
