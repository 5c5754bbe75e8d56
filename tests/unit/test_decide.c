/*
 * Deciding (src/engine/decide.c) without an engine: each table row is a
 * definition, what was observed of its container and image, and what
 * is known of the other definitions; it asserts the exact decision
 * (action, reason, whether our own container holds it back).  Then the
 * keeper among duplicates, our own container's upgrade, and the orphans
 * with the mass-removal brake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"
#include "defn.h"
#include "spec.h"

#define IMG_A                                                                  \
	"sha256:"                                                              \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define IMG_B                                                                  \
	"sha256:"                                                              \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DIG_C                                                                  \
	"sha256:"                                                              \
	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* An observed container, as a row writes it; NULL strings are absent. */
struct ctr_row {
	const char *id, *name, *image_id, *state;
	const char *label_id, *label_hash, *network_mode;
	long long created;
	int managed, claimed, removed;
	const char *label_links;
	const char *vol_dest, *vol_name; /* one mount point, or none */
};

/* What is known of another definition. */
struct peer_row {
	const char *ident;
	int recreated;
	const char *cur_id;
	int mounts_known; /* its mount points: the one below, or none */
	const char *vol_dest, *vol_name;
};

#define MAX_PEERS 2

struct item_case {
	const char *what;
	/* the definition */
	const char *name, *network, *link;
	const char *from; /* volumes from */
	enum restart_policy restart;
	const char *new_user; /* the container was made without this user */
	/* what was observed */
	int has_k;
	struct ctr_row k;
	const char *img_id;
	int outdated;
	const char *want;
	const char *want_v1; /* the label of dockerup up to 2026-12-02 */
	int k_is_self;
	struct peer_row peers[MAX_PEERS];
	/* the exact decision */
	enum act act;
	const char *why;
	const char *verb;
	int self_held;
};

static struct ctr
ctr_of(const struct ctr_row *r)
{
	struct ctr c = {
		.id = (char *)r->id,
		.name = (char *)(r->name ? r->name : ""),
		.image_id = (char *)(r->image_id ? r->image_id : IMG_A),
		.state = (char *)(r->state ? r->state : "running"),
		.created = r->created,
		.label_id = (char *)r->label_id,
		.label_hash = (char *)r->label_hash,
		.network_mode = (char *)r->network_mode,
		.managed = r->managed,
		.claimed = r->claimed,
		.removed = r->removed,
		.label_links = (char *)r->label_links,
	};

	return c;
}

static void
defn_of(struct defn *d, const struct item_case *c)
{
	defn_init(d);
	d->name = c->name ? strdup(c->name) : NULL;
	d->image = strdup("nginx:1");
	d->network = c->network ? strdup(c->network) : NULL;
	d->restart = c->restart;
	if (c->link)
		kvlist_push(&d->links, c->link, c->link);
	if (c->from) {
		assert_non_null(d->volumes = calloc(1, sizeof(*d->volumes)));
		assert_non_null(d->volumes[0].from = strdup(c->from));
		d->nvolumes = 1;
	}
}

/* A row's one mount point as a list: m and ms are the caller's. */
static const struct mounts *
mounts_of(
    const char *dest, const char *name, struct mount *m, struct mounts *ms)
{
	*m = (struct mount){ .dest = (char *)dest, .name = (char *)name };
	*ms = (struct mounts){ .v = m, .n = dest != NULL };
	return ms;
}

static int
peer_lookup(void *arg, const char *ident, struct decide_peer *out)
{
	const struct peer_row *p = arg;

	static struct mount m[MAX_PEERS];
	static struct mounts ms[MAX_PEERS];

	for (size_t i = 0; i < MAX_PEERS && p[i].ident; i++)
		if (strcmp(p[i].ident, ident) == 0) {
			out->recreated = p[i].recreated;
			out->cur_id = p[i].cur_id ? p[i].cur_id : "";
			out->mounts = p[i].mounts_known
			    ? mounts_of(
				  p[i].vol_dest, p[i].vol_name, &m[i], &ms[i])
			    : NULL;
			return 0;
		}
	return -1;
}

