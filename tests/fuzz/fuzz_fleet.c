/*
 * libFuzzer target: what etcd sends about the fleet (issue #17): the
 * answers to lease and txn requests (src/common/etcd.c), the values of
 * rolling/ and failed/ keys, and whole listings of a group's hosts/,
 * rolling/ and failed/ as `dockerup fleet` shows them
 * (src/status/fleetcmd.c).  The first byte picks the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bounds.h"
#include "etcd.h"
#include "fleetcmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One listing of the group, split by directory as fleetcmd.c lists them. */
static void
listing(const char *json, size_t len)
{
	static const char *const dirs[FLEET_DIRS] = { "/d/g/hosts/",
		"/d/g/rolling/", "/d/g/failed/" };
	struct fleet_listing l;
	struct etcd_kvs all;
	char err[512], *text;
	cJSON *v;

	if (etcd_parse_range(json, len, "/d/g/", &all, err, sizeof(err)) == -1)
		return;
	memset(&l, 0, sizeof(l));
	for (int d = 0; d < FLEET_DIRS; d++) {
		l.dir[d] = (char *)dirs[d];
		l.kvs[d].v = calloc(all.n + 1, sizeof(*all.v));
		if (l.kvs[d].v == NULL)
			abort();
		for (size_t i = 0; i < all.n; i++)
			if (strncmp(all.v[i].key, dirs[d], strlen(dirs[d])) ==
			    0)
				l.kvs[d].v[l.kvs[d].n++] = all.v[i];
	}
	v = fleet_view("g", &l);
	if (v == NULL || (text = cJSON_PrintUnformatted(v)) == NULL)
		abort();
	free(text);
	cJSON_Delete(v);
	for (int d = 0; d < FLEET_DIRS; d++)
		free(l.kvs[d].v); /* the entries are all's */
	etcd_kvs_free(&all);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data + 1;
	struct fleet_value v;
	uint64_t id;
	int64_t ttl;
	int ok;

	if (size < 1 || size > MAX_ETCD_RESPONSE)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (etcd_parse_lease(json, size - 1, &id, &ttl) == 0 &&
		    (id == 0 || ttl < 0))
			abort();
		break;
	case 1:
		if (etcd_parse_txn(json, size - 1, &ok) == 0 && ok != 0 &&
		    ok != 1)
			abort();
		break;
	case 2:
		if (fleet_parse_value(json, size - 1, &v) == 0 &&
		    (v.host[0] == '\0' || v.time < 0 ||
			strlen(v.host) >= sizeof(v.host)))
			abort();
		break;
	default:
		listing(json, size - 1);
		break;
	}
	return 0;
}
