#ifndef DOCKERUP_ETCD_H
#define DOCKERUP_ETCD_H

/*
 * etcd's v3 JSON gateway, for the fleet (issue #17): one POST /v3/kv/range
 * over <prefix>/<group>/containers/ lists every fleet definition with its
 * value (both base64 in JSON); leases and transactions hold rolling slots
 * (src/fetcher/rolling.c).  Two processes call this: the fetcher's loader
 * (udproc.c), its one process with network access, and the `dockerup
 * fleet` command (src/status/fleetcmd.c), run by a person.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "bounds.h"
#include "digest.h"
#include "settings.h"

struct etcd_kv {
	char *key;            /* the whole key, under the directory */
	unsigned char *value; /* NULL when too_large */
	size_t len;
	int too_large;    /* more than MAX_DOCUMENT_SIZE bytes */
	uint64_t mod_rev; /* etcd's mod_revision */
};

struct etcd_kvs {
	struct etcd_kv *v;
	size_t n;
	size_t ignored; /* keys that are no name of ours (control chars...) */
	uint64_t revision;
};

enum etcd_result {
	ETCD_OK = 1,
	ETCD_UNREACHABLE, /* no endpoint answered, or all answered 5xx */
	ETCD_INVALID,     /* an answer we refuse: err says why */
};

void etcd_kvs_init(struct etcd_kvs *kvs);
void etcd_kvs_free(struct etcd_kvs *kvs);

/*
 * Parses a /v3/kv/range answer: keys under dir (others are an error),
 * values base64-decoded and bounded (MAX_ETCD_KEYS, MAX_DOCUMENT_SIZE
 * each, MAX_ETCD_TOTAL in all).  0, or -1 with the reason in err.
 */
int etcd_parse_range(const char *json, size_t len, const char *dir,
    struct etcd_kvs *out, char *err, size_t errlen);

/*
 * Reads the settings' secrets the requests need (etcd_password_file): call
 * before the sandbox.  0, or -1 with the reason in err.
 */
int etcd_preinit(const struct settings *s, char *err, size_t errlen);
/*
 * Lists dir (with values unless keys_only) from the first endpoint that
 * answers.  ETCD_OK fills out.
 */
enum etcd_result etcd_range(const struct settings *s, const char *dir,
    int keys_only, struct etcd_kvs *out, char *err, size_t errlen);
/*
 * One POST of body to path ("/v3/kv/put") at the first endpoint that
 * answers, logged in when etcd_user is set: ETCD_OK with the answer (HTTP
 * 200) in answer, whose limit the caller set.
 */
enum etcd_result etcd_call(const struct settings *s, const char *path,
    const char *body, struct buf *answer, char *err, size_t errlen);

/*
 * Rolling updates (rolling.c): leases, and keys created only when absent.
 * Each is one request; ETCD_OK when etcd did it.
 */
enum etcd_result etcd_lease_grant(
    const struct settings *s, int ttl, uint64_t *id, char *err, size_t errlen);
/* *alive: the lease still exists (etcd answered with its TTL). */
enum etcd_result etcd_lease_keepalive(const struct settings *s, uint64_t id,
    int *alive, char *err, size_t errlen);
enum etcd_result etcd_lease_revoke(
    const struct settings *s, uint64_t id, char *err, size_t errlen);
/* value: text; lease 0: none. */
enum etcd_result etcd_put(const struct settings *s, const char *key,
    const char *value, uint64_t lease, char *err, size_t errlen);
/* prefix: key ends in '/' and every key under it goes. */
enum etcd_result etcd_delete(const struct settings *s, const char *key,
    int prefix, char *err, size_t errlen);
/*
 * One transaction: puts key (on lease) only if it does not exist
 * (create_revision 0).  *created: it did not, and is ours now.
 */
enum etcd_result etcd_create(const struct settings *s, const char *key,
    const char *value, uint64_t lease, int *created, char *err, size_t errlen);
/* The answers' parsers (any bytes): 0, or -1 when out of form.  A lease:
 * grant's answer, or keepalive's {"result": {...}}; *ttl 0 when absent. */
int etcd_parse_lease(const char *json, size_t len, uint64_t *id, int64_t *ttl);
/* A txn's: *succeeded 1 when its compare held. */
int etcd_parse_txn(const char *json, size_t len, int *succeeded);

/* A slot's value and a failed key's value, as parsed (any bytes). */
struct fleet_value {
	char host[256];
	char hash[65];
	char reason[MAX_ROLLING_WHY]; /* failed/ only */
	int64_t time;                 /* since (slot) or time (failed) */
};

/* 0, or -1 when json is not an object of printable strings and a time. */
int fleet_parse_value(const char *json, size_t len, struct fleet_value *v);
/* The identity as one key component (malloc'ed): '%', '/' and what is
 * not printable as %XX. */
char *fleet_key_ident(const char *ident);

/* A key component (n bytes) for a person: printable %XX decoded. */
char *fleet_ident_text(const char *k, size_t n);

/* What a keys-only listing says about the contents: changes when any does. */
void etcd_fingerprint(const struct etcd_kvs *kvs, unsigned char md[SHA256_LEN]);

#endif
