/*
 * The one walk over the names a definition gives of other containers
 * (defn_each_ref(), read from the field table's .refs column) and the one
 * dependency graph built from it (src/common/depgraph.c): nodes and
 * duplicates, cycles (named in full, and marked), the dependency order,
 * and the whole-state check of src/common/validate.c on top of them
 * (undeclared names, cycles, order).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "defn.h"
#include "defs.h"
#include "depgraph.h"
#include "errlist.h"
#include "testerrs.h"
#include "fetch.h"
#include "fields.h"
#include "validate.h"

#define SRC "/etc/dockerup/containers.d/t.json"

/* One valid definition (JSON) of SRC, parsed, added to st. */
static void
add(struct desired_state *st, const char *json)
{
	struct defs_result r;
	struct errlist e;
	char doc[4096];

	snprintf(doc, sizeof(doc), "{\"containers\": [%s]}", json);
	defs_result_init(&r);
	errlist_init(&e);
	size_t n = defs_parse(
	    SRC, doc, strlen(doc), DOC_FILE, &direct_file_ops, &r, &e);
	print_errors(&e);
	assert_int_equal(n, 0);
	assert_int_equal(r.n, 1);
	errlist_free(&e);
	desired_state_add(st, &r.defs[0]); /* moves */
	defs_result_free(&r);
}

/* "NAME" with a dependency on each of deps (links), or none. */
static void
add_named(struct desired_state *st, const char *name, const char *links)
{
	char json[512];

	snprintf(json, sizeof(json),
	    "{\"name\": \"%s\", \"image\": \"busybox\"%s%s%s}", name,
	    links ? ", \"links\": {" : "", links ? links : "",
	    links ? "}" : "");
	add(st, json);
}

/* What the walk gave, one line per name. */
struct seen {
	char line[8][160];
	size_t n;
	size_t stop_at; /* returns 7 at this call (1-based); 0: never */
};

static int
record(const struct defn_ref *r, void *arg)
{
	struct seen *s = arg;
	char path[128];