#define ID1 "1111111111111111111111111111111111111111111111111111111111111111"
#define ID2 "2222222222222222222222222222222222222222222222222222222222222222"
#define ID3 "3333333333333333333333333333333333333333333333333333333333333333"

#define VOL_A "aaaa111111111111111111111111111111111111111111111111111111111111"
#define VOL_B "bbbb222222222222222222222222222222222222222222222222222222222222"

/* A container that runs what "web" wants now. */
#define WEB_OK .id = ID1, .name = "web", .label_id = "web", .label_hash = "h1"

static const struct item_case item_cases[] = {
	{ .what = "unchanged container",
	    .name = "web",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .img_id = IMG_A,
	    .want = "h1",
	    .act = ACT_NONE,
	    .why = "",
	    .verb = "keep" },
	{ .what = "labelled before update.* left the hash: unchanged",
	    .name = "web",
	    .has_k = 1,
	    .k = { .id = ID1,
		.name = "web",
		.label_id = "web",
		.label_hash = "h1-v1" },
	    .img_id = IMG_A,
	    .want = "h1",
	    .want_v1 = "h1-v1",
	    .act = ACT_NONE,
	    .why = "",
	    .verb = "keep" },
	{ .what = "missing container",
	    .name = "web",
	    .img_id = IMG_A,
	    .want = "h1",
	    .act = ACT_CREATE,
	    .why = "new definition",
	    .verb = "create" },
	{ .what = "image ID changed",
	    .name = "web",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .img_id = IMG_B,
	    .want = "h2",
	    .act = ACT_REPLACE,
	    .why = "image nginx:1 updated sha256:aaaaaaaaaaaa.. -> "
		   "sha256:bbbbbbbbbbbb..",
	    .verb = "replace" },
	{ .what = "registry has a newer image (dry run)",
	    .name = "web",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .img_id = IMG_A,
	    .outdated = 1,
	    .act = ACT_REPLACE,
	    .why = "image nginx:1 updated sha256:aaaaaaaaaaaa.. -> "
		   "sha256:cccccccccccc..",
	    .verb = "replace" },
	{ .what = "image not local (dry run)",
	    .name = "web",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .act = ACT_REPLACE,
	    .why = "image nginx:1 not present locally",
	    .verb = "replace" },
	{ .what = "definition hash changed",
	    .name = "web",
	    .new_user = "nobody",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .img_id = IMG_A,
	    .want = "h2",
	    .act = ACT_REPLACE,
	    .why = "definition changed: user",
	    .verb = "replace" },
	{ .what = "made by hand (no hash label)",
	    .name = "web",
	    .has_k = 1,
	    .k = { .id = ID1, .name = "web" },
	    .img_id = IMG_A,
	    .want = "h1",
	    .act = ACT_REPLACE,
	    .why = "not created by dockerup",
	    .verb = "replace" },
	{ .what = "stopped, restart on-failure",
	    .name = "web",
	    .has_k = 1,
	    .k = { WEB_OK, .state = "exited" },
	    .img_id = IMG_A,
	    .want = "h1",
	    .act = ACT_START,
	    .why = "not running",
	    .verb = "start" },
	{ .what = "stopped, restart always",
	    .name = "web",
	    .restart = RESTART_ALWAYS,
	    .has_k = 1,
	    .k = { WEB_OK, .state = "created" },
	    .img_id = IMG_A,
	    .want = "h1",
	    .act = ACT_START,
	    .why = "not running",
	    .verb = "start" },
	{ .what = "restart never, exited: a finished job",
	    .name = "web",
	    .restart = RESTART_NEVER,
	    .has_k = 1,
	    .k = { WEB_OK, .state = "exited" },
	    .img_id = IMG_A,
	    .want = "h1",
	    .act = ACT_FINISHED,
	    .why = "",
	    .verb = "keep" },
	{ .what = "dead",
	    .name = "web",
	    .has_k = 1,
	    .k = { WEB_OK, .state = "dead" },
	    .img_id = IMG_A,
	    .want = "h1",
	    .act = ACT_REPLACE,
	    .why = "dead",
	    .verb = "replace" },
	{ .what = "old name of an interrupted replace",
	    .name = "web",
	    .has_k = 1,
	    .k = { .id = ID1,
		.name = "web-old-111111111111",
		.label_id = "web",
		.label_hash = "h1" },
	    .img_id = IMG_A,
	    .want = "h1",
	    .act = ACT_RENAME,
	    .why = "recovering an interrupted replace",
	    .verb = "rename" },
	{ .what = "network of a replaced container",
	    .name = "web",
	    .network = "container:vpn",
	    .has_k = 1,
	    .k = { WEB_OK, .network_mode = "container:" ID2 },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "vpn", 1, ID3 } },
	    .act = ACT_REPLACE,
	    .why = "depends on vpn",
	    .verb = "restart" },
	{ .what = "network of a container replaced earlier",
	    .name = "web",
	    .network = "container:vpn",
	    .has_k = 1,
	    .k = { WEB_OK, .network_mode = "container:" ID2 },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "vpn", 0, ID3 } },
	    .act = ACT_REPLACE,
	    .why = "depends on vpn",
	    .verb = "restart" },
	{ .what = "network of an unchanged container",
	    .name = "web",
	    .network = "container:vpn",
	    .has_k = 1,
	    .k = { WEB_OK, .network_mode = "container:" ID2 },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "vpn", 0, ID2 } },
	    .act = ACT_NONE,
	    .why = "",
	    .verb = "keep" },
	{ .what = "link to a recreated container",
	    .name = "web",
	    .link = "db",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "cache", 1, ID3 }, { "db", 1, ID2 } },
	    .act = ACT_REPLACE,
	    .why = "depends on db",
	    .verb = "restart" },
	{ .what = "link to an unchanged container",
	    .name = "web",
	    .link = "db",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "cache", 1, ID3 }, { "db", 0, ID2 } },
	    .act = ACT_NONE,
	    .why = "",
	    .verb = "keep" },
	{ .what = "volumes from a replacement with the same volumes",
	    .name = "web",
	    .from = "data",
	    .has_k = 1,
	    .k = { WEB_OK, .vol_dest = "/s", .vol_name = VOL_A },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "data", 1, ID3, 1, "/s", VOL_A } },
	    .act = ACT_NONE,
	    .why = "",
	    .verb = "keep" },
	{ .what = "volumes from a replacement whose volumes are not known",
	    .name = "web",
	    .from = "data",
	    .has_k = 1,
	    .k = { WEB_OK, .vol_dest = "/s", .vol_name = VOL_A },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "data", 1, ID3 } },
	    .act = ACT_REPLACE,
	    .why = "depends on data",
	    .verb = "restart" },
	{ .what = "volumes from a container replaced earlier, other volume",
	    .name = "web",
	    .from = "data",
	    .has_k = 1,
	    .k = { WEB_OK, .vol_dest = "/s", .vol_name = VOL_A },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "data", 0, ID3, 1, "/s", VOL_B } },
	    .act = ACT_REPLACE,
	    .why = "depends on data: its volume at /s is not data's now",
	    .verb = "restart" },
	{ .what = "volumes from a container with a volume k lacks",
	    .name = "web",
	    .from = "data",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "data", 0, ID3, 1, "/s", VOL_A } },
	    .act = ACT_REPLACE,
	    .why = "depends on data: its volume at /s is not data's now",
	    .verb = "restart" },
	{ .what = "volumes from an unchanged container",
	    .name = "web",
	    .from = "data",
	    .has_k = 1,
	    .k = { WEB_OK, .vol_dest = "/s", .vol_name = VOL_A },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "data", 0, ID3, 1, "/s", VOL_A } },
	    .act = ACT_NONE,
	    .why = "",
	    .verb = "keep" },
	{ .what = "link to a container replaced earlier",
	    .name = "web",
	    .link = "db",
	    .has_k = 1,
	    .k = { WEB_OK, .label_links = "cache=" ID3 " db=" ID2 },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "db", 0, ID3 } },
	    .act = ACT_REPLACE,
	    .why = "depends on db: linked to an old container",
	    .verb = "restart" },
	{ .what = "link to the container it was made with",
	    .name = "web",
	    .link = "db",
	    .has_k = 1,
	    .k = { WEB_OK, .label_links = "db=" ID3 },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "db", 0, ID3 } },
	    .act = ACT_NONE,
	    .why = "",
	    .verb = "keep" },
	{ .what = "link label: another name that starts the same",
	    .name = "web",
	    .link = "db",
	    .has_k = 1,
	    .k = { WEB_OK, .label_links = "dbx=" ID2 " db=" ID3 },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "db", 0, ID3 } },
	    .act = ACT_NONE,
	    .why = "",
	    .verb = "keep" },
	{ .what = "link made before the label: nothing to tell",
	    .name = "web",
	    .link = "db",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .img_id = IMG_A,
	    .want = "h1",
	    .peers = { { "db", 0, ID3 } },
	    .act = ACT_NONE,
	    .why = "",
	    .verb = "keep" },
	{ .what = "link to no definition",
	    .name = "web",
	    .link = "db",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .img_id = IMG_A,
	    .want = "h1",
	    .act = ACT_NONE,
	    .why = "",
	    .verb = "keep" },
	{ .what = "self: needs a replace, held",
	    .name = "web",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .img_id = IMG_B,
	    .want = "h2",
	    .k_is_self = 1,
	    .act = ACT_REPLACE,
	    .why = "image nginx:1 updated sha256:aaaaaaaaaaaa.. -> "
		   "sha256:bbbbbbbbbbbb..",
	    .verb = "replace",
	    .self_held = 1 },
	{ .what = "self: stopped, held",
	    .name = "web",
	    .has_k = 1,
	    .k = { WEB_OK, .state = "exited" },
	    .img_id = IMG_A,
	    .want = "h1",
	    .k_is_self = 1,
	    .act = ACT_START,
	    .why = "not running",
	    .verb = "start",
	    .self_held = 1 },
	{ .what = "self: a finished job, not held",
	    .name = "web",
	    .restart = RESTART_NEVER,
	    .has_k = 1,
	    .k = { WEB_OK, .state = "exited" },
	    .img_id = IMG_A,
	    .want = "h1",
	    .k_is_self = 1,
	    .act = ACT_FINISHED,
	    .why = "",
	    .verb = "keep" },
	{ .what = "self: unchanged, not held",
	    .name = "web",
	    .has_k = 1,
	    .k = { WEB_OK },
	    .img_id = IMG_A,
	    .want = "h1",
	    .k_is_self = 1,
	    .act = ACT_NONE,
	    .why = "",
	    .verb = "keep" },
};

