#ifndef DOCKERUP_ETCD_H
#define DOCKERUP_ETCD_H

/*
 * Fleet definitions in etcd, read through its v3 JSON gateway: one POST
 * /v3/kv/range over <prefix>/<group>/containers/ lists every key with its
 * value (both base64 in JSON).  Only the user-data loader process
 * (udproc.c) calls this: it is the fetcher's one process with network
 * access that parses what the network sends.
 */
#include <stddef.h>
#include <stdint.h>

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
/* What a keys-only listing says about the contents: changes when any does. */
void etcd_fingerprint(const struct etcd_kvs *kvs, unsigned char md[SHA256_LEN]);

#endif
