#ifndef DOCKERUP_OBSERVE_H
#define DOCKERUP_OBSERVE_H

/*
 * What is on the host: one GET /containers/json?all=1 and one
 * GET /images/json per run, parsed into these lists.
 */
#include <stddef.h>
#include <stdint.h>

#include "defn.h"
#include "imageref.h"

struct cJSON;

/*
 * One mount point of a container, from the Mounts of the list or of an
 * inspect: a volume (name set) or a bind (source set) at dest.
 */
struct mount {
	char *dest;
	char *name;   /* volume name; NULL for a bind */
	char *source; /* bind source; NULL for a volume */
};

struct mounts {
	struct mount *v;
	size_t n;
};

struct ctr {
	char *id;
	char *name; /* without the leading '/' */
	char *image_id;
	char *state; /* created, running, paused, restarting, exited,
	                        removing, dead */
	int64_t created;
	char *label_id;     /* dockerup.id, or NULL */
	char *label_hash;   /* dockerup.hash, or NULL */
	char *label_fields; /* dockerup.fields, or NULL */
	char *network_mode; /* HostConfig.NetworkMode, or NULL */
	char *label_links;  /* dockerup.links, or NULL */
	/* dockerup.replaces: the container this one replaced (a valid ID,
	   else ""), and whether that one ran before */
	char replaces[65];
	int replaces_ran;
	struct mounts mounts;
	int managed; /* dockerup.managed present */
	/* Reconcile's bookkeeping. */
	int claimed; /* belongs to a definition */
	int removed;
};

struct ctr_list {
	struct ctr *v;
	size_t n;
	size_t cap;
};

struct img {
	char *id;
	struct strlist tags;    /* "familiar:tag" */
	struct strlist digests; /* "familiar@sha256:..." */
};

/* One tag or digest of an image, for img_find()'s binary search. */
struct img_name {
	const char *name; /* points into the img's strlist */
	size_t img;       /* index into v */
};

struct img_list {
	struct img *v;
	size_t n;
	struct img_name *names; /* every tag and digest, sorted by name */
	size_t nnames;
};

/*
 * What a Docker endpoint returns is checked before it goes into a request
 * path, a file or a decision: an endpoint that is hostile or broken
 * (a proxy, a compromised daemon, a fake socket) steers nothing.
 */
#define DOCKER_ID_LEN 64 /* hex digits of a container or image ID */
/* A container ID: 64 lowercase hex digits. */
int docker_id_valid(const char *s);
/* An image ID: "sha256:" and 64 lowercase hex digits. */
int docker_image_id_valid(const char *s);
/* A container name as the engine allows it: [a-zA-Z0-9][a-zA-Z0-9_.-]*,
 * at most MAX_NAME_LEN bytes. */
int docker_name_valid(const char *s);
/*
 * A JSON number as an integer when it is finite and within [lo, hi]
 * (both inside +-2^53, where doubles are exact), else fallback: no
 * float-to-integer conversion is ever out of range.
 */
int64_t docker_num_in(double v, int64_t lo, int64_t hi, int64_t fallback);
/* The largest integer a JSON number holds exactly. */
#define DOCKER_NUM_MAX 9007199254740992LL /* 2^53 */

/*
 * Every entry must carry a valid Id (and ImageID, name) or the whole list
 * is refused: -1 with err naming the entry, the field and what was
 * expected.
 */
int observe_parse_containers(const char *json, size_t len, struct ctr_list *out,
    char *err, size_t errlen);
int observe_parse_images(const char *json, size_t len, struct img_list *out,
    char *err, size_t errlen);
void ctr_list_free(struct ctr_list *l);

/*
 * The Mounts array of a container (list entry or inspect): -1 with *why
 * saying what was expected when an entry is not a mount (a destination
 * that is no absolute path, a volume name the engine would not make).
 * Mounts of other types (tmpfs, npipe) are left out.
 */
int observe_parse_mounts(
    const struct cJSON *a, struct mounts *out, const char **why);
void mounts_free(struct mounts *m);
/* The mount at dest, or NULL. */
const struct mount *mounts_at(const struct mounts *m, const char *dest);
/* Whether name is an anonymous volume's: 64 lowercase hex digits. */
int volume_anonymous(const char *name);
void img_list_free(struct img_list *l);

int ctr_running(const struct ctr *c);
/* What the engine says now, after a stop ("exited") or a start. */
void ctr_set_state(struct ctr *c, const char *state);

/* The local image a reference names, or NULL. */
const struct img *img_find(const struct img_list *l, const struct imageref *r);
/* Whether img was pulled as familiar@digest. */
int img_has_digest(
    const struct img *i, const struct imageref *r, const char *digest);
/* Whether an image has no tag (a candidate for pruning). */
int img_dangling(const struct img *i);

/*
 * dockerup's own container ID from the text of /proc/self/cgroup (64 hex
 * digits after "docker-" or "docker/") or of /proc/self/mountinfo (the
 * engine's .../containers/ID/hostname mounted on /etc/hostname, and
 * likewise resolv.conf and hosts).  -1 when none.
 */
int selfid_parse_cgroup(const char *text, size_t len, char out[65]);
int selfid_parse_mountinfo(const char *text, size_t len, char out[65]);
/* Reads /proc/self once; NULL when not in a container. */
const char *selfid_get(void);
/* The --self-id override when set, else selfid_get(). */
const char *selfid_resolve(const char *override);

#endif
