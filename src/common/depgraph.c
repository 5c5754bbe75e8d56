/*
 * The dependency graph of a set of definitions (see depgraph.h).
 */
#include "depgraph.h"

#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "log.h"
#include "xalloc.h"

/* The index of name in v[0..n), sorted by strcmp(), or -1. */
static long
sorted_names_find(const char *const *v, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(v[mid], name);
		if (r == 0)
			return (long)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

long
depgraph_find(const struct depgraph *g, const char *name)
{
	return sorted_names_find((const char *const *)g->id, g->n, name);
}

/*
 * Zeroed arrays with one spare element, as the walks below were written
 * for (a sentinel past the last node, and room when n is 0).
 */
static void *
gcalloc(size_t n, size_t size)
{
	return xcalloc(n + 1, size);
}

struct idx_sort {
	char *id;
	size_t def;
};

static int
idx_cmp(const void *a, const void *b)
{
	const struct idx_sort *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	if (r != 0)
		return r;
	return (x->def > y->def) - (x->def < y->def);
}

/* One node per identity, the first definition's; the rest go to dup. */
static void
build_nodes(struct depgraph *g, const struct defn *defs, size_t n,
    void (*dup)(size_t later, size_t first, const char *id, void *arg),
    void *arg)
{
	struct idx_sort *v = gcalloc(n, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		v[i].id = defn_identity(&defs[i]);
		v[i].def = i;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), idx_cmp);
	g->id = gcalloc(n, sizeof(*g->id));
	g->def = gcalloc(n, sizeof(*g->def));
	for (size_t i = 0; i < n; i++) {
		if (g->n > 0 && strcmp(g->id[g->n - 1], v[i].id) == 0) {
			if (dup != NULL)
				dup(v[i].def, g->def[g->n - 1], v[i].id, arg);
			free(v[i].id);
			continue;
		}
		g->id[g->n] = v[i].id;
		g->def[g->n] = v[i].def;
		g->n++;
	}
	free(v);
}

/* Counting, then adding, the edges of one node. */
struct edge_walk {
	const struct depgraph *g;
	size_t *to; /* NULL: only count */
	size_t n;
};

static int
edge_ref(const struct defn_ref *r, void *arg)
{
	struct edge_walk *w = arg;
	long j;

	if (r->f->ref_order != REF_DEPENDS ||
	    (j = depgraph_find(w->g, r->name)) < 0)
		return 0;
	if (w->to != NULL)
		w->to[w->n] = (size_t)j;
	w->n++;
	return 0;
}

void
depgraph_build(struct depgraph *g, const struct defn *defs, size_t n,
    void (*dup)(size_t later, size_t first, const char *id, void *arg),
    void *arg)
{
	memset(g, 0, sizeof(*g));
	build_nodes(g, defs, n, dup, arg);
	g->dep = gcalloc(g->n, sizeof(*g->dep));
	g->ndep = gcalloc(g->n, sizeof(*g->ndep));
	for (size_t i = 0; i < g->n; i++) {
		const struct defn *d = &defs[g->def[i]];
		struct edge_walk w = { g, NULL, 0 };
		(void)defn_each_ref(d, edge_ref, &w);
		w.to = g->dep[i] = gcalloc(w.n, sizeof(size_t));
		w.n = 0;
		(void)defn_each_ref(d, edge_ref, &w);
		g->ndep[i] = w.n;
	}
}

void
depgraph_free(struct depgraph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->id[i]);
		free(g->dep[i]);
	}
	free(g->id);
	free(g->def);
	free(g->dep);
	free(g->ndep);
	memset(g, 0, sizeof(*g));
}

enum { WHITE, GREY, BLACK };

/* The state of depgraph_cycles()' depth-first search. */
struct cycle_search {
	const struct depgraph *g;
	int *color;
	size_t *stack;
	size_t met, max;
	void (*fn)(const size_t *path, size_t len, void *arg);
	void *arg;
};

static void
cycles_from(struct cycle_search *cs, size_t u, size_t depth)
{
	const struct depgraph *g = cs->g;

	cs->color[u] = GREY;
	cs->stack[depth] = u;
	for (size_t k = 0; k < g->ndep[u]; k++) {
		size_t v = g->dep[u][k], start = depth;
		if (cs->color[v] == WHITE)
			cycles_from(cs, v, depth + 1);
		else if (cs->color[v] == GREY && cs->met++ < cs->max) {
			while (cs->stack[start] != v)
				start--;
			cs->fn(&cs->stack[start], depth - start + 1, cs->arg);
		}
	}
	cs->color[u] = BLACK;
}

size_t
depgraph_cycles(const struct depgraph *g, size_t max,
    void (*fn)(const size_t *path, size_t len, void *arg), void *arg)
{
	struct cycle_search cs = { g, gcalloc(g->n, sizeof(int)),
		gcalloc(g->n, sizeof(size_t)), 0, max, fn, arg };

	for (size_t i = 0; i < g->n; i++)
		if (cs.color[i] == WHITE)
			cycles_from(&cs, i, 0);
	free(cs.color);
	free(cs.stack);
	return cs.met;
}

