/*
 * Rolling updates, the loader's side (rolling.h).  A slot is taken with
 * one etcd transaction per key (create only if absent) on a lease that
 * this process keeps alive while the engine holds the slot; if this
 * process, the fetcher or the engine dies, the keepalives stop and etcd
 * frees the slot after the lease's TTL.
 */
#include "rolling.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "etcd.h"
#include "log.h"
#include "schedule.h"
#include "xalloc.h"

struct held {
	char ident[WIRE_IDENT_MAX];
	char hash[65];
	char *key; /* rolling/<ident>/<i> */
	uint64_t lease;
	long long next_ms; /* its next keepalive */
};

/* A failed/ key etcd did not take yet (it was unreachable). */
struct pending_failed {
	char *key, *value;
};

static struct held held[MAX_ROLLING_HELD];
static size_t nheld;
static struct pending_failed pending[MAX_ROLLING_HELD];
static size_t npending;
static long long backoff_until, backoff_ms; /* etcd unreachable */
static int waiting;                         /* a slot was busy */
static unsigned char watch_md[SHA256_LEN];
static int watch_seen;
/* hosts/<host_id>: its lease, kept alive like a slot's */
static uint64_t host_lease;
static long long host_next_ms;

/* "<prefix>/<group>/WHAT/<ident>/" */
static char *
ident_dir(const struct settings *s, const char *what, const char *ident)
{
	char *dir = settings_etcd_group_dir(s, what);
	char *e = fleet_key_ident(ident), *out;

	xasprintf(&out, "%s%s/", dir, e);
	free(dir);
	free(e);
	return out;
}

static char *
value_json(const struct settings *s, const char *hash, const char *reason,
    const char *when)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	if (o == NULL ||
	    cJSON_AddStringToObject(o, "host", s->host_id) == NULL ||
	    cJSON_AddStringToObject(o, "hash", hash) == NULL ||
	    (reason != NULL &&
		cJSON_AddStringToObject(o, "reason", reason) == NULL) ||
	    cJSON_AddNumberToObject(o, when, (double)time(NULL)) == NULL ||
	    (text = cJSON_PrintUnformatted(o)) == NULL)
		fatal("%s", __func__);
	cJSON_Delete(o);
	return text;
}

static void
when_text(int64_t t, char *out, size_t n)
{
	if (t <= 0 || utc_text(t, out, n) == -1)
		snprintf(out, n, "an unknown time");
}

/* What the group's rolling/ and failed/ keys are now (keys only). */
static int
fingerprint(const struct settings *s, unsigned char md[SHA256_LEN])
{
	static const char *const what[] = { "rolling", "failed" };
	unsigned char all[2 * SHA256_LEN];
	struct etcd_kvs kvs;
	char *dir, err[1024];
	enum etcd_result r;

	for (size_t i = 0; i < 2; i++) {
		dir = settings_etcd_group_dir(s, what[i]);
		r = etcd_range(s, dir, 1, &kvs, err, sizeof(err));
		if (r == ETCD_OK)
			etcd_fingerprint(&kvs, all + i * SHA256_LEN);
		etcd_kvs_free(&kvs);
		free(dir);
		if (r != ETCD_OK)
			return -1;
	}
	sha256(all, sizeof(all), md);
	return 0;
}

/* ---- answers ---- */

