#ifndef DOCKERUP_REGAUTH_H
#define DOCKERUP_REGAUTH_H

/*
 * Registry credentials, read the way the docker CLI reads them: a
 * config.json ("auths": registry -> {"auth": base64(user:pass)} or
 * {"username", "password"} or {"identitytoken"}), or the original tool's
 * legacy .dockercfg (registry -> {"auth", "email"} at the top level).
 * They go to the engine as X-Registry-Auth and are never logged.
 */
#include <stddef.h>

struct regauth_entry {
	char *server; /* normalized: "docker.io", "host:port" */
	char *username;
	char *password;
	char *identitytoken;
};

struct regauth {
	struct regauth_entry *v;
	size_t n;
	int helpers; /* credsStore/credHelpers present: unsupported */
};

void regauth_init(struct regauth *ra);
/* Frees everything, overwriting the secrets first. */
void regauth_free(struct regauth *ra);

/*
 * Parses config.json or .dockercfg bytes.  where names the file in
 * errors.  -1 with err set (never containing a secret).
 */
int regauth_parse(struct regauth *ra, const char *data, size_t len,
    const char *where, char *err, size_t errlen);

#define REGAUTH_DENIED (-2) /* the file exists but may not be read */

/*
 * Loads the credentials file: path when not NULL (it must exist), else
 * $DOCKER_CONFIG/config.json, ~/.docker/config.json, ~/.dockercfg, the
 * first that exists; none is fine.  -1 (or REGAUTH_DENIED) with err set.
 */
int regauth_load(
    struct regauth *ra, const char *path, char *err, size_t errlen);
/*
 * Loads again into ra, which keeps its last good contents when the file
 * cannot be read or parsed now.  Returns as regauth_load().
 */
int regauth_reload(
    struct regauth *ra, const char *path, char *err, size_t errlen);

/* A registry key normalized: scheme and path dropped, Hub aliases merged. */
char *regauth_server_key(const char *s);

/*
 * The X-Registry-Auth value for registry ("docker.io", "host:port"):
 * base64url of {"username","password","serveraddress"} (or
 * identitytoken).  NULL with *err_out 0 when no credentials are known for
 * it, NULL with *err_out -1 when out of memory.  The caller frees it with
 * regauth_header_free().
 */
char *regauth_header(
    const struct regauth *ra, const char *registry, int *err_out);
void regauth_header_free(char *h);

/* Base64url (with padding) of n bytes; the caller frees it. */
char *base64url_encode(const unsigned char *p, size_t n);
/* Standard base64 decoding; NUL-terminated; NULL when invalid. */
char *base64_decode(const char *s, size_t *outlen);

#endif
