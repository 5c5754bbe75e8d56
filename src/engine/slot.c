/*
 * Rolling slots, the engine's side (slot.h).
 */
#include "slot.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "log.h"
#include "runlog.h"
#include "xalloc.h"

struct kept {
	struct imsg_hdr hdr;
	unsigned char *data;
	size_t len;
};

static struct imsgbuf *ib;
static uint32_t seq;
static uint32_t done_seq; /* the last SLOT_DONE not answered yet */
static struct kept kept[SLOT_DEFER_MAX];
static size_t nkept, kept_at; /* kept[kept_at..nkept) wait */
static unsigned char *handed; /* the message slot_deferred_next gave */
static int broken;

/* The answers already logged, one per definition. */
static struct said {
	char ident[WIRE_IDENT_MAX];
	char hash[65];
	enum slot_result r;
} said[MAX_DEFINITIONS];
static size_t nsaid;

void
slot_init(struct imsgbuf *fetcher)
{
	ib = fetcher;
}

static long long
now_ms(void)
{
	return (long long)(mono_now() * 1000);
}

/* Keeps m for after the run; -1 when the queue is full. */
static int
keep(const struct imsg *m)
{
	struct kept *k;

	if (kept_at > 0 && kept_at == nkept)
		kept_at = nkept = 0;
	if (nkept == SLOT_DEFER_MAX)
		return -1;
	k = &kept[nkept++];
	k->hdr = m->hdr;
	k->len = m->len;
	k->data = xmalloc(m->len ? m->len : 1);
	memcpy(k->data, m->data, m->len);
	return 0;
}

int
slot_deferred_next(struct imsg *m)
{
	free(handed);
	handed = NULL;
	if (kept_at == nkept) {
		kept_at = nkept = 0;
		return 0;
	}
	handed = kept[kept_at].data;
	m->hdr = kept[kept_at].hdr;
	m->data = handed;
	m->len = kept[kept_at].len;
	m->fd = -1;
	kept_at++;
	return 1;
}

void
slot_forget(void)
{
	struct imsg m;

	while (slot_deferred_next(&m))
		;
}

int
slot_channel_broken(void)
{
	int b = broken;

	broken = 0;
	return b;
}

static int
answer_of(const struct imsg *m, struct wire_slot_answer *a)
{
	char err[128];

	if (m->hdr.type != IMSG_SLOT_ANSWER || m->hdr.sender != PROC_FETCHER ||
	    m->len != sizeof(*a))
		return -1;
	memcpy(a, m->data, sizeof(*a));
	if (wire_check_slot_answer(a, err, sizeof(err)) == -1) {
		log_warnx("from the fetcher: %s", err);
		return -1;
	}
	return 0;
}

int
slot_late_answer(const struct imsg *m)
{
	struct wire_slot_answer a;

	if (answer_of(m, &a) == -1)
		return -1;
	log_debug("a late answer about a rolling slot (%u): ignored", a.seq);
	return 0;
}

/*
 * Reads the fetcher until the answer of ask comes: 1 with *a, 0 when the
 * time is up or the channel cannot be read.
 */
static int
wait_answer(uint32_t want, struct wire_slot_answer *a, char *why, size_t whylen)
{
	long long deadline = now_ms() + ROLLING_ASK_WAIT_MS, left;
	struct imsg m;
	ssize_t n;
	int r;

	for (;;) {
		while ((r = imsg_get(ib, &m)) == 1) {
			if (m.hdr.type != IMSG_SLOT_ANSWER) {
				if (keep(&m) == 0)
					continue;
				snprintf(why, whylen,
				    "the fetcher sent more than %d messages "
				    "meanwhile",
				    SLOT_DEFER_MAX);
				broken = 1;
				return 0;
			}
			if (answer_of(&m, a) == -1) {
				snprintf(why, whylen, "a malformed answer");
				broken = 1;
				return 0;
			}
			if (a->seq == want)
				return 1;
			log_debug("a late answer about a rolling slot (%u): "
				  "ignored",
			    a->seq);
		}
		if (r == -1) {
			snprintf(why, whylen, "a malformed message stream");
			broken = 1;
			return 0;
		}
		if ((left = deadline - now_ms()) <= 0) {
			snprintf(why, whylen,
			    "no answer from the etcd loader within %d ms",
			    ROLLING_ASK_WAIT_MS);
			return 0;
		}
		struct pollfd pfd = { .fd = ib->fd, .events = POLLIN };
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR) {
			snprintf(why, whylen, "poll: %s", strerror(errno));
			return 0;
		}
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		if ((n = imsg_read(ib)) == 0 || (n < 0 && errno != EAGAIN)) {
			snprintf(why, whylen, "the fetcher is gone");
			broken = 1;
			return 0;
		}
	}
}