static void answer(struct wire_slot_answer *out, enum slot_result r,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
answer(struct wire_slot_answer *out, enum slot_result r, const char *fmt, ...)
{
	va_list ap;

	out->result = r;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	/* Only printable text crosses (etcd's values are checked, err text
	 * may quote anything). */
	for (char *p = out->why; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
}

/* etcd did not answer: rolling definitions wait, with a back-off. */
static void
unreachable(struct wire_slot_answer *out, const char *err)
{
	backoff_ms = backoff_ms == 0                  ? ROLLING_BACKOFF_MIN_MS
	    : backoff_ms * 2 > ROLLING_BACKOFF_MAX_MS ? ROLLING_BACKOFF_MAX_MS
						      : backoff_ms * 2;
	backoff_until = mono_ms() + backoff_ms;
	answer(out, SLOT_UNREACHABLE,
	    "etcd: %s; the next try in %lld s or more", err,
	    (backoff_ms + 999) / 1000);
}

static struct held *
find_held(const char *ident)
{
	for (size_t i = 0; i < nheld; i++)
		if (strcmp(held[i].ident, ident) == 0)
			return &held[i];
	return NULL;
}

/* Gives the slot up: its key and its lease (best effort: else the lease
 * expires). */
static void
release(const struct settings *s, struct held *h)
{
	char err[512];

	if (etcd_delete(s, h->key, 0, err, sizeof(err)) != ETCD_OK ||
	    etcd_lease_revoke(s, h->lease, err, sizeof(err)) != ETCD_OK)
		log_warnx("releasing the rolling slot %s: %s (it frees when "
			  "its lease expires)",
		    h->key, err);
	else
		log_debug("released the rolling slot %s", h->key);
	free(h->key);
	*h = held[--nheld];
}

/* 1 held (out set), 0 not, -1 etcd failed (out set). */
static int
failed_check(const struct settings *s, const struct wire_slot_ask *a,
    struct wire_slot_answer *out)
{
	char *dir = ident_dir(s, "failed", a->ident), err[1024], when[40];
	struct fleet_value v;
	struct etcd_kvs kvs;
	enum etcd_result r;
	int found = 0;

	r = etcd_range(s, dir, 0, &kvs, err, sizeof(err));
	for (size_t i = 0; r == ETCD_OK && i < kvs.n && !found; i++) {
		if (strcmp(kvs.v[i].key + strlen(dir), a->hash) != 0)
			continue;
		found = 1;
		if (kvs.v[i].value == NULL ||
		    fleet_parse_value(
			(const char *)kvs.v[i].value, kvs.v[i].len, &v) == -1)
			answer(out, SLOT_HELD_FAILED,
			    "a failed update is recorded at %s (its value "
			    "is not in form)",
			    kvs.v[i].key);
		else {
			when_text(v.time, when, sizeof(when));
			answer(out, SLOT_HELD_FAILED,
			    "rolled back on host %s at %s: %s", v.host, when,
			    v.reason[0] ? v.reason : "(no reason given)");
		}
	}
	etcd_kvs_free(&kvs);
	free(dir);
	if (r != ETCD_OK) {
		unreachable(out, err);
		return -1;
	}
	return found;
}

/* Lists the slots: this host's own stale ones go; holders into who. */
static enum etcd_result
survey_slots(const struct settings *s, const char *dir, char *who, size_t n,
    char *err, size_t errlen)
{
	struct fleet_value v;
	struct etcd_kvs kvs;
	enum etcd_result r;
	size_t o = 0;
	char when[40];

	who[0] = '\0';
	if ((r = etcd_range(s, dir, 0, &kvs, err, errlen)) != ETCD_OK)
		return r;
	for (size_t i = 0; i < kvs.n && r == ETCD_OK; i++) {
		int ok = kvs.v[i].value != NULL &&
		    fleet_parse_value(
			(const char *)kvs.v[i].value, kvs.v[i].len, &v) == 0;
		if (ok && strcmp(v.host, s->host_id) == 0) {
			/* Ours from before (a restarted engine or loader). */
			log_info("rolling slot %s was this host's: released",
			    kvs.v[i].key);
			r = etcd_delete(s, kvs.v[i].key, 0, err, errlen);
			continue;
		}
		when_text(ok ? v.time : 0, when, sizeof(when));
		if (o < n)
			o += (size_t)snprintf(who + o, n - o, "%s%s (since %s)",
			    o ? ", " : "", ok ? v.host : "an unreadable holder",
			    when);
	}
	etcd_kvs_free(&kvs);
	return r;
}

void
rolling_ask(const struct settings *s, const struct wire_slot_ask *a,
    struct wire_slot_answer *out)
{
	char *dir = NULL, *key = NULL, *value = NULL, err[1024], who[300];
	struct held *h = find_held(a->ident);
	enum etcd_result r;
	uint64_t lease = 0;
	int created = 0;

	out->seq = a->seq;
	if (h != NULL && strcmp(h->hash, a->hash) == 0) {
		answer(out, SLOT_GRANTED, "%s (already held)", h->key);
		return;
	}
	if (h != NULL)
		release(s, h); /* an earlier rollout of it */
	if (mono_ms() < backoff_until) {
		answer(out, SLOT_UNREACHABLE,
		    "etcd did not answer a moment ago; the next try in %lld "
		    "s or more",
		    (backoff_until - mono_ms() + 999) / 1000);
		return;
	}
	if (failed_check(s, a, out) != 0)
		return;
	dir = ident_dir(s, "rolling", a->ident);
	if ((r = survey_slots(s, dir, who, sizeof(who), err, sizeof(err))) ==
		ETCD_OK &&
	    nheld >= MAX_ROLLING_HELD) {
		answer(out, SLOT_BUSY,
		    "this host holds %d slots already, the most it may",
		    MAX_ROLLING_HELD);
		goto out;
	}
	if (r == ETCD_OK)
		r = etcd_lease_grant(
		    s, ROLLING_LEASE_TTL_S, &lease, err, sizeof(err));
	value = value_json(s, a->hash, NULL, "since");
	for (uint32_t i = 0; r == ETCD_OK && !created && i < a->max_parallel;
	     i++) {
		free(key);
		xasprintf(&key, "%s%u", dir, i);
		r = etcd_create(
		    s, key, value, lease, &created, err, sizeof(err));
	}
	if (r != ETCD_OK) {
		if (lease != 0)
			(void)etcd_lease_revoke(s, lease, err + 512, 512);
		unreachable(out, err);
		goto out;
	}
	backoff_ms = 0;
	if (!created) {
		(void)etcd_lease_revoke(s, lease, err, sizeof(err));
		waiting = 1;
		watch_seen = fingerprint(s, watch_md) == 0;
		answer(out, SLOT_BUSY, "all %u slot%s held: by %s",
		    a->max_parallel, a->max_parallel == 1 ? " is" : "s are",
		    who[0] ? who : "other hosts");
		goto out;
	}
	h = &held[nheld++];
	memset(h, 0, sizeof(*h));
	memcpy(h->ident, a->ident, sizeof(h->ident));
	memcpy(h->hash, a->hash, sizeof(h->hash));
	h->key = key;
	h->lease = lease;
	h->next_ms = mono_ms() + ROLLING_KEEPALIVE_MS;
	key = NULL;
	answer(out, SLOT_GRANTED, "%s", h->key);
out:
	free(key);
	free(value);
	free(dir);
}

static void
put_failed(const struct settings *s, char *key, char *value)
{
	char err[1024];

	if (etcd_put(s, key, value, 0, err, sizeof(err)) == ETCD_OK) {
		log_info("recorded the failed update at %s", key);
		free(key);
		free(value);
		return;
	}
	log_warnx(
	    "recording the failed update at %s: %s (tried again)", key, err);
	if (npending == MAX_ROLLING_HELD) {
		free(pending[0].key);
		free(pending[0].value);
		memmove(pending, pending + 1, --npending * sizeof(*pending));
	}
	pending[npending].key = key;
	pending[npending++].value = value;
}

void
rolling_done(const struct settings *s, const struct wire_slot_done *d)
{
	struct held *h = find_held(d->ident);
	char *key, *dir;

	if (d->outcome == SLOT_ROLLED_BACK) {
		/* Before the slot goes: no host may start it again. */
		dir = ident_dir(s, "failed", d->ident);
		xasprintf(&key, "%s%s", dir, d->hash);
		free(dir);
		put_failed(s, key, value_json(s, d->hash, d->why, "time"));
	}
	if (h != NULL && strcmp(h->hash, d->hash) == 0)
		release(s, h);
}

void
rolling_reset(const struct settings *s)
{
	while (nheld > 0)
		release(s, &held[0]);
}

void
rolling_publish_host(
    const struct settings *s, const unsigned char *json, size_t len)
{
	char *dir = settings_etcd_group_dir(s, "hosts"), *key, *value,
	     err[1024];

	xasprintf(&key, "%s%s", dir, s->host_id);
	value = xmalloc(len + 1);
	memcpy(value, json, len);
	value[len] = '\0';
	/* A server's entry lives while it does; a single run's stays. */
	int leased = s->mode == MODE_SERVER;

	if (leased && host_lease == 0 &&
	    etcd_lease_grant(s, ROLLING_LEASE_TTL_S, &host_lease, err,
		sizeof(err)) != ETCD_OK)
		host_lease = 0;
	if ((leased && host_lease == 0) ||
	    etcd_put(s, key, value, host_lease, err, sizeof(err)) != ETCD_OK) {
		log_debug("publishing this host's status at %s: %s", key,
		    leased && host_lease == 0 ? "no lease" : err);
		host_lease = 0; /* a new one next time */
	} else
		host_next_ms = mono_ms() + ROLLING_KEEPALIVE_MS;
	free(value);
	free(key);
	free(dir);
}

int
rolling_next_ms(void)
{
	long long next = -1, now = mono_ms();

	for (size_t i = 0; i < nheld; i++)
		if (next == -1 || held[i].next_ms < next)
			next = held[i].next_ms;
	if (host_lease != 0 && (next == -1 || host_next_ms < next))
		next = host_next_ms;
	if (npending > 0 && (next == -1 || now + ROLLING_KEEPALIVE_MS < next))
		next = now + ROLLING_KEEPALIVE_MS;
	if (next == -1)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

void
rolling_tick(const struct settings *s)
{
	long long now = mono_ms();
	char err[1024];
	size_t n = npending;
	int alive;

	for (size_t i = 0; i < nheld;) {
		struct held *h = &held[i];
		if (h->next_ms > now) {
			i++;
			continue;
		}
		if (etcd_lease_keepalive(
			s, h->lease, &alive, err, sizeof(err)) != ETCD_OK) {
			log_warnx(
			    "keeping the rolling slot %s: %s", h->key, err);
			h->next_ms = now + ROLLING_KEEPALIVE_MS / 2;
			i++;
			continue;
		}
		if (alive) {
			h->next_ms = now + ROLLING_KEEPALIVE_MS;
			i++;
			continue;
		}
		log_warnx(
		    "the rolling slot %s was lost: its lease expired", h->key);
		free(h->key);
		*h = held[--nheld];
	}
	if (host_lease != 0 && host_next_ms <= now) {
		if (etcd_lease_keepalive(
			s, host_lease, &alive, err, sizeof(err)) != ETCD_OK ||
		    !alive)
			host_lease = 0; /* the next run publishes again */
		else
			host_next_ms = now + ROLLING_KEEPALIVE_MS;
	}
	npending = 0;
	for (size_t i = 0; i < n; i++)
		put_failed(s, pending[i].key, pending[i].value);
}

int
rolling_watch_changed(const struct settings *s)
{
	unsigned char md[SHA256_LEN];
	int changed;

	if (!waiting || fingerprint(s, md) == -1)
		return 0;
	changed = watch_seen && memcmp(md, watch_md, sizeof(md)) != 0;
	memcpy(watch_md, md, sizeof(md));
	watch_seen = 1;
	if (changed)
		waiting = watch_seen = 0;
	return changed;
}