/* A frame of depgraph_mark_cycles()' depth-first search. */
struct scc_frame {
	size_t v; /* the node */
	size_t k; /* its next dependency to look at */
};

/* Tarjan's algorithm, iterative. */
size_t
depgraph_mark_cycles(const struct depgraph *g, char *on_cycle)
{
	size_t n = g->n, counter = 0, sp = 0, cs = 0, nbad = 0;
	size_t *index = gcalloc(n, sizeof(size_t)); /* 0: not yet seen */
	size_t *low = gcalloc(n, sizeof(size_t));
	size_t *stack = gcalloc(n, sizeof(size_t));
	struct scc_frame *call = gcalloc(n, sizeof(*call));
	char *on = gcalloc(n, 1);

	for (size_t root = 0; root < n; root++) {
		if (index[root] != 0)
			continue;
		index[root] = low[root] = ++counter;
		stack[sp++] = root;
		on[root] = 1;
		call[cs++] = (struct scc_frame){ root, 0 };
		while (cs > 0) {
			struct scc_frame *f = &call[cs - 1];
			size_t v = f->v;
			if (f->k < g->ndep[v]) {
				size_t w = g->dep[v][f->k++];
				if (w == v)
					on_cycle[v] = 1;
				else if (index[w] == 0) {
					index[w] = low[w] = ++counter;
					stack[sp++] = w;
					on[w] = 1;
					call[cs++] = (struct scc_frame){ w, 0 };
				} else if (on[w] && index[w] < low[v])
					low[v] = index[w];
				continue;
			}
			if (--cs > 0 && low[v] < low[call[cs - 1].v])
				low[call[cs - 1].v] = low[v];
			if (low[v] == index[v]) {
				size_t top = sp, w;
				do {
					w = stack[--sp];
					on[w] = 0;
				} while (w != v);
				for (size_t i = sp; top - sp > 1 && i < top;
				     i++)
					on_cycle[stack[i]] = 1;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		nbad += on_cycle[i] != 0;
	free(index);
	free(low);
	free(stack);
	free(call);
	free(on);
	return nbad;
}

/* A binary min-heap of node indices: nodes are in identity order. */
struct ready_heap {
	size_t *v;
	size_t n;
};

static void
heap_push(struct ready_heap *h, size_t x)
{
	size_t i = h->n++;

	while (i > 0 && h->v[(i - 1) / 2] > x) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
}

static size_t
heap_pop(struct ready_heap *h)
{
	size_t top = h->v[0], x = h->v[--h->n], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (h->v[c] >= x)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = x;
	return top;
}

/*
 * Kahn's algorithm, taking the smallest identity among ready nodes: a heap
 * of ready nodes and the reverse edges (dependents of each node, in one
 * array indexed by rdep_at), O(N log N + E).
 */
int
depgraph_order(const struct depgraph *g, size_t *order)
{
	size_t *pending = gcalloc(g->n, sizeof(size_t));
	size_t *rdep_at = gcalloc(g->n + 1, sizeof(size_t));
	struct ready_heap h = { gcalloc(g->n, sizeof(size_t)), 0 };
	size_t *rdep, nedges = 0, out = 0;

	for (size_t i = 0; i < g->n; i++) {
		pending[i] = g->ndep[i];
		nedges += g->ndep[i];
		for (size_t k = 0; k < g->ndep[i]; k++)
			rdep_at[g->dep[i][k] + 2]++;
	}
	for (size_t i = 2; i < g->n + 2; i++)
		rdep_at[i] += rdep_at[i - 1];
	rdep = gcalloc(nedges, sizeof(size_t));
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->ndep[i]; k++)
			rdep[rdep_at[g->dep[i][k] + 1]++] = i;
	/* Now the dependents of u are rdep[rdep_at[u] .. rdep_at[u + 1]). */
	for (size_t i = 0; i < g->n; i++)
		if (pending[i] == 0)
			heap_push(&h, i);
	while (h.n > 0) {
		size_t u = heap_pop(&h);
		order[out++] = u;
		for (size_t k = rdep_at[u]; k < rdep_at[u + 1]; k++)
			if (--pending[rdep[k]] == 0)
				heap_push(&h, rdep[k]);
	}
	free(pending);
	free(rdep_at);
	free(rdep);
	free(h.v);
	return out == g->n ? 0 : -1;
}

/* What defn_dependencies() collects. */
struct dep_names {
	const char **out;
	size_t n, max;
};

static int
dep_name(const struct defn_ref *r, void *arg)
{
	struct dep_names *w = arg;

	if (r->f->ref_order == REF_DEPENDS && w->n < w->max)
		w->out[w->n++] = r->name;
	return 0;
}

size_t
defn_dependencies(const struct defn *d, const char **out, size_t max)
{
	struct dep_names w = { out, 0, max };

	(void)defn_each_ref(d, dep_name, &w);
	return w.n;
}
