#include "regauth.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/base64.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "xalloc.h"
#include "bounds.h"

#define HUB_KEY           "docker.io"
#define HUB_SERVERADDRESS "https://index.docker.io/v1/"

void
regauth_init(struct regauth *ra)
{
	memset(ra, 0, sizeof(*ra));
}

static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
regauth_free(struct regauth *ra)
{
	for (size_t i = 0; i < ra->n; i++) {
		free(ra->v[i].server);
		free_secret(ra->v[i].username);
		free_secret(ra->v[i].password);
		free_secret(ra->v[i].identitytoken);
	}
	free(ra->v);
	regauth_init(ra);
}

char *
base64url_encode(const unsigned char *p, size_t n)
{
	char *out;

	if (n > (size_t)1 << 28)
		return NULL;
	out = xmalloc(BASE64_ENCODE_RAW_LENGTH(n) + 1);
	base64_encode_raw(out, n, p);
	out[BASE64_ENCODE_RAW_LENGTH(n)] = '\0';
	for (char *c = out; *c; c++) {
		if (*c == '+')
			*c = '-';
		else if (*c == '/')
			*c = '_';
	}
	return out;
}

char *
base64_decode(const char *s, size_t *outlen)
{
	size_t n = strlen(s), len = 0;
	struct base64_decode_ctx ctx;
	char *out;

	/* Whole groups of 4 only; the decoder skips white space, we don't. */
	if (n == 0 || n % 4 != 0 || n > (size_t)1 << 28 ||
	    strspn(s,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/=") != n)
		return NULL;
	out = xmalloc(BASE64_DECODE_LENGTH(n) + 1);
	base64_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &len, (uint8_t *)out, n, s) ||
	    !base64_decode_final(&ctx)) {
		free(out);
		return NULL;
	}
	out[len] = '\0';
	*outlen = len;
	return out;
}

char *
regauth_server_key(const char *s)
{
	const char *p = s;
	size_t n;
	char *k;

	if (strncmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncmp(p, "http://", 7) == 0)
		p += 7;
	n = strcspn(p, "/");
	k = xstrndup(p, n);
	for (char *c = k; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (strcmp(k, "index.docker.io") == 0 ||
	    strcmp(k, "registry-1.docker.io") == 0 ||
	    strcmp(k, "registry.hub.docker.com") == 0) {
		free(k);
		k = xstrdup(HUB_KEY);
	}
	return k;
}

static int
dup_string_field(const cJSON *o, const char *key, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return 0;
	*out = xstrdup(v->valuestring);
	return 0;
}

/* "auth": base64 of "user:password". */
static int
entry_from_auth(struct regauth_entry *e, const char *b64, const char *where,
    const char *key, char *err, size_t errlen)
{
	size_t len;
	char *plain, *colon;

	if ((plain = base64_decode(b64, &len)) == NULL ||
	    strlen(plain) != len || (colon = strchr(plain, ':')) == NULL) {
		snprintf(err, errlen,
		    "%s: auths.\"%s\".auth: expected base64 "
		    "of \"user:password\"",
		    where, key);
		free_secret(plain);
		return -1;
	}
	*colon = '\0';
	e->username = xstrdup(plain);
	e->password = xstrdup(colon + 1);
	*colon = ':';
	free_secret(plain);
	return 0;
}

static int
entry_parse(struct regauth_entry *e, const cJSON *o, const char *where,
    char *err, size_t errlen)
{
	const cJSON *auth = cJSON_GetObjectItemCaseSensitive(o, "auth");

	if (!cJSON_IsObject(o)) {
		snprintf(err, errlen,
		    "%s: auths.\"%s\": expected an object "
		    "with \"auth\" or \"username\" and \"password\"",
		    where, o->string);
		return -1;
	}
	if (cJSON_IsString(auth) && auth->valuestring[0] != '\0')
		return entry_from_auth(
		    e, auth->valuestring, where, o->string, err, errlen);
	dup_string_field(o, "username", &e->username);
	dup_string_field(o, "password", &e->password);
	dup_string_field(o, "identitytoken", &e->identitytoken);
	return 0;
}

static int
entries_parse(struct regauth *ra, const cJSON *map, const char *where,
    char *err, size_t errlen)
{
	const cJSON *o;
	size_t n = (size_t)cJSON_GetArraySize(map);

	if (n == 0)
		return 0;
	ra->v = xcalloc(n, sizeof(*ra->v));
	cJSON_ArrayForEach(o, map)
	{
		struct regauth_entry *e = &ra->v[ra->n];

		e->server = regauth_server_key(o->string);
		ra->n++;
		if (entry_parse(e, o, where, err, errlen) == -1)
			return -1;
	}
	return 0;
}

int
regauth_parse(struct regauth *ra, const char *data, size_t len,
    const char *where, char *err, size_t errlen)
{
	cJSON *j = cJSON_ParseWithLength(data, len), *auths;
	int rc = -1;

	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen,
		    "%s: expected a JSON object (config.json "
		    "with \"auths\", or a legacy .dockercfg)",
		    where);
		goto done;
	}
	auths = cJSON_GetObjectItemCaseSensitive(j, "auths");
	if (auths != NULL && !cJSON_IsObject(auths)) {
		snprintf(err, errlen,
		    "%s: auths: expected an object mapping "
		    "registries to credentials",
		    where);
		goto done;
	}
	if (cJSON_GetObjectItemCaseSensitive(j, "credsStore") ||
	    cJSON_GetObjectItemCaseSensitive(j, "credHelpers"))
		ra->helpers = 1;
	/* config.json has "auths"; a legacy .dockercfg is the map itself. */
	rc = entries_parse(ra, auths ? auths : j, where, err, errlen);