static void
test_item(void **state)
{
	for (size_t i = 0; i < sizeof(item_cases) / sizeof(item_cases[0]);
	     i++) {
		const struct item_case *c = &item_cases[i];
		struct image_state img = { .ref = (char *)"nginx:1",
			.id = (char *)c->img_id,
			.outdated = c->outdated,
			.remote_digest = (char *)DIG_C };
		struct ctr k = ctr_of(&c->k);
		struct mount km;
		struct decide_in in = { .img = &img,
			.want = c->want,
			.want_v1 = c->want_v1,
			.k_is_self = c->k_is_self,
			.peer = peer_lookup,
			.peer_arg = (void *)c->peers };
		struct decision dec;
		struct defn d;
		char *fields = NULL;

		print_message("%s\n", c->what);
		k.mounts =
		    *mounts_of(c->k.vol_dest, c->k.vol_name, &km, &k.mounts);
		defn_of(&d, c);
		if (c->has_k) {
			/* The labels of the definition as it was made. */
			assert_non_null(fields = spec_field_hashes(&d));
			k.label_fields = k.label_hash ? fields : NULL;
			in.k = &k;
		}
		if (c->new_user) /* ...and as it is now */
			d.user = strdup(c->new_user);
		in.d = &d;
		memset(&dec, 0x55, sizeof(dec));
		decide_item(&in, &dec);
		assert_int_equal(dec.act, c->act);
		assert_string_equal(dec.why, c->why);
		assert_int_equal(dec.self_held, c->self_held);
		assert_string_equal(decide_verb(dec.act, dec.why), c->verb);
		free(fields);
		defn_free(&d);
	}
}

