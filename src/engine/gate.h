#ifndef DOCKERUP_GATE_H
#define DOCKERUP_GATE_H

/*
 * The health gate of replacements (issue #16).  A replaced definition's
 * new container is started while the old one is kept, renamed out of the
 * way (running with update.eager, stopped otherwise).  The new one must
 * stay running for update.monitor seconds and, when it has a health check
 * (its own or its image's), be healthy within update.deadline.  Every
 * pending gate of a run is watched in one loop, so N gates take about one
 * monitor period.  Pass: the old container goes.  Fail: the new one goes,
 * the old one gets its name back (and runs again if it ran), one line
 * says why, and the combination is held back (failed.h) -- unless
 * update.rollback is false, when the new one is kept with a warning.
 * A stop asked for during a gate leaves both containers as they are:
 * the next run finds the update from their labels and finishes its gate
 * (resume.h).
 */
#include <stddef.h>
#include <stdint.h>

struct run;
struct item;

struct gate {
	struct item *it;
	size_t old;         /* the old container, an index into run.ctrs */
	char nid[65];       /* the new container */
	char want[65];      /* the hash it carries */
	char image[80];     /* its image ID */
	int old_running;    /* the old one ran before the update */
	size_t report_item; /* its record in the report, 1 + index */
	double started;     /* when the new one was started (monotonic) */
	int health;         /* a health check was seen */
};

struct gate_set {
	struct gate *v;
	size_t n;
};

/* The new container nid of it was started; k (old) is kept for now. */
void gate_add(struct run *r, struct item *it, size_t old, const char *nid,
    const char *want, int old_running);
/*
 * The gate of an update an earlier run left (resume.h): the new
 * container nid has run up seconds already.
 */
void gate_resume(struct run *r, struct item *it, size_t old, const char *nid,
    const char *want, int old_running, double up);
/* Whether c is the old container of a pending gate (no duplicate). */
struct ctr;
int gate_keeps(const struct run *r, const struct ctr *c);
/* Whether it has a gate pending. */
int gate_pending(struct run *r, const struct item *it);
/* Whether a dependency of it, or a container it signals, has a gate. */
int gate_waits(struct run *r, const struct item *it);
/* Watches every pending gate until each passes or fails. */
void gate_run(struct run *r);
void gate_set_free(struct gate_set *g);

/*
 * Whether the update of it to want was rolled back before and is held:
 * then its plan line says why, the run's status is 1, and 1 is returned.
 */
int gate_held(struct run *r, struct item *it, const char *want);

/* The last lines of a container's output, joined by " | ". */
void gate_log_tail(struct run *r, const char *id, char *out, size_t outlen);

#endif