	assert_true(s->n < 8);
	defn_ref_path(r, path, sizeof(path));
	snprintf(s->line[s->n], sizeof(s->line[0]), "%s %s %s %zu %s",
	    r->f->key, r->name, path, r->item,
	    r->f->ref_order == REF_DEPENDS ? "depends" : "notifies");
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

static const char *const walked[] = {
	"network net1 network 0 depends",
	"volumes vol1 volumes[1].from 1 depends",
	"links lnk1 links.lnk1 0 depends",
	"links lnk2 links.lnk2 1 depends",
	"signal sig1 signal.sig1 0 notifies",
};

#define EVERY_REF                                                              \
	"{\"name\": \"me\", \"image\": \"busybox\", "                          \
	"\"network\": \"container:net1\", \"volumes\": [{\"containerPath\": "  \
	"\"/d\", \"hostPath\": \"/srv\"}, {\"from\": \"vol1\"}], "             \
	"\"links\": {\"lnk2\": \"b\", \"lnk1\": \"a\"}, "                      \
	"\"signal\": {\"sig1\": \"HUP\"}}"

/* Every name, in table order (network, volumes, links, signal). */
static void
test_walk_every_ref(void **state)
{
	struct desired_state st;
	struct seen s = { .n = 0 };

	desired_state_init(&st);
	add(&st, EVERY_REF);
	assert_int_equal(defn_each_ref(&st.defs[0], record, &s), 0);
	assert_int_equal(s.n, sizeof(walked) / sizeof(*walked));
	for (size_t i = 0; i < s.n; i++)
		assert_string_equal(s.line[i], walked[i]);
	/* A callback's non-zero answer stops the walk and is returned. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 3;
	assert_int_equal(defn_each_ref(&st.defs[0], record, &s), 7);
	assert_int_equal(s.n, 3);
	/* defn_dependencies(): the same walk, without the signal. */
	const char *deps[8];
	assert_int_equal(defn_dependencies(&st.defs[0], deps, 8), 4);
	assert_string_equal(deps[0], "net1");
	assert_string_equal(deps[1], "vol1");
	assert_string_equal(deps[2], "lnk1");
	assert_string_equal(deps[3], "lnk2");
	assert_int_equal(defn_dependencies(&st.defs[0], deps, 2), 2);
	desired_state_free(&st);
}

/* A definition that names nobody, and network modes that name nobody. */
static void
test_walk_nothing(void **state)
{
	static const char *const none[] = {
		"{\"name\": \"aa\", \"image\": \"busybox\"}",
		"{\"name\": \"aa\", \"image\": \"busybox\", \"network\": "
		"\"host\", \"volumes\": [{\"containerPath\": \"/x\"}]}",
		"{\"image\": \"busybox\", \"network\": \"bridge\", \"env\": "
		"{\"lnk1\": \"x\"}, \"labels\": {\"app\": \"y\"}}",
	};
	struct desired_state st;

	for (size_t i = 0; i < sizeof(none) / sizeof(*none); i++) {
		struct seen s = { .n = 0 };
		desired_state_init(&st);
		add(&st, none[i]);
		assert_int_equal(defn_each_ref(&st.defs[0], record, &s), 0);
		assert_int_equal(s.n, 0);
		desired_state_free(&st);
	}
}

/*
 * The .refs column: exactly network, volumes, links and signal name
 * containers, each with a kind its walk can read; every other row (zero)
 * names none, so a new row needs nothing.
 */
static void
test_table_refs(void **state)
{
	for (size_t t = 0; t < T_DEFN_MAX; t++) {
		const struct field_desc *f = &defn_fields[t];
		switch (f->refs) {
		case REF_NONE:
			assert_true(t != T_NETWORK && t != T_VOLUME &&
			    t != T_LINK && t != T_SIGNAL);
			assert_int_equal(f->ref_order, REF_DEPENDS);
			break;
		case REF_CONTAINER_NET:
			assert_int_equal(f->kind, FK_STRING);
			break;
		case REF_VOLUMES_FROM:
			assert_int_equal(f->kind, FK_VOLUMES);
			break;
		case REF_NAME_KEYS:
			assert_int_equal(f->kind, FK_MAP);
			break;
		default:
			fail_msg("row %zu: unknown refs %d", t, (int)f->refs);
		}
	}
	assert_int_equal(defn_fields[T_SIGNAL].ref_order, REF_NOTIFIES);
	assert_int_equal(defn_fields[T_LINK].ref_order, REF_DEPENDS);
}

struct dups {
	size_t later[4], first[4];
	char id[4][64];
	size_t n;
};

static void
on_dup(size_t later, size_t first, const char *id, void *arg)
{
	struct dups *d = arg;

	assert_true(d->n < 4);
	d->later[d->n] = later;
	d->first[d->n] = first;
	snprintf(d->id[d->n], sizeof(d->id[0]), "%s", id);
	d->n++;
}

/* Nodes by identity; a later definition of an identity is no node. */
static void
test_graph_nodes(void **state)
{
	struct desired_state st;
	struct depgraph g;
	struct dups d = { .n = 0 };

	desired_state_init(&st);
	add_named(&st, "bb", "\"aa\": \"a\", \"zz\": \"z\"");
	add_named(&st, "aa", NULL);
	add_named(&st, "bb", NULL);
	add(&st, "{\"image\": \"redis:7\"}");
	depgraph_build(&g, st.defs, st.ndefs, on_dup, &d);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.id[0], "aa");
	assert_string_equal(g.id[1], "bb");
	assert_string_equal(g.id[2], "image:redis");
	assert_int_equal(g.def[0], 1);
	assert_int_equal(g.def[1], 0); /* the first "bb" */
	assert_int_equal(g.def[2], 3);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.later[0], 2);
	assert_int_equal(d.first[0], 0);
	assert_string_equal(d.id[0], "bb");
	assert_int_equal(depgraph_find(&g, "bb"), 1);
	assert_int_equal(depgraph_find(&g, "zz"), -1);
	/* bb -> aa; the undeclared zz makes no edge. */
	assert_int_equal(g.ndep[1], 1);
	assert_int_equal(g.dep[1][0], 0);
	assert_int_equal(g.ndep[0] + g.ndep[2], 0);
	depgraph_free(&g);
	desired_state_free(&st);
}

struct cycles {
	char path[4][128];
	size_t n;
	const struct depgraph *g;
};

static void
on_cycle(const size_t *path, size_t len, void *arg)
{
	struct cycles *c = arg;
	size_t at = 0;

	assert_true(c->n < 4);
	for (size_t i = 0; i < len; i++)
		at += (size_t)snprintf(c->path[c->n] + at,
		    sizeof(c->path[0]) - at, "%s ", c->g->id[path[i]]);
	c->n++;
}

/* aa -> bb -> cc -> aa, dd -> dd, ee -> aa, ff alone. */
static void
cycle_state(struct desired_state *st)
{
	desired_state_init(st);
	add_named(st, "aa", "\"bb\": \"b\"");
	add_named(st, "bb", "\"cc\": \"c\"");
	add_named(st, "cc", "\"aa\": \"a\"");
	add(st,
	    "{\"name\": \"dd\", \"image\": \"busybox\", "
	    "\"network\": \"container:dd\"}");
	add_named(st, "ee", "\"aa\": \"a\"");
	add_named(st, "ff", NULL);
}

static void
test_graph_cycles(void **state)
{
	struct desired_state st;
	struct depgraph g;
	struct cycles c = { .n = 0 };
	char marked[8] = { 0 };
	size_t order[8];

	cycle_state(&st);
	depgraph_build(&g, st.defs, st.ndefs, NULL, NULL);
	c.g = &g;
	assert_int_equal(depgraph_cycles(&g, 10, on_cycle, &c), 2);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.path[0], "aa bb cc ");
	assert_string_equal(c.path[1], "dd ");
	/* At most max are reported; all are counted. */
	memset(&c, 0, sizeof(c));
	c.g = &g;
	assert_int_equal(depgraph_cycles(&g, 1, on_cycle, &c), 2);
	assert_int_equal(c.n, 1);
	/* Members, not what depends on them. */
	assert_int_equal(depgraph_mark_cycles(&g, marked), 4);
	assert_memory_equal(marked, "\1\1\1\1\0\0", 6);
	assert_int_equal(depgraph_order(&g, order), -1);
	depgraph_free(&g);
	desired_state_free(&st);
}