/* Duplicates: the one kept, the others are removed by the run. */
static void
test_keeper(void **state)
{
	static const struct {
		const char *what;
		const char *name, *want;
		struct ctr_row c[3];
		size_t n;
		size_t keep; /* index into c; DECIDE_NO_KEEPER none */
	} cases[] = {
		{ "right hash beats running", "web", "h1",
		    { { .id = ID1, .name = "web", .label_hash = "h0" },
			{ .id = ID2,
			    .name = "x",
			    .label_hash = "h1",
			    .state = "exited" } },
		    2, 1 },
		{ "running beats right name", "web", "h1",
		    { { .id = ID1, .name = "web", .state = "exited" },
			{ .id = ID2, .name = "web-old" } },
		    2, 1 },
		{ "right name beats newer", "web", NULL,
		    { { .id = ID1, .name = "web", .created = 1 },
			{ .id = ID2, .name = "web-old", .created = 9 } },
		    2, 0 },
		{ "equal: the newest", "web", "h1",
		    { { .id = ID1,
			  .name = "web",
			  .label_hash = "h1",
			  .created = 5 },
			{ .id = ID2,
			    .name = "web",
			    .label_hash = "h1",
			    .created = 7 },
			{ .id = ID3,
			    .name = "web",
			    .label_hash = "h1",
			    .created = 6 } },
		    3, 1 },
		{ "unnamed: any name is right", NULL, "h1",
		    { { .id = ID1, .name = "a", .created = 2 },
			{ .id = ID2, .name = "b", .created = 1 } },
		    2, 0 },
		{ "removed ones are skipped", "web", "h1",
		    { { .id = ID1,
			  .name = "web",
			  .label_hash = "h1",
			  .removed = 1 },
			{ .id = ID2, .name = "web-old", .state = "exited" } },
		    2, 1 },
		{ "all removed", "web", "h1",
		    { { .id = ID1, .name = "web", .removed = 1 } }, 1,
		    DECIDE_NO_KEEPER },
		{ "no candidate", "web", "h1", { { 0 } }, 0, DECIDE_NO_KEEPER },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctr v[3];
		struct ctr_list l = { .v = v, .n = cases[i].n, .cap = 3 };
		/* Candidates in reverse list order: the result is an index
		 * into the list, not into the candidates. */
		size_t cand[3];
		struct defn d;

		print_message("%s\n", cases[i].what);
		for (size_t j = 0; j < cases[i].n; j++) {
			v[j] = ctr_of(&cases[i].c[j]);
			cand[j] = cases[i].n - 1 - j;
		}
		defn_init(&d);
		d.name = cases[i].name ? strdup(cases[i].name) : NULL;
		assert_int_equal(decide_keeper(&l, cand, cases[i].n, &d,
				     cases[i].want, NULL),
		    cases[i].keep);
		defn_free(&d);
	}
}

