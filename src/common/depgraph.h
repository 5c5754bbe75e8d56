#ifndef DOCKERUP_DEPGRAPH_H
#define DOCKERUP_DEPGRAPH_H

/*
 * The dependency graph of a set of definitions, built once from the
 * names each one gives of other containers (defn_each_ref(), fields.h):
 * one node per identity, an edge from a definition to each container it
 * depends on (links, volumes from, network container:; a signal target
 * must be declared but is no dependency).  The shared validator uses it
 * to check and order a whole state, the fetcher to prune what would fail
 * that check; it only answers, it reports nothing itself.
 */
#include <stddef.h>

#include "defn.h"

struct depgraph {
	size_t n;     /* nodes: the identities, sorted by strcmp() */
	char **id;    /* identity of node i */
	size_t *def;  /* its definition: the first with that identity */
	size_t **dep; /* the nodes node i depends on: one edge per name */
	size_t *ndep;
};

/*
 * Builds the graph of defs[0..n).  A definition whose identity an earlier
 * one has is no node; dup, when not NULL, is called with it, that earlier
 * one and the identity, in identity order.  A name that is no node's
 * makes no edge (depgraph_find() tells which).  Out of memory is fatal.
 */
void depgraph_build(struct depgraph *g, const struct defn *defs, size_t n,
    void (*dup)(size_t later, size_t first, const char *id, void *arg),
    void *arg);
void depgraph_free(struct depgraph *g);

/* The node whose identity is name, or -1. */
long depgraph_find(const struct depgraph *g, const char *name);

/*
 * Calls fn with the path of each cycle a depth-first search from every
 * node in identity order meets (nodes path[0] .. path[len - 1], then
 * path[0] again), at most max times.  Returns how many cycles it met (max
 * or more).
 */
size_t depgraph_cycles(const struct depgraph *g, size_t max,
    void (*fn)(const size_t *path, size_t len, void *arg), void *arg);

/*
 * Marks on_cycle[i] for every node i on a cycle (a strongly connected
 * component of more than one node, or a node that depends on itself), in
 * O(N + E).  Returns how many.
 */
size_t depgraph_mark_cycles(const struct depgraph *g, char *on_cycle);

/*
 * The nodes in dependency order (dependencies first; ties by identity),
 * into order[0..g->n).  Returns 0, or -1 when a cycle leaves some out.
 */
int depgraph_order(const struct depgraph *g, size_t *order);

/*
 * The names d depends on (REF_DEPENDS: links, volumes from, network), in
 * defn_each_ref() order, at most max into out.  Returns how many.
 */
size_t defn_dependencies(const struct defn *d, const char **out, size_t max);

#endif