static void
copy_text(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src != NULL ? src : "");
	for (char *p = dst; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
}

enum slot_result
slot_take(const char *ident, const char *hash, int k, char *why, size_t whylen)
{
	struct wire_slot_answer a;
	struct wire_slot_ask ask;

	memset(&ask, 0, sizeof(ask));
	ask.seq = ++seq;
	ask.max_parallel = (uint32_t)k;
	copy_text(ask.ident, sizeof(ask.ident), ident);
	copy_text(ask.hash, sizeof(ask.hash), hash);
	if (ib == NULL || ib->fd == -1) {
		snprintf(why, whylen, "no fetcher to ask");
		return SLOT_UNREACHABLE;
	}
	if (imsg_compose(ib, IMSG_SLOT_ASK, &ask, sizeof(ask)) == -1) {
		snprintf(
		    why, whylen, "asking the fetcher: %s", strerror(errno));
		return SLOT_UNREACHABLE;
	}
	if (!wait_answer(ask.seq, &a, why, whylen)) {
		/* A slot granted after all goes at once: the loader reads
		 * this after the ask. */
		slot_release(ident, hash, SLOT_NOT_REPLACED, "");
		return SLOT_UNREACHABLE;
	}
	snprintf(why, whylen, "%s", a.why);
	return (enum slot_result)a.result;
}

void
slot_release(const char *ident, const char *hash, enum slot_outcome outcome,
    const char *why)
{
	struct wire_slot_done d;

	memset(&d, 0, sizeof(d));
	d.seq = ++seq;
	d.outcome = outcome;
	copy_text(d.ident, sizeof(d.ident), ident);
	copy_text(d.hash, sizeof(d.hash), hash);
	copy_text(d.why, sizeof(d.why), why);
	if (ib == NULL || ib->fd == -1 ||
	    imsg_compose(ib, IMSG_SLOT_DONE, &d, sizeof(d)) == -1)
		log_warnx("releasing the rolling slot of %s: no fetcher (it "
			  "frees when its lease expires)",
		    ident);
	else
		done_seq = d.seq;
}

void
slot_publish(const char *json, size_t len)
{
	unsigned char *m = xmalloc(WIRE_FLEET_HOST_SEQ + len);
	uint32_t s = ++seq;

	memcpy(m, &s, sizeof(s));
	memcpy(m + WIRE_FLEET_HOST_SEQ, json, len);
	if (ib != NULL && ib->fd != -1) {
		if (imsg_compose(ib, IMSG_FLEET_HOST, m,
			WIRE_FLEET_HOST_SEQ + len) == -1)
			log_warn("publishing this host's status");
		else
			done_seq = s;
	}
	free(m);
}

void
slot_flush(void)
{
	struct wire_slot_answer a;
	char why[256];

	if (done_seq == 0 || ib == NULL || ib->fd == -1)
		return;
	if (!wait_answer(done_seq, &a, why, sizeof(why)))
		log_warnx("releasing rolling slots: %s (they free when their "
			  "leases expire)",
		    why);
	done_seq = 0;
}

int
slot_said(const char *ident, const char *hash, enum slot_result r)
{
	struct said *s = NULL;

	for (size_t i = 0; i < nsaid && s == NULL; i++)
		if (strcmp(said[i].ident, ident) == 0)
			s = &said[i];
	if (s != NULL && strcmp(s->hash, hash) == 0 && s->r == r)
		return 1;
	if (s == NULL && nsaid < MAX_DEFINITIONS)
		s = &said[nsaid++];
	if (s == NULL) { /* full: the oldest goes */
		memmove(said, said + 1, (nsaid - 1) * sizeof(*said));
		s = &said[nsaid - 1];
	}
	copy_text(s->ident, sizeof(s->ident), ident);
	copy_text(s->hash, sizeof(s->hash), hash);
	s->r = r;
	return 0;
}