/* Dependencies first; among those ready, the smallest identity. */
static void
test_graph_order(void **state)
{
	static const char *const want[] = { "app", "cache", "db", "web", "zz" };
	struct desired_state st;
	struct depgraph g;
	size_t order[8];

	desired_state_init(&st);
	add(&st,
	    "{\"name\": \"web\", \"image\": \"busybox\", "
	    "\"links\": {\"db\": \"d\"}, "
	    "\"network\": \"container:cache\", "
	    "\"signal\": {\"zz\": \"HUP\"}}");
	add(&st,
	    "{\"name\": \"zz\", \"image\": \"busybox\", "
	    "\"volumes\": [{\"from\": \"app\"}]}");
	add_named(&st, "db", NULL);
	add_named(&st, "cache", NULL);
	add_named(&st, "app", NULL);
	depgraph_build(&g, st.defs, st.ndefs, NULL, NULL);
	assert_int_equal(depgraph_mark_cycles(&g, (char[8]){ 0 }), 0);
	assert_int_equal(depgraph_order(&g, order), 0);
	for (size_t i = 0; i < g.n; i++)
		assert_string_equal(g.id[order[i]], want[i]);
	depgraph_free(&g);
	desired_state_free(&st);
}

static int
has(const struct errlist *e, const char *field, const char *msg)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].where, SRC) == 0 &&
		    strcmp(e->v[i].field, field) == 0 &&
		    strcmp(e->v[i].msg, msg) == 0)
			return 1;
	print_errors(e);
	return 0;
}

/* The whole-state check: every name declared, once, without a cycle. */
static void
test_state_check(void **state)
{
	struct desired_state st;
	struct errlist e;

	/* Undeclared names, each where it is written. */
	desired_state_init(&st);
	add(&st, EVERY_REF);
	errlist_init(&e);
	assert_int_equal(state_validate_and_order(&st, &e), 5);
	for (size_t i = 0; i < 5; i++) {
		char field[64], name[16], msg[200];
		sscanf(walked[i], "%*s %15s %63s", name, field);
		snprintf(msg, sizeof(msg),
		    "\"%s\" is not a declared container; expected the name "
		    "of a container defined in some source",
		    name);
		assert_true(has(&e, field, msg));
	}
	errlist_free(&e);
	desired_state_free(&st);
	/* Cycles, named in full; a signal makes none. */
	cycle_state(&st);
	errlist_init(&e);
	assert_int_equal(state_validate_and_order(&st, &e), 2);
	assert_true(has(&e, "dependencies",
	    "dependency cycle aa -> bb -> cc -> aa (through links, volumes "
	    "from or network container:); expected dependencies without a "
	    "cycle"));
	assert_true(has(&e, "dependencies",
	    "dependency cycle dd -> dd (through links, volumes from or "
	    "network container:); expected dependencies without a cycle"));
	errlist_free(&e);
	desired_state_free(&st);
	/* Twice the same name. */
	desired_state_init(&st);
	add_named(&st, "aa", NULL);
	add_named(&st, "aa", NULL);
	errlist_init(&e);
	assert_int_equal(state_validate_and_order(&st, &e), 1);
	assert_true(has(&e, "name",
	    "\"aa\" is declared twice (also in " SRC
	    "); expected each container once"));
	errlist_free(&e);
	desired_state_free(&st);
	/* Valid: put in dependency order; a signal target need not come
	 * first. */
	desired_state_init(&st);
	add(&st,
	    "{\"name\": \"aa\", \"image\": \"busybox\", "
	    "\"signal\": {\"bb\": \"HUP\"}, "
	    "\"volumes\": [{\"from\": \"cc\"}]}");
	add_named(&st, "bb", "\"aa\": \"a\"");
	add_named(&st, "cc", NULL);
	errlist_init(&e);
	assert_int_equal(state_validate_and_order(&st, &e), 0);
	assert_int_equal(e.n, 0);
	assert_string_equal(st.defs[0].name, "cc");
	assert_string_equal(st.defs[1].name, "aa");
	assert_string_equal(st.defs[2].name, "bb");
	errlist_free(&e);
	desired_state_free(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_every_ref),
		cmocka_unit_test(test_walk_nothing),
		cmocka_unit_test(test_table_refs),
		cmocka_unit_test(test_graph_nodes),
		cmocka_unit_test(test_graph_cycles),
		cmocka_unit_test(test_graph_order),
		cmocka_unit_test(test_state_check),
	};

	return cmocka_run_group_tests_name("depgraph", tests, NULL, NULL);
}