static void
test_self(void **state)
{
	static const struct {
		const char *what;
		struct ctr_row me;
		const char *img_id, *want;
		enum self_act act;
		const char *why;
	} cases[] = {
		{ "runs what it should", { WEB_OK }, IMG_A, "h1",
		    SELF_UNCHANGED, "" },
		{ "claimed by its name only",
		    { .id = ID1, .name = "web", .label_hash = "h1" }, IMG_A,
		    "h1", SELF_UPGRADE, "definition changed" },
		{ "started by hand", { .id = ID1, .name = "web" }, IMG_A, "h1",
		    SELF_UPGRADE, "not created by dockerup" },
		{ "new image", { WEB_OK }, IMG_B, "h2", SELF_UPGRADE,
		    "image nginx:1 updated sha256:aaaaaaaaaaaa.. -> "
		    "sha256:bbbbbbbbbbbb.." },
		{ "image not pulled (dry run)", { WEB_OK }, NULL, NULL,
		    SELF_REPLACE_UNPULLED,
		    "image nginx:1 not present locally" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct image_state img = { .ref = (char *)"nginx:1",
			.id = (char *)cases[i].img_id };
		struct ctr me = ctr_of(&cases[i].me);
		char why[DECIDE_WHY_MAX] = "";
		struct defn d;

		print_message("%s\n", cases[i].what);
		defn_init(&d);
		d.name = strdup("web");
		d.image = strdup("nginx:1");
		assert_int_equal(decide_self(&d, "web", &me, &img,
				     cases[i].want, NULL, why, sizeof(why)),
		    cases[i].act);
		assert_string_equal(why, cases[i].why);
		defn_free(&d);
	}
}

/*
 * A container labelled by dockerup up to 2026-12-02, whose hash covered
 * update.*: that label (want_v1) is as good as want, and nothing else is.
 */
static void
test_want_v1(void **state)
{
	struct ctr_row rows[2] = {
		{ .id = ID1, .name = "web", .label_hash = "h0" },
		{ .id = ID2,
		    .name = "x",
		    .label_id = "web",
		    .label_hash = "h1-v1",
		    .state = "exited" },
	};
	struct ctr v[2] = { ctr_of(&rows[0]), ctr_of(&rows[1]) };
	struct ctr_list l = { .v = v, .n = 2, .cap = 2 };
	struct image_state img = { .ref = (char *)"nginx:1",
		.id = (char *)IMG_A };
	size_t cand[2] = { 0, 1 };
	char why[DECIDE_WHY_MAX] = "";
	struct defn d;

	defn_init(&d);
	d.name = strdup("web");
	d.image = strdup("nginx:1");
	/* The right hash beats running and the right name. */
	assert_int_equal(decide_keeper(&l, cand, 2, &d, "h1", "h1-v1"), 1);
	assert_int_equal(decide_keeper(&l, cand, 2, &d, "h1", NULL), 0);
	assert_int_equal(decide_keeper(&l, cand, 2, &d, "h1", ""), 0);
	v[1].name = "web";
	assert_int_equal(decide_self(&d, "web", &v[1], &img, "h1", "h1-v1", why,
			     sizeof(why)),
	    SELF_UNCHANGED);
	assert_int_equal(decide_self(&d, "web", &v[1], &img, "h1", "h2-v1", why,
			     sizeof(why)),
	    SELF_UPGRADE);
	assert_true(spec_hash_matches("h1-v1", "h1", "h1-v1"));
	assert_true(spec_hash_matches("h1", "h1", "h1-v1"));
	assert_false(spec_hash_matches("h1-v1", NULL, "h1-v1"));
	assert_false(spec_hash_matches(NULL, "h1", "h1-v1"));
	assert_false(spec_hash_matches("", "h1", ""));
	defn_free(&d);
}

static void
test_is_self(void **state)
{
	struct ctr_row r = { .id = ID1 };
	struct ctr c = ctr_of(&r);

	assert_true(decide_is_self(ID1, &c));
	assert_true(decide_is_self("111111111111", &c)); /* a 12-digit ID */
	assert_false(decide_is_self("11111111111", &c)); /* 11: no prefix */
	assert_false(decide_is_self(ID2, &c));
	assert_false(decide_is_self(NULL, &c));
}

#define MAX_CTRS 8
#define SELF     "666666666666" /* a prefix of host[5] */

/* The orphans and the brake over one host, by policy and state. */
static void
test_orphans(void **state)
{
	/*
	 * 0 claimed (declared), 1-2 managed orphans running, 3 an orphan
	 * not made by dockerup, 4 a managed orphan exited, 5 ourselves,
	 * 6 already being removed, 7 removed as a duplicate this run.
	 */
	static const struct ctr_row host[MAX_CTRS] = {
		{ .id = ID1, .name = "web", .claimed = 1, .managed = 1 },
		{ .id = ID2, .name = "old1", .managed = 1 },
		{ .id = ID3, .name = "old2", .managed = 1 },
		{ .id = "4444", .name = "hand" },
		{ .id = "5555",
		    .name = "job",
		    .managed = 1,
		    .state = "exited" },
		{ .id = "6666666666666666", .name = "me", .managed = 1 },
		{ .id = "7777",
		    .name = "going",
		    .managed = 1,
		    .state = "removing" },
		{ .id = "8888", .name = "dup", .managed = 1, .removed = 1 },
	};
	static const struct {
		const char *what;
		const char *self; /* our own container's ID, NULL none */
		size_t n;         /* the first n of host */
		enum orphan_policy policy;
		int complete, confirmed;
		int incomplete, braked;
		unsigned going, running;
		size_t nremove;
		size_t remove[MAX_CTRS];
	} cases[] = {
		{ "managed: only dockerup's", SELF, 8, ORPHANS_MANAGED, 1, 0, 0,
		    0, 2, 3, 3, { 1, 2, 4 } },
		{ "all: the hand-made one too, braked (3 of 4)", SELF, 8,
		    ORPHANS_ALL, 1, 0, 0, 1, 3, 4, 0, { 0 } },
		{ "all, confirmed", SELF, 8, ORPHANS_ALL, 1, 1, 0, 0, 3, 4, 4,
		    { 1, 2, 3, 4 } },
		{ "incomplete state: none", SELF, 8, ORPHANS_ALL, 0, 1, 1, 0, 0,
		    0, 0, { 0 } },
		{ "managed, not in a container: braked (3 of 4)", NULL, 8,
		    ORPHANS_MANAGED, 1, 0, 0, 1, 3, 4, 0, { 0 } },
		{ "managed, not in a container, confirmed", NULL, 8,
		    ORPHANS_MANAGED, 1, 1, 0, 0, 3, 4, 4, { 1, 2, 4, 5 } },
		{ "managed: the hand-made one is not counted", SELF, 4,
		    ORPHANS_MANAGED, 1, 0, 0, 0, 2, 3, 2, { 1, 2 } },
		{ "all: 3 of 4", SELF, 4, ORPHANS_ALL, 1, 0, 0, 1, 3, 4, 0,
		    { 0 } },
		{ "all: 2 of 3, fewer than the minimum", SELF, 3, ORPHANS_ALL,
		    1, 0, 0, 0, 2, 3, 2, { 1, 2 } },
		{ "no container", SELF, 0, ORPHANS_ALL, 1, 0, 0, 0, 0, 0, 0,
		    { 0 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctr v[MAX_CTRS];
		struct ctr_list l = {
			.v = v, .n = cases[i].n, .cap = MAX_CTRS
		};
		struct orphan_plan op;

		print_message("%s\n", cases[i].what);
		for (size_t j = 0; j < cases[i].n; j++)
			v[j] = ctr_of(&host[j]);
		decide_orphans(&l, cases[i].self, cases[i].policy,
		    cases[i].complete, cases[i].confirmed, &op);
		assert_int_equal(op.incomplete, cases[i].incomplete);
		assert_int_equal(op.braked, cases[i].braked);
		assert_int_equal(op.going, cases[i].going);
		assert_int_equal(op.running, cases[i].running);
		assert_int_equal(op.nremove, cases[i].nremove);
		for (size_t j = 0; j < op.nremove; j++)
			assert_int_equal(op.remove[j], cases[i].remove[j]);
		orphan_plan_free(&op);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_item),
		cmocka_unit_test(test_keeper),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_want_v1),
		cmocka_unit_test(test_is_self),
		cmocka_unit_test(test_orphans),
	};

	return cmocka_run_group_tests_name("decide", tests, NULL, NULL);
}
