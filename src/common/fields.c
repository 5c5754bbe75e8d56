/*
 * The table of definition fields (see fields.h): one row per wire tag.
 */
#include "fields.h"

#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "settings.h"

#define OFF(m) offsetof(struct defn, m)
#define ROW(t, k, kd, m, ...)                                                  \
	[t] = { .tag = t, .key = k, .kind = kd, .off = OFF(m), __VA_ARGS__ }
/* A remote-source rule: its kind, the setting that opens it, and more. */
#define RULE(r, k, m, ...)                                                     \
	{                                                                      \
		.rule = r, .key = k, .off = offsetof(struct trust_policy, m),  \
		__VA_ARGS__                                                    \
	}

/* Values a remote source may not ask for unless a setting opens them. */
static const char *const host_network[] = { "host", NULL };
static const char *const unconfined[] = { "unconfined", NULL };
static const char *const unconfined_opts[] = { "apparmor=unconfined",
	"label=disable", "label:disable", "systempaths=unconfined", NULL };

const struct field_desc defn_fields[T_DEFN_MAX] = {
	/* JSON only: checked by the parser, not kept. */
	[T_NONE] = { .tag = T_NONE,
	    .key = "type",
	    .kind = FK_STRING,
	    .max_len = 64,
	    .doc = "only \"docker\"" },
	ROW(T_NAME, "name", FK_STRING, name, .max_len = MAX_NAME_LEN,
	    .doc = "container name"),
	ROW(T_IMAGE, "image", FK_STRING, image, .max_len = MAX_IMAGE_LEN,
	    .doc = "image reference",
	    .remote = { RULE(POL_REGISTRY, "userdata_registries", registries),
		RULE(POL_DIGEST, "userdata_require_digest", require_digest) }),
	ROW(T_CPU, "cpu", FK_INT, cpu_shares, .min = CPU_SHARES_MIN,
	    .max = CPU_SHARES_MAX, .doc = "CPU shares"),
	ROW(T_MEMORY, "memory", FK_INT, memory, .min = MEMORY_MIN,
	    .max = MEMORY_MAX, .doc = "memory limit, bytes or \"2048m\""),
	ROW(T_HAS_ENTRYPOINT, "entrypoint", FK_FLAG, has_entrypoint,
	    .doc = "an entrypoint is given (even empty)"),
	ROW(T_ENTRYPOINT, "entrypoint", FK_LIST, entrypoint,
	    .max_len = MAX_STRING_LEN, .max_items = MAX_LIST_ITEMS,
	    .doc = "entrypoint, array or shell-like string"),
	ROW(T_HAS_COMMAND, "command", FK_FLAG, has_command,
	    .doc = "a command is given (even empty)"),
	ROW(T_COMMAND, "command", FK_LIST, command, .max_len = MAX_STRING_LEN,
	    .max_items = MAX_LIST_ITEMS,
	    .doc = "command, array or shell-like string"),
	ROW(T_PRIVILEGED, "privileged", FK_FLAG, privileged,
	    .doc = "privileged mode",
	    .remote = { RULE(
		POL_DENY, "userdata_allow_privileged", allow_privileged) }),
	ROW(T_NETWORK, "network", FK_STRING, network,
	    .max_len = MAX_NETWORK_LEN,
	    .doc = "bridge, none, host or container:NAME",
	    .refs = REF_CONTAINER_NET,
	    .remote = { RULE(POL_DENY, "userdata_allow_host_network",
		allow_host_network, .values = host_network) }),
	ROW(T_VOLUME, "volumes", FK_VOLUMES, volumes,
	    .count_off = OFF(nvolumes), .max_len = MAX_PATH_LEN,
	    .max_items = MAX_VOLUMES,
	    .doc = "host, anonymous and imported volumes",
	    .refs = REF_VOLUMES_FROM,
	    .remote = { RULE(
		POL_HOST_PATHS, "userdata_host_paths", host_paths) }),
	ROW(T_PORT, "portMappings", FK_PORTS, ports, .count_off = OFF(nports),
	    .max_items = MAX_PORTS, .doc = "published ports"),
	ROW(T_ENV, "env", FK_MAP, env, .max_len = MAX_STRING_LEN,
	    .max_items = MAX_ENV, .doc = "environment"),
	ROW(T_RESTART, "restart", FK_RESTART, restart, .max_len = 64,
	    .doc = "always, on-failure or never"),
	ROW(T_UPDATE_PULL, "update", FK_NOT_FLAG, update_pull, .member = "pull",
	    .doc = "pull when looking for updates", .hash = HASH_V1_ONLY),
	ROW(T_UPDATE_EAGER, "update", FK_FLAG, update_eager, .member = "eager",
	    .doc = "start the new container first", .hash = HASH_V1_ONLY),
	ROW(T_UPDATE_ROLLING, "update", FK_ROLLING, update_rolling,
	    .member = "rolling", .min = 1, .max = MAX_ROLLING_PARALLEL,
	    .doc = "true or {\"maxParallel\": K}: at most K hosts of the "
		   "fleet group replace it at once (etcd)",
	    .hash = HASH_V1_ONLY),
	ROW(T_LINK, "links", FK_MAP, links, .max_len = MAX_STRING_LEN,
	    .max_items = MAX_LIST_ITEMS, .doc = "container name: alias",
	    .refs = REF_NAME_KEYS),
	ROW(T_SIGNAL, "signal", FK_MAP, signals, .max_len = MAX_STRING_LEN,
	    .max_items = MAX_LIST_ITEMS, .doc = "container name: signal",
	    .refs = REF_NAME_KEYS, .ref_order = REF_NOTIFIES,
	    .hash = HASH_V1_ONLY),
	ROW(T_USER, "user", FK_STRING, user, .max_len = MAX_USER_LEN,
	    .doc = "NAME, UID, NAME:GROUP or UID:GID"),
	ROW(T_READ_ONLY, "readOnly", FK_FLAG, read_only,
	    .doc = "read-only root filesystem"),
	ROW(T_CAP_ADD, "capAdd", FK_LIST, cap_add, .max_len = MAX_STRING_LEN,
	    .max_items = MAX_LIST_ITEMS, .doc = "capabilities added",
	    .remote = { RULE(POL_ALLOWLIST, "userdata_cap_add", cap_add) }),
	ROW(T_CAP_DROP, "capDrop", FK_LIST, cap_drop, .max_len = MAX_STRING_LEN,
	    .max_items = MAX_LIST_ITEMS, .doc = "capabilities dropped"),
	ROW(T_SECURITY_OPT, "securityOpt", FK_LIST, security_opt,
	    .max_len = MAX_STRING_LEN, .max_items = MAX_LIST_ITEMS,
	    .doc = "no-new-privileges, apparmor=PROFILE",
	    .remote = { RULE(POL_DENY, "userdata_allow_unconfined",
		allow_unconfined, .values = unconfined_opts) }),
	ROW(T_SECCOMP, "securityOpt", FK_STRING, seccomp,
	    .max_len = MAX_SECCOMP_PROFILE_SIZE,
	    .doc = "seccomp=: the profile's content, or unconfined",
	    .remote = { RULE(POL_DENY, "userdata_allow_unconfined",
		allow_unconfined, .values = unconfined, .shown = "seccomp=") }),
	ROW(T_TMPFS, "tmpfs", FK_MAP, tmpfs, .max_len = MAX_STRING_LEN,
	    .max_items = MAX_LIST_ITEMS, .doc = "path: mount options"),
	ROW(T_LABEL, "labels", FK_MAP, labels, .max_len = MAX_STRING_LEN,
	    .max_items = MAX_LIST_ITEMS, .doc = "key: value"),
	ROW(T_SOURCE, NULL, FK_STRING, source, .max_len = MAX_PATH_LEN,
	    .doc = "where it came from; not hashed", .hash = HASH_NEVER),
	ROW(T_HEALTH_TEST, "healthcheck", FK_LIST, health_test,
	    .member = "test", .max_len = MAX_HEALTH_TEST_LEN,
	    .max_items = MAX_HEALTH_TEST_ITEMS,
	    .doc = "[\"CMD\", ...], [\"CMD-SHELL\", cmd], cmd or [\"NONE\"]"),
	ROW(T_HEALTH_INTERVAL, "healthcheck", FK_SECONDS, health_interval,
	    .member = "interval", .min = 1, .max = MAX_HEALTH_DURATION_S,
	    .doc = "seconds between checks (0: the image's)"),
	ROW(T_HEALTH_TIMEOUT, "healthcheck", FK_SECONDS, health_timeout,
	    .member = "timeout", .min = 1, .max = MAX_HEALTH_DURATION_S,
	    .doc = "seconds one check may take (0: the image's)"),
	ROW(T_HEALTH_RETRIES, "healthcheck", FK_INT, health_retries,
	    .member = "retries", .min = 1, .max = MAX_HEALTH_RETRIES,
	    .doc = "failures in a row that make it unhealthy (0: the image's)"),
	ROW(T_HEALTH_START_PERIOD, "healthcheck", FK_SECONDS,
	    health_start_period, .member = "startPeriod", .min = 1,
	    .max = MAX_HEALTH_DURATION_S,
	    .doc = "seconds of start-up whose failures do not count"),
	ROW(T_UPDATE_MONITOR, "update", FK_SECONDS, update_monitor,
	    .member = "monitor", .min = 0, .max = MAX_MONITOR_S,
	    .def = MONITOR_DEFAULT_S,
	    .doc = "seconds a new container must stay up before the old one "
		   "goes (health gate)",
	    .hash = HASH_V1_ONLY),
	ROW(T_UPDATE_DEADLINE, "update", FK_SECONDS, update_deadline,
	    .member = "deadline", .min = 1, .max = MAX_DEADLINE_S,
	    .def = DEADLINE_DEFAULT_S,
	    .doc = "seconds a new container with a health check has to "
		   "become healthy (health gate)",
	    .hash = HASH_V1_ONLY),
	ROW(T_UPDATE_ROLLBACK, "update", FK_NOT_FLAG, update_rollback,
	    .member = "rollback",
	    .doc = "put the old container back when the new one fails its "
		   "health gate",
	    .hash = HASH_V1_ONLY),
	ROW(T_STOP_TIMEOUT, "stopTimeout", FK_SECONDS, stop_timeout, .min = 0,
	    .max = MAX_STOP_TIMEOUT_S, .def = DOCKER_STOP_TIMEOUT_S,
	    .doc = "seconds between SIGTERM and SIGKILL on a stop"),
};

