/*
 * libFuzzer target: an answer of etcd's v3 gateway to a range request
 * (src/common/etcd.c), then each value through the definition parser as
 * the loader parses it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "defs.h"
#include "errlist.h"
#include "etcd.h"
#include "settings.h"

#define DIR "/dockerup/default/containers/"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char md[SHA256_LEN];
	struct etcd_kvs kvs;
	char err[512];

	if (size > MAX_ETCD_RESPONSE)
		return 0;
	err[0] = '\0';
	if (etcd_parse_range(
		(const char *)data, size, DIR, &kvs, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || kvs.n != 0)
			abort();
		return 0;
	}
	if (kvs.n > MAX_ETCD_KEYS)
		abort();
	etcd_fingerprint(&kvs, md);
	for (size_t i = 0; i < kvs.n; i++) {
		const struct etcd_kv *kv = &kvs.v[i];
		struct defs_result r;
		struct errlist e;
		if (!settings_etcd_key_ok(DIR, kv->key, strlen(kv->key)) ||
		    (kv->too_large != (kv->value == NULL)) ||
		    kv->len > MAX_DOCUMENT_SIZE)
			abort();
		if (kv->value == NULL)
			continue;
		defs_result_init(&r);
		errlist_init(&e);
		(void)defs_parse(kv->key, (const char *)kv->value, kv->len,
		    DOC_FILE, NULL, &r, &e);
		defs_result_free(&r);
		errlist_free(&e);
	}
	etcd_kvs_free(&kvs);
	return 0;
}
