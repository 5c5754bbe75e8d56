#ifndef DOCKERUP_RESUME_H
#define DOCKERUP_RESUME_H

/*
 * An update a killed or stopped dockerup left unfinished (issue #16).
 * Every replacement carries LABEL_REPLACES (spec.h): the container it
 * replaces, and whether that one ran.  While both are there, the update
 * is not settled, and the run that finds them settles it as its health
 * gate would have (gate.h):
 *  - the new container ran: its gate goes on, counted from its
 *    State.StartedAt (update.monitor and update.deadline alike); it
 *    passes (the old one goes) or fails (the new one goes, the old one
 *    gets its name back and runs again if it ran) in this run;
 *  - the new container never ran: the update goes on from there (the old
 *    one stops unless eager, the new one starts) and its gate begins;
 *  - its definition or image changed since (the new one no longer
 *    carries the hash wanted), the update was already rolled back (held,
 *    failed.h), or the new one cannot be started: the new one goes and
 *    the old one is put back as it was (and runs again if it ran), then
 *    the definition is decided again from it.
 * So after the run there is one container per definition, never none:
 * the old one goes only once the new one passed its gate.
 */
#include "run.h"

enum resume {
	RESUME_NONE,   /* nothing unfinished */
	RESUME_GATED,  /* the gate goes on; *kp is the new container */
	RESUME_UNDONE, /* put back as before the update; *kp is the old one */
	RESUME_LEFT,   /* both left as they are (no answer, or the new one
	                  could not be removed): the next run tries again */
};

/*
 * Looks for an unfinished update among it's candidates and settles or
 * resumes it; *kp is the container kept (in, decide_keeper()'s; out, the
 * one serving it now); want is the hash it should carry (NULL unknown).
 * A dry run only says what a run would do.
 */
enum resume resume_update(
    struct run *r, struct item *it, struct ctr **kp, const char *want);

#endif
