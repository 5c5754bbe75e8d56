#ifndef DOCKERUP_SLOT_H
#define DOCKERUP_SLOT_H

/*
 * The engine's side of rolling slots (issue #17): it asks its fetcher,
 * which asks the etcd loader (src/fetcher/rolling.c), and waits for the
 * answer at most ROLLING_ASK_WAIT_MS.  Whatever else the fetcher sends
 * meanwhile (a new desired state) is kept, in order, and handed to the
 * engine's dispatch after the run (slot_deferred_next()).
 */
#include <stddef.h>

#include "imsg.h"
#include "wire.h"

/* The channel to the fetcher (its struct stays the engine's). */
void slot_init(struct imsgbuf *fetcher);
/*
 * One of k slots for ident's update to hash: the answer, with the
 * loader's text (who holds the slots, why it failed) in why.
 * SLOT_UNREACHABLE when no answer came in time.
 */
enum slot_result slot_take(
    const char *ident, const char *hash, int k, char *why, size_t whylen);
/* The update of a slot taken settled (or never happened). */
void slot_release(const char *ident, const char *hash,
    enum slot_outcome outcome, const char *why);
/* This host's status for the fleet (a JSON object), for the loader. */
void slot_publish(const char *json, size_t len);
/*
 * Waits (at most ROLLING_ASK_WAIT_MS) until the loader did every release
 * sent: before a single run ends, when the processes go.
 */
void slot_flush(void);
/* An answer that came too late, read by the engine's dispatch: checked,
 * then ignored (the slot was released when the wait ended).  0, or -1. */
int slot_late_answer(const struct imsg *m);
/*
 * A message kept during a wait, oldest first: 1 with *m (valid until the
 * next call), 0 when none is left.
 */
int slot_deferred_next(struct imsg *m);
/* The fetcher's channel was replaced or dropped: what was kept goes. */
void slot_forget(void);
/* The channel broke during a wait (EOF, garbage): the engine drops it. */
int slot_channel_broken(void);
/*
 * Whether this answer was already logged for ident's update to hash:
 * 0 the first time (the caller logs it), 1 after.
 */
int slot_said(const char *ident, const char *hash, enum slot_result r);

#endif
