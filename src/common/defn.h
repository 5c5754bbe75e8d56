#ifndef DOCKERUP_DEFN_H
#define DOCKERUP_DEFN_H

/*
 * The canonical, sanitized form of one container definition: what the
 * fetcher produces from JSON and the engine decodes from the wire.  Every
 * string is owned by the struct and freed by defn_free().  Lists are kept
 * in a canonical order (env, labels, tmpfs sorted by key; the rest in the
 * order the operator wrote them), so that equal definitions encode to
 * equal bytes and hash alike.
 */
#include <stddef.h>
#include <stdint.h>

enum restart_policy {
	RESTART_ON_FAILURE = 0, /* the original's default */
	RESTART_ALWAYS,
	RESTART_NEVER, /* Docker's "no" */
};

struct strlist {
	char **v;
	size_t n;
};

struct kv {
	char *key;
	char *value;
};

struct kvlist {
	struct kv *v;
	size_t n;
};

struct volume {
	char *container_path; /* NULL for a "from" entry */
	char *host_path;      /* NULL: anonymous volume */
	int read_only;
	char *from; /* container name: import all its volumes */
};

struct port {
	uint16_t container_port;
	uint16_t host_port; /* 0: a random host port */
	int udp;
};

struct defn {
	char *name;         /* NULL for an unnamed definition */
	char *image;        /* normalized: always has a tag or digest */
	int64_t cpu_shares; /* 0: unset */
	int64_t memory;     /* bytes; 0: unset */
	int has_entrypoint;
	struct strlist entrypoint;
	int has_command;
	struct strlist command;
	int privileged;
	char *network; /* NULL (engine default), bridge, none, host,
	                         container:NAME */
	struct volume *volumes;
	size_t nvolumes;
	struct port *ports;
	size_t nports;
	struct kvlist env; /* sorted by key, unique keys */
	enum restart_policy restart;
	int update_pull;       /* default 1 */
	int update_eager;      /* default 0 */
	int update_rolling;    /* 0 (default) or K: at most K hosts of the
	                         fleet group replace it at once (issue #17;
	                         src/engine/slot.c) */
	struct kvlist links;   /* container name -> alias */
	struct kvlist signals; /* container name -> signal name (e.g. HUP) */
	char *user;
	int read_only;
	struct strlist cap_add;
	struct strlist cap_drop;
	struct strlist security_opt; /* no-new-privileges, apparmor=...;
	                                seccomp profiles are in seccomp */
	char *seccomp;       /* profile content (JSON), "unconfined", or NULL */
	struct kvlist tmpfs; /* path -> mount options, sorted */
	struct kvlist labels; /* sorted; no key under "dockerup." */
	char *source;         /* where it came from: a file path or
	                         "user-data"; not part of the identity */
	/*
	 * Docker's Healthcheck: the test as Docker takes it ("CMD" and its
	 * arguments, "CMD-SHELL" and a command, or "NONE"; empty: the
	 * image's), durations in seconds and retries, 0 for the image's.
	 */
	struct strlist health_test;
	int64_t health_interval;
	int64_t health_timeout;
	int64_t health_retries;
	int64_t health_start_period;
	int64_t update_monitor;  /* seconds; MONITOR_DEFAULT_S */
	int64_t update_deadline; /* seconds; DEADLINE_DEFAULT_S */
	int update_rollback;     /* default 1 */
	int64_t stop_timeout;    /* seconds; DOCKER_STOP_TIMEOUT_S */
};

void defn_init(struct defn *d);
void defn_free(struct defn *d);
/*
 * The identity that ties a definition to its container: the name, or for
 * an unnamed definition "image:" and the image repository without its tag,
 * so that a new tag is an update, not a new container.  Returns a string
 * the caller frees.
 */
char *defn_identity(const struct defn *d);

void strlist_push(struct strlist *l, const char *s);
void strlist_free(struct strlist *l);
void kvlist_push(struct kvlist *l, const char *key, const char *value);
void kvlist_sort(struct kvlist *l);
const struct kv *kvlist_find(const struct kvlist *l, const char *key);
void kvlist_free(struct kvlist *l);
/* The same, after zeroing every value (secrets: env, profiles). */
void kvlist_free_wiped(struct kvlist *l);

/* The complete desired state. */
enum source_health {
	SOURCE_OK = 1,      /* loaded and valid now */
	SOURCE_STALE,       /* failed now; its last good contents are used */
	SOURCE_FAILED,      /* failed now and nothing good is known */
	SOURCE_UNREACHABLE, /* could not be reached, nothing good known */
};

struct source_status {
	char *name; /* file path or "user-data" */
	enum source_health health;
	char *error;        /* NULL when OK */
	int64_t good_since; /* unix time of the last good contents; 0 */
};

struct desired_state {
	struct defn *defs; /* in dependency order */
	size_t ndefs;
	struct source_status *sources;
	size_t nsources;
	/*
	 * 0 when some source failed with nothing good to fall back on: then
	 * no container may be stopped as an orphan in this run.
	 */
	int complete;
};

void desired_state_init(struct desired_state *s);
void desired_state_free(struct desired_state *s);
void desired_state_add(struct desired_state *s, struct defn *d); /* moves d */

#endif
