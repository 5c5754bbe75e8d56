#ifndef DOCKERUP_CLAIM_H
#define DOCKERUP_CLAIM_H

/*
 * Which containers belong to which definition: the run's items, their
 * candidates, the one kept.
 */
#include "run.h"

/* The item of the definition ident; NULL none. */
struct item *item_by_ident(struct run *r, const char *ident);
void item_add_cand(struct item *it, size_t ci);
/* One item per definition, indexed by identity. */
void run_index_items(struct run *r);
/* Each container to the definition whose label, else name, it carries. */
void run_claim(struct run *r);
/* decide_keeper() over the item's candidates; NULL none. */
struct ctr *item_keeper(struct run *r, const struct item *it, const char *want);
/* decide_peer_fn over the run's items (arg: the run). */
int run_peer(void *arg, const char *ident, struct decide_peer *out);

#endif