const struct field_desc *
field_by_tag(unsigned int tag)
{
	if (tag == T_NONE || tag >= T_DEFN_MAX)
		return NULL;
	return &defn_fields[tag];
}

const struct field_desc *
field_by_key(const char *key, const char *member)
{
	for (size_t i = 0; i < T_DEFN_MAX; i++) {
		const struct field_desc *f = &defn_fields[i];
		if (f->key == NULL || strcmp(f->key, key) != 0)
			continue;
		if (member == NULL ||
		    (f->member != NULL && strcmp(f->member, member) == 0))
			return f;
	}
	return NULL;
}

int
field_is_int(const struct field_desc *f)
{
	return f->kind == FK_INT || f->kind == FK_SECONDS;
}

int
field_repeatable(const struct field_desc *f)
{
	return f->kind == FK_LIST || f->kind == FK_MAP ||
	    f->kind == FK_VOLUMES || f->kind == FK_PORTS;
}

size_t
field_top_keys(const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < T_DEFN_MAX && n < max; i++) {
		const char *k = defn_fields[i].key;
		int seen = k == NULL;

		for (size_t j = 0; j < n && !seen; j++)
			seen = strcmp(out[j], k) == 0;
		if (!seen)
			out[n++] = k;
	}
	return n;
}

/* The walk over one row's names (see enum field_refs). */
static int
row_refs(const struct defn *d, const struct field_desc *f,
    int (*fn)(const struct defn_ref *r, void *arg), void *arg)
{
	const void *m = (const char *)d + f->off;
	struct defn_ref r = { f, 0, NULL };
	int rc = 0;

	switch (f->refs) {
	case REF_NONE:
		break;
	case REF_CONTAINER_NET:
		r.name = *(char *const *)m;
		if (r.name != NULL && strncmp(r.name, "container:", 10) == 0) {
			r.name += 10;
			rc = fn(&r, arg);
		}
		break;
	case REF_VOLUMES_FROM: {
		const struct volume *v = *(struct volume *const *)m;
		size_t n = *(const size_t *)((const char *)d + f->count_off);
		for (; r.item < n && rc == 0; r.item++)
			if ((r.name = v[r.item].from) != NULL)
				rc = fn(&r, arg);
		break;
	}
	case REF_NAME_KEYS: {
		const struct kvlist *l = m;
		for (; r.item < l->n && rc == 0; r.item++) {
			r.name = l->v[r.item].key;
			rc = fn(&r, arg);
		}
		break;
	}
	}
	return rc;
}

int
defn_each_ref(const struct defn *d,
    int (*fn)(const struct defn_ref *r, void *arg), void *arg)
{
	int rc = 0;

	for (size_t t = 0; t < T_DEFN_MAX && rc == 0; t++)
		rc = row_refs(d, &defn_fields[t], fn, arg);
	return rc;
}

void
defn_ref_path(const struct defn_ref *r, char *out, size_t outlen)
{
	switch (r->f->refs) {
	case REF_VOLUMES_FROM:
		snprintf(out, outlen, "%s[%zu].from", r->f->key, r->item);
		break;
	case REF_NAME_KEYS:
		snprintf(out, outlen, "%s.%.64s", r->f->key, r->name);
		break;
	default:
		snprintf(out, outlen, "%s", r->f->key);
		break;
	}
}
