#ifndef DOCKERUP_IMAGE_H
#define DOCKERUP_IMAGE_H

/*
 * Image resolution for one run: each distinct reference is looked up in
 * the image list, checked against its registry at most once (when pulling
 * is allowed) and pulled when missing or outdated.
 */
#include <signal.h>
#include <stddef.h>

#include "docker.h"
#include "imageref.h"
#include "observe.h"
#include "report.h" /* struct registry_fault */
#include "regauth.h"

struct image_state {
	char *ref; /* as the definition names it */
	struct imageref r;
	char *id;                /* local image ID; NULL: not present */
	char *old_id;            /* ID before a pull replaced it, or NULL */
	char *remote_digest;     /* registry's manifest digest once checked */
	unsigned long long size; /* bytes, once pulled */
	int checked;             /* registry asked */
	int outdated;            /* registry has another image (dry run) */
	int failed;              /* pull failed: leave its containers alone */
	char err[1024];          /* why it failed */
};

struct image_cache {
	struct image_state *v;
	size_t n;
	size_t cap;
	size_t *order; /* indices into v, sorted by ref */
};

struct image_env {
	struct docker *dk;
	const struct img_list *imgs;
	const struct regauth *auth;
	int dry; /* no pulls: only say what would be pulled */
	void (*plan)(void *arg, const char *line);
	void *plan_arg;
	int pulled;                  /* some image was pulled in this run */
	int check_failed;            /* some registry check failed */
	int lost;                    /* the engine stopped answering */
	struct registry_fault fault; /* the first registry that failed */
};

void image_cache_free(struct image_cache *c);
/* Before the sandbox: draw a live pull progress line when stderr is a
 * terminal and enabled (plain text logs to stderr). */
void image_progress_init(int enabled);

/*
 * The state of ref after making it local (missing: always pulled; with
 * check set, pulled again when the registry's tag moved).  NULL only when
 * out of memory.  ->failed says whether the image can be used.
 */
struct image_state *image_resolve(
    struct image_env *env, struct image_cache *c, const char *ref, int check);

/*
 * What image_resolve() would do for each refs[i] (check: checks[i]), done
 * ahead for all of them: the registry checks REGISTRY_CHECK_PARALLEL at a
 * time, then the pulls PULL_PARALLEL at a time, *stop looked at between
 * those.  image_resolve() then finds each image as it would have left it.
 * Nothing in a dry run, whose plan names each pull next to its definition.
 */
void image_prefetch(struct image_env *env, struct image_cache *c,
    const char *const *refs, const int *checks, size_t n,
    const volatile sig_atomic_t *stop);

/*
 * A pull's progress stream (one JSON object a line), as the endpoint
 * relays it, read by the parser a pull uses (fuzzed by
 * tests/fuzz/fuzz_docker.c): the layers it says were pulled, and in err
 * the error it reports ("" for none).
 */
unsigned image_pull_stream_parse(
    const char *text, size_t len, char *err, size_t errlen);

#endif