done:
	if (j != NULL) {
		/* The tree held the secrets too. */
		char *again = cJSON_PrintUnformatted(j);
		if (again) {
			explicit_bzero(again, strlen(again));
			free(again);
		}
		cJSON_Delete(j);
	}
	if (rc == -1)
		regauth_free(ra);
	return rc;
}

static int
read_bounded(const char *path, struct buf *b)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	rc = buf_read_fd(b, fd);
	close(fd);
	return rc;
}

static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && *h == '/')
		return h;
	pw = getpwuid(getuid());
	return pw ? pw->pw_dir : NULL;
}

/*
 * The first of the default credential files that exists: 0 and out set,
 * 1 when none exists, -1 when one cannot be looked at (out names it).
 */
static int
default_path(char *out, size_t outlen)
{
	const char *dc = getenv("DOCKER_CONFIG"), *home = home_dir();
	struct stat st;

	for (int i = 0; i < 2; i++) {
		if (dc != NULL && *dc != '\0') {
			if (i > 0)
				break;
			snprintf(out, outlen, "%s/config.json", dc);
		} else if (home == NULL)
			break;
		else
			snprintf(out, outlen,
			    i == 0 ? "%s/.docker/config.json" : "%s/.dockercfg",
			    home);
		if (stat(out, &st) == 0)
			return 0;
		if (errno != ENOENT && errno != ENOTDIR)
			return -1;
	}
	return 1;
}

int
regauth_load(struct regauth *ra, const char *path, char *err, size_t errlen)
{
	char def[MAX_PATH_LEN + 64];
	struct buf b;
	int rc;

	regauth_init(ra);
	if (path == NULL) {
		if ((rc = default_path(def, sizeof(def))) == 1)
			return 0;
		path = def;
	}
	buf_init(&b, MAX_DOCUMENT_SIZE);
	if (read_bounded(path, &b) == -1) {
		rc = (errno == EACCES || errno == EPERM) ? REGAUTH_DENIED : -1;
		if (errno == E2BIG)
			snprintf(err, errlen,
			    "registry credentials %s: larger than %d bytes; "
			    "expected a smaller file",
			    path, MAX_DOCUMENT_SIZE);
		else
			snprintf(err, errlen, "registry credentials %s: %s",
			    path, strerror(errno));
		if (b.p)
			explicit_bzero(b.p, b.cap);
		buf_free(&b);
		return rc;
	}
	rc = regauth_parse(ra, (const char *)b.p, b.len, path, err, errlen);
	if (b.p)
		explicit_bzero(b.p, b.cap);
	buf_free(&b);
	return rc;
}

int
regauth_reload(struct regauth *ra, const char *path, char *err, size_t errlen)
{
	struct regauth fresh;
	int rc;

	if ((rc = regauth_load(&fresh, path, err, errlen)) != 0)
		return rc;
	regauth_free(ra);
	*ra = fresh;
	return 0;
}

static const struct regauth_entry *
regauth_find(const struct regauth *ra, const char *registry)
{
	char *key = regauth_server_key(registry);
	const struct regauth_entry *found = NULL;

	for (size_t i = 0; key && i < ra->n && !found; i++)
		if (strcmp(ra->v[i].server, key) == 0)
			found = &ra->v[i];
	free(key);
	return found;
}

static int
add_if(cJSON *o, const char *k, const char *v)
{
	return v == NULL || cJSON_AddStringToObject(o, k, v) ? 0 : -1;
}

char *
regauth_header(const struct regauth *ra, const char *registry, int *err_out)
{
	const struct regauth_entry *e = regauth_find(ra, registry);
	cJSON *o;
	char *json = NULL, *h = NULL;
	int hub;

	*err_out = 0;
	if (e == NULL || (e->username == NULL && e->identitytoken == NULL))
		return NULL;
	hub = strcmp(e->server, HUB_KEY) == 0;
	if ((o = cJSON_CreateObject()) != NULL &&
	    add_if(o, "username", e->username) == 0 &&
	    add_if(o, "password", e->password ? e->password : "") == 0 &&
	    add_if(o, "identitytoken", e->identitytoken) == 0 &&
	    add_if(o, "serveraddress", hub ? HUB_SERVERADDRESS : e->server) ==
		0)
		json = cJSON_PrintUnformatted(o);
	if (json != NULL) {
		h = base64url_encode((unsigned char *)json, strlen(json));
		explicit_bzero(json, strlen(json));
		free(json);
	}
	if (o != NULL) {
		/* cJSON_Delete frees but does not clear the copies it holds. */
		cJSON *c;
		cJSON_ArrayForEach(c, o) if (c->valuestring)
		    explicit_bzero(c->valuestring, strlen(c->valuestring));
		cJSON_Delete(o);
	}
	if (h == NULL)
		*err_out = -1;
	return h;
}

void
regauth_header_free(char *h)
{
	free_secret(h);
}
