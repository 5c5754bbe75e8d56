#ifndef DOCKERUP_ROLLING_H
#define DOCKERUP_ROLLING_H

/*
 * Rolling updates, the loader's side (issue #17): the slots a host takes
 * in etcd before it replaces the container of a definition with
 * update.rolling, the failed/ keys that stop a rollout, and this host's
 * entry under hosts/.  Key layout under "<prefix>/<group>/":
 *
 *   rolling/<ident>/<i>     i in 0..K-1; {"host", "hash", "since"} on a
 *                           lease of ROLLING_LEASE_TTL_S, kept alive while
 *                           held; created by one txn that succeeds only
 *                           when the key does not exist
 *   failed/<ident>/<hash>   {"host", "reason", "time"}: no host of the
 *                           group starts this update again
 *   hosts/<host_id>         this host's last run, on a lease of its own
 *
 * <ident> is the definition's identity with '%', '/' and anything not
 * printable written as %XX, so that one identity is one directory.
 * Only the loader (udproc.c) calls these, between the fetcher's messages.
 */
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "etcd.h"
#include "settings.h"
#include "wire.h"

void rolling_ask(const struct settings *s, const struct wire_slot_ask *a,
    struct wire_slot_answer *out);
void rolling_done(const struct settings *s, const struct wire_slot_done *d);
/* A new engine: every slot held for the old one goes. */
void rolling_reset(const struct settings *s);
/* This host's status (checked JSON) under hosts/<host_id>. */
void rolling_publish_host(
    const struct settings *s, const unsigned char *json, size_t len);
/* Milliseconds until rolling_tick() has work (keepalives), or -1. */
int rolling_next_ms(void);
void rolling_tick(const struct settings *s);
/*
 * The watch (server mode): after a slot was busy, whether the group's
 * rolling/ or failed/ keys changed since the last look.  1 when they did.
 */
int rolling_watch_changed(const struct settings *s);

#endif
