#ifndef DOCKERUP_FLEETCMD_H
#define DOCKERUP_FLEETCMD_H

/*
 * `dockerup fleet` and `dockerup fleet retry NAME` (fleetcmd.c).
 */
#include <cjson/cJSON.h>

#include "etcd.h"

#define FLEET_MAX_ARGS 16

enum { FLEET_HOSTS, FLEET_SLOTS, FLEET_FAILED, FLEET_DIRS };

/* The group's hosts/, rolling/ and failed/ listings, and their dirs. */
struct fleet_listing {
	char *dir[FLEET_DIRS];
	struct etcd_kvs kvs[FLEET_DIRS];
};

/*
 * What `dockerup fleet --format json` prints: {"group", "hosts": [...],
 * "slots": [...], "failed": [...]}, from listings of any contents.
 */
cJSON *fleet_view(const char *group, const struct fleet_listing *l);

int fleet_command(int argc, char *argv[]);

#endif
