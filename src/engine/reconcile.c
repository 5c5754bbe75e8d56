/*
 * One reconcile run (issue #4, "One run"): observe the host with a fixed
 * number of calls, then walk the definitions in dependency order and
 * create, replace, start or leave each one's container, then remove what
 * no definition declares and prune dangling images.
 *
 * Which container belongs to which definition is decided by the labels
 * dockerup puts on every container it creates (spec.h), so the outcome
 * does not depend on any cache and survives restarts, manual changes and
 * a dockerup killed at any point:
 *  - every container labelled with a definition's identity, or holding
 *    its name, is a candidate of that definition;
 *  - the best candidate is kept (right hash, running, right name, newest)
 *    and every other one is removed as a duplicate;
 *  - a kept container carrying an old name (renamed out of the way by an
 *    interrupted replace) gets its name back.
 */
#include "reconcile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "bounds.h"
#include "ctrops.h"
#include "docker.h"
#include "image.h"
#include "log.h"
#include "observe.h"
#include "regauth.h"
#include "selfup.h"
#include "spec.h"
#include "status.h"
#include "validate.h"

enum act {
	ACT_NONE = 0, /* matches and runs */
	ACT_CREATE,   /* no container */
	ACT_REPLACE,  /* hash differs, or a dependency was recreated */
	ACT_START,    /* declared but not running */
	ACT_RENAME,   /* matches but carries an old name */
	ACT_FINISHED, /* restart never, exited on its own: leave it */
};

struct item {
	const struct defn *d;
	char *ident;  /* defn_identity(d) */
	size_t *cand; /* candidate containers, indices into ctrs */
	size_t ncand;
	char cur_id[65]; /* the container serving it now; "" none */
	int recreated;   /* created or replaced in this run */
	int deferred;    /* its creation waits in run.launches */
};

struct keyidx {
	const char *key;
	size_t idx;
};

struct run {
	struct docker *dk;
	const struct settings *s;
	const struct desired_state *st;
	struct run_report *rep;
	int dry;
	int lost; /* the engine stopped answering */
	const char *self_id;
	struct ctr_list ctrs;
	struct img_list imgs;
	struct image_cache images;
	struct image_env ienv;
	struct item *items;
	size_t nitems;
	struct keyidx *by_ident; /* items sorted by identity */
	struct item *self_item;  /* the definition of our own container */
	char leave_id[65];       /* handed over: remove this container last */
	int removals_confirmed;  /* the mass-removal brake is released */
	struct launch_set launches; /* new containers created together */
	unsigned char *port_busy;   /* host ports the queued ones bind */
};

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void plan(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One action with its reason: printed by a dry run, logged by a run. */
static void
plan(struct run *r, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	report_plan(r->rep, line);
	if (r->dry && r->s->format == OUTPUT_JSON)
		return; /* the engine prints the JSON plan at the end */
	if (r->dry) {
		char esc[4 * sizeof(line)];
		log_escape(line, LOG_ESC_TEXT, esc, sizeof(esc));
		printf("%s\n", esc);
		fflush(stdout);
	} else
		log_info("%s", line);
}

static void
plan_cb(void *arg, const char *line)
{
	plan(arg, "%s", line);
}

static void fail(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct run *r, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s", msg);
	report_fail(r->rep, msg);
	r->rep->failed++;
	r->rep->exit_code = 1;
}

/* Folds an operation's result into the run; returns it. */
static int
op_done(struct run *r, int rc)
{
	if (rc == OP_LOST)
		r->lost = 1;
	return rc;
}

static const char *
ctr_label(const struct ctr *c)
{
	return c->name[0] ? c->name : c->id;
}

static int
is_self(const struct run *r, const struct ctr *c)
{
	size_t n;

	if (r->self_id == NULL)
		return 0;
	n = strlen(r->self_id);
	return n >= 12 ? strncmp(c->id, r->self_id, n) == 0
		       : strcmp(c->id, r->self_id) == 0;
}

static int
keyidx_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct keyidx *)a)->key, ((const struct keyidx *)b)->key);
}

static struct item *
item_by_ident(struct run *r, const char *ident)
{
	struct keyidx k = { .key = ident }, *hit;

	if (r->nitems == 0)
		return NULL;
	hit = bsearch(&k, r->by_ident, r->nitems, sizeof(k), keyidx_cmp);
	return hit ? &r->items[hit->idx] : NULL;
}

/* ---- observing ---- */

static int
run_list(struct run *r, const char *path, struct docker_resp *resp, char *err,
    size_t errlen)
{
	struct docker_req rq = { .method = "GET", .path = path };
	long st = docker_request(r->dk, &rq, resp, err, errlen);

	if (st == 200)
		return 0;
	if (st > 0 && st < 400)
		snprintf(err, errlen, "GET %s: unexpected HTTP %ld", path, st);
	return -1;
}

/* /_ping, one container list, one image list. */
static int
run_observe(struct run *r, char *err, size_t errlen)
{
	struct docker_resp resp;
	int rc = -1;

	if (docker_ping(r->dk, err, errlen) == -1)
		return -1;
	docker_resp_init(&resp);
	if (run_list(r, "/containers/json?all=1", &resp, err, errlen) == -1 ||
	    observe_parse_containers((const char *)resp.body.p, resp.body.len,
		&r->ctrs, err, errlen) == -1)
		goto done;
	if (run_list(r, "/images/json", &resp, err, errlen) == -1 ||
	    observe_parse_images((const char *)resp.body.p, resp.body.len,
		&r->imgs, err, errlen) == -1)
		goto done;
	rc = 0;
done:
	docker_resp_free(&resp);
	return rc;
}

/*
 * Reads the credentials again (they may have changed since the last run);
 * when that fails the last good ones are used.  A file the sandboxed
 * engine may not read (root-only, with a tcp endpoint) is not an error:
 * what was read at start is used.
 */
static void
run_load_auth(struct run *r)
{
	static int helpers_said, clear_said;
	static const struct regauth none; /* no credential at all */
	struct regauth *ra = docker_regauth(r->dk);
	char err[1024];
	int rc;

	if (docker_in_clear(r->dk)) {
		if (!clear_said++)
			log_warnx("registry credentials are never sent to %s: "
				  "a tcp:// endpoint without TLS would carry "
				  "them in clear (allow_insecure_tcp); images "
				  "are pulled without credentials",
			    docker_remote(r->dk));
		r->ienv.auth = &none;
		return;
	}

	rc = regauth_reload(ra, r->s->registry_auth, err, sizeof(err));
	if (rc == REGAUTH_DENIED)
		log_debug("%s; using the credentials read at start", err);
	else if (rc != 0) {
		log_warnx("%s; using the last good credentials (%zu "
			  "registries)",
		    err, ra->n);
		r->rep->exit_code = 1;
	}
	r->ienv.auth = ra;
	if (ra->helpers && !helpers_said) {
		helpers_said = 1;
		log_warnx(
		    "registry credentials: credsStore and credHelpers "
		    "are not supported (dockerup runs no helper programs); "
		    "only \"auths\" entries are used");
	}
}

/* ---- which containers belong to which definition ---- */

static void
item_add_cand(struct item *it, size_t ci)
{
	size_t *nv = realloc(it->cand, (it->ncand + 1) * sizeof(*nv));

	if (nv == NULL)
		fatal("%s", __func__);
	it->cand = nv;
	it->cand[it->ncand++] = ci;
}

static void
run_index_items(struct run *r)
{
	r->nitems = r->st->ndefs;
	if (r->nitems == 0)
		return;
	r->items = calloc(r->nitems, sizeof(*r->items));
	r->by_ident = calloc(r->nitems, sizeof(*r->by_ident));
	if (r->items == NULL || r->by_ident == NULL)
		fatal("%s", __func__);
	for (size_t i = 0; i < r->nitems; i++) {
		r->items[i].d = &r->st->defs[i];
		r->items[i].ident = defn_identity(&r->st->defs[i]);
		if (r->items[i].ident == NULL)
			fatal("%s", __func__);
		r->by_ident[i].key = r->items[i].ident;
		r->by_ident[i].idx = i;
	}
	qsort(r->by_ident, r->nitems, sizeof(*r->by_ident), keyidx_cmp);
}

/*
 * Labels first (they survive renames), then names: a container holding a
 * declared name that no label claims is that definition's too, so that a
 * container made by hand or by the original tool is taken over.
 */
static void
run_claim(struct run *r)
{
	struct keyidx *names;
	struct item *it;
	size_t nn = 0;

	for (size_t c = 0; c < r->ctrs.n; c++) {
		struct ctr *k = &r->ctrs.v[c];
		if (k->label_id && (it = item_by_ident(r, k->label_id))) {
			item_add_cand(it, c);
			k->claimed = 1;
		}
	}
	if (r->ctrs.n == 0)
		return;
	if ((names = calloc(r->ctrs.n, sizeof(*names))) == NULL)
		fatal("%s", __func__);
	for (size_t c = 0; c < r->ctrs.n; c++)
		if (!r->ctrs.v[c].claimed && r->ctrs.v[c].name[0]) {
			names[nn].key = r->ctrs.v[c].name;
			names[nn++].idx = c;
		}
	qsort(names, nn, sizeof(*names), keyidx_cmp);
	for (size_t i = 0; i < r->nitems && nn > 0; i++) {
		struct keyidx k = { .key = r->items[i].d->name }, *hit;
		if (k.key == NULL ||
		    (hit = bsearch(&k, names, nn, sizeof(k), keyidx_cmp)) ==
			NULL)
			continue;
		item_add_cand(&r->items[i], hit->idx);
		r->ctrs.v[hit->idx].claimed = 1;
	}
	free(names);
}

static int
cand_score(const struct item *it, const struct ctr *c, const char *want)
{
	int score = 0;

	if (want && c->label_hash && strcmp(c->label_hash, want) == 0)
		score += 4;
	if (ctr_running(c))
		score += 2;
	if (it->d->name == NULL || strcmp(c->name, it->d->name) == 0)
		score += 1;
	return score;
}

/* The candidate to keep: right hash, running, right name, newest. */
static struct ctr *
item_keeper(struct run *r, const struct item *it, const char *want)
{
	struct ctr *best = NULL, *c;
	int bs = -1, s;

	for (size_t i = 0; i < it->ncand; i++) {
		c = &r->ctrs.v[it->cand[i]];
		if (c->removed)
			continue;
		s = cand_score(it, c, want);
		if (s > bs || (s == bs && c->created > best->created)) {
			best = c;
			bs = s;
		}
	}
	return best;
}

/* ---- deciding ---- */

/*
 * Whether k shares the network of a container that is no longer the one
 * its definition runs now (replaced in a run that was interrupted before
 * k was recreated): the list's HostConfig.NetworkMode says so for free.
 */
static const char *
item_stale_network(struct run *r, const struct item *it, const struct ctr *k)
{
	const char *net = it->d->network;
	struct item *dep;

	if (net == NULL || strncmp(net, "container:", 10) != 0 ||
	    k->network_mode == NULL ||
	    (dep = item_by_ident(r, net + 10)) == NULL ||
	    dep->cur_id[0] == '\0')
		return NULL;
	if (strncmp(k->network_mode, "container:", 10) == 0 &&
	    strcmp(k->network_mode + 10, dep->cur_id) == 0)
		return NULL;
	return net + 10;
}

/* The first dependency whose container was created or replaced. */
static const char *
item_recreated_dep(struct run *r, const struct item *it, const struct ctr *k)
{
	const char *deps[MAX_LIST_ITEMS + MAX_VOLUMES + 1];
	size_t n =
	    defn_dependencies(it->d, deps, sizeof(deps) / sizeof(deps[0]));
	struct item *dep;

	for (size_t i = 0; i < n; i++)
		if ((dep = item_by_ident(r, deps[i])) != NULL && dep->recreated)
			return deps[i];
	return item_stale_network(r, it, k);
}

static enum act
decide_changed(struct run *r, const struct item *it, const struct ctr *k,
    const struct image_state *img, char *why, size_t whylen)
{
	char *now, fields[256];

	if (k->label_hash == NULL)
		snprintf(why, whylen, "not created by dockerup");
	else if (img->id == NULL)
		snprintf(why, whylen, "image %s not present locally", img->ref);
	else if (img->outdated)
		snprintf(why, whylen, "image %s updated %.19s.. -> %.19s..",
		    img->ref, k->image_id, img->remote_digest);
	else if (strcmp(k->image_id, img->id) != 0)
		snprintf(why, whylen, "image %s updated %.19s.. -> %.19s..",
		    img->ref, k->image_id, img->id);
	else {
		if ((now = spec_field_hashes(it->d)) == NULL)
			fatal("%s", __func__);
		spec_fields_changed(
		    k->label_fields, now, fields, sizeof(fields));
		free(now);
		snprintf(why, whylen, "definition changed%s%s",
		    fields[0] ? ": " : "", fields);
	}
	return ACT_REPLACE;
}

/* A restart:never container that exited on its own: a finished job. */
static int
finished_job(const struct item *it, const struct ctr *k)
{
	return it->d->restart == RESTART_NEVER &&
	    strcmp(k->state, "exited") == 0;
}

static enum act
item_decide(struct run *r, struct item *it, const struct ctr *k,
    const struct image_state *img, const char *want, char *why, size_t whylen)
{
	const char *dep;

	if (k == NULL) {
		snprintf(why, whylen, "new definition");
		return ACT_CREATE;
	}
	if (want == NULL || k->label_hash == NULL ||
	    strcmp(k->label_hash, want) != 0)
		return decide_changed(r, it, k, img, why, whylen);
	if ((dep = item_recreated_dep(r, it, k)) != NULL) {
		snprintf(why, whylen, "depends on %s", dep);
		return ACT_REPLACE;
	}
	if (strcmp(k->state, "dead") == 0) {
		snprintf(why, whylen, "dead");
		return ACT_REPLACE;
	}
	if (it->d->name && strcmp(k->name, it->d->name) != 0) {
		snprintf(why, whylen, "recovering an interrupted replace");
		return ACT_RENAME;
	}
	if (!ctr_running(k)) {
		if (finished_job(it, k))
			return ACT_FINISHED;
		snprintf(why, whylen, "not running");
		return ACT_START;
	}
	return ACT_NONE;
}

/* ---- acting ---- */

static int
ctr_set_name(struct ctr *c, const char *name)
{
	char *n = strdup(name);

	if (n == NULL)
		fatal("%s", __func__);
	free(c->name);
	c->name = n;
	return 0;
}

/*
 * Stops (when running) and removes a container we decided to drop;
 * stop_s is its definition's stopTimeout (DOCKER_STOP_TIMEOUT_S for a
 * container no definition declares).
 */
static int
drop_container(
    struct run *r, struct ctr *c, int64_t stop_s, char *err, size_t errlen)
{
	if (ctr_running(c) &&
	    op_done(r, op_stop(r->dk, c->id, stop_s, err, errlen)) != OP_OK)
		return -1;
	if (op_done(r, op_remove(r->dk, c->id, err, errlen)) != OP_OK)
		return -1;
	c->removed = 1;
	return 0;
}

static void
remove_dup(struct run *r, const struct item *it, struct ctr *c)
{
	char err[1024];

	if (is_self(r, c)) {
		log_info("keeping %s (duplicate of %s) running: it is "
			 "dockerup's own container",
		    ctr_label(c), it->ident);
		return;
	}
	plan(r, "remove %s (duplicate of %s)", ctr_label(c), it->ident);
	if (r->dry) {
		c->removed = 1;
		r->rep->removed++;
		return;
	}
	if (drop_container(r, c, it->d->stop_timeout, err, sizeof(err)) == -1)
		fail(r, "remove %s (duplicate of %s): %s", ctr_label(c),
		    it->ident, err);
	else
		r->rep->removed++;
}

/* Removes the candidates other than k; only those holding the name. */
static void
remove_dups(struct run *r, const struct item *it, const struct ctr *k,
    int only_name_holders)
{
	struct ctr *c;

	for (size_t i = 0; i < it->ncand && !r->lost; i++) {
		c = &r->ctrs.v[it->cand[i]];
		if (c == k || c->removed)
			continue;
		if (only_name_holders &&
		    (it->d->name == NULL || strcmp(c->name, it->d->name) != 0))
			continue;
		remove_dup(r, it, c);
	}
}

static int
has_dups(struct run *r, const struct item *it, const struct ctr *k)
{
	for (size_t i = 0; i < it->ncand; i++) {
		const struct ctr *c = &r->ctrs.v[it->cand[i]];
		if (c != k && !c->removed && !is_self(r, c))
			return 1;
	}
	return 0;
}

/* NetworkMode with container:NAME resolved to that container's ID. */
static int
item_network(struct run *r, const struct item *it, char *out, size_t outlen,
    char *err, size_t errlen)
{
	const char *net = it->d->network;
	struct item *dep;

	if (net == NULL || strncmp(net, "container:", 10) != 0) {
		snprintf(out, outlen, "%s", net ? net : "");
		return 0;
	}
	if ((dep = item_by_ident(r, net + 10)) == NULL ||
	    dep->cur_id[0] == '\0') {
		snprintf(err, errlen, "network %s: %s has no container", net,
		    net + 10);
		return -1;
	}
	snprintf(out, outlen, "container:%s", dep->cur_id);
	return 0;
}

/* The create body of it's container; NULL with err set. */
static char *
create_body(struct run *r, const struct item *it, const char *want, char *err,
    size_t errlen)
{
	struct spec_ctx sc = { .identity = it->ident, .hash = want };
	char net[128], *fields;
	cJSON *body;
	char *json;

	if (item_network(r, it, net, sizeof(net), err, errlen) == -1)
		return NULL;
	sc.network_mode = net[0] ? net : NULL;
	if ((fields = spec_field_hashes(it->d)) == NULL)
		fatal("%s", __func__);
	sc.fields = fields;
	if ((body = spec_create_body(it->d, &sc)) == NULL ||
	    (json = cJSON_PrintUnformatted(body)) == NULL)
		fatal("%s", __func__);
	cJSON_Delete(body);
	free(fields);
	return json;
}

static int
create_container(struct run *r, const struct item *it, const char *want,
    char id[65], char *err, size_t errlen)
{
	char *json;
	int rc;

	if ((json = create_body(r, it, want, err, errlen)) == NULL)
		return OP_FAILED;
	rc = op_done(r, op_create(r->dk, it->d->name, json, id, err, errlen));
	free(json);
	return rc;
}

/* signal: after this container (re)started, signal the named ones. */
static void
item_signals(struct run *r, const struct item *it)
{
	const struct kvlist *sig = &it->d->signals;
	char err[1024];

	for (size_t i = 0; i < sig->n && !r->lost; i++) {
		plan(r, "signal %s %s (%s restarted)", sig->v[i].key,
		    sig->v[i].value, it->ident);
		if (r->dry)
			continue;
		if (op_done(r,
			op_kill(r->dk, sig->v[i].key, sig->v[i].value, err,
			    sizeof(err))) != OP_OK)
			log_warnx("signal %s %s after %s restarted: %s",
			    sig->v[i].key, sig->v[i].value, it->ident, err);
	}
}

static void flush_launches(struct run *r);

/* One bit per fixed host port and protocol: O(1) per port. */
#define PORT_BIT(p) ((size_t)(p)->host_port * 2 + ((p)->udp != 0))

/*
 * Marks (on) or clears the fixed host ports of d; with on, returns 1 and
 * marks nothing when one is already marked.
 */
static int
ports_mark(struct run *r, const struct defn *d, int on)
{
	if (r->port_busy == NULL &&
	    (r->port_busy = calloc(65536 * 2 / 8, 1)) == NULL)
		fatal("%s", __func__);
	for (size_t i = 0; on && i < d->nports; i++) {
		size_t b = PORT_BIT(&d->ports[i]);
		if (d->ports[i].host_port != 0 &&
		    (r->port_busy[b / 8] >> (b % 8)) & 1)
			return 1;
	}
	for (size_t i = 0; i < d->nports; i++) {
		size_t b = PORT_BIT(&d->ports[i]);
		if (d->ports[i].host_port == 0)
			continue;
		if (on)
			r->port_busy[b / 8] |= (unsigned char)(1u << (b % 8));
		else
			r->port_busy[b / 8] &= (unsigned char)~(1u << (b % 8));
	}
	return 0;
}

/*
 * Queues a new container for flush_launches(); -1 when it cannot wait
 * (then item_create() goes on and reports why).  A host port a queued one
 * binds too flushes the queue first, so that the first in order gets it,
 * as one by one.
 */
static int
defer_create(struct run *r, struct item *it, const char *want)
{
	char err[1024], *json, *name = NULL;
	struct launch *l;

	if (it->ncand > 0 ||
	    (json = create_body(r, it, want, err, sizeof(err))) == NULL)
		return -1;
	if (ports_mark(r, it->d, 1)) {
		flush_launches(r);
		(void)ports_mark(r, it->d, 1);
	}
	if ((it->d->name && (name = strdup(it->d->name)) == NULL) ||
	    (l = launch_add(&r->launches, name, json)) == NULL)
		fatal("%s", __func__);
	l->arg = it;
	l->report_item = r->rep->cur_item;
	it->deferred = 1;
	return 0;
}

static int
item_create(struct run *r, struct item *it, const char *want)
{
	char id[65], err[1024];

	if (defer_create(r, it, want) == 0)
		return 0;
	if (create_container(r, it, want, id, err, sizeof(err)) != OP_OK) {
		fail(r, "create %s: %s", it->ident, err);
		return -1;
	}
	memcpy(it->cur_id, id, sizeof(id));
	it->recreated = 1;
	if (op_done(r, op_start(r->dk, id, err, sizeof(err))) != OP_OK) {
		fail(r, "start %s: %s", it->ident, err);
		return -1;
	}
	r->rep->created++;
	item_signals(r, it);
	return 0;
}

/*
 * Creates, then starts, the queued new containers concurrently, and
 * reports each, in order, as item_create() would have.
 */
static void
flush_launches(struct run *r)
{
	size_t saved = r->rep->cur_item;

	if (r->launches.n == 0)
		return;
	if (!r->lost)
		launch_run(r->dk, &r->launches);
	for (size_t i = 0; i < r->launches.n; i++) {
		struct launch *l = &r->launches.v[i];
		struct item *it = l->arg;
		const char *why = l->err[0] ? l->err
					    : "not sent: the Docker "
					      "engine stopped answering";
		it->deferred = 0;
		(void)ports_mark(r, it->d, 0);
		r->rep->cur_item = l->report_item;
		op_done(r, l->rc_create);
		if (l->rc_create != OP_OK) {
			fail(r, "create %s: %s", it->ident, why);
			continue;
		}
		memcpy(it->cur_id, l->id, sizeof(l->id));
		it->recreated = 1;
		report_item_end(r->rep, it->cur_id);
		r->rep->cur_item = l->report_item;
		if (op_done(r, l->rc_start) != OP_OK) {
			fail(r, "start %s: %s", it->ident, why);
			continue;
		}
		r->rep->created++;
		item_signals(r, it);
	}
	r->rep->cur_item = saved;
	launch_clear(&r->launches);
}

/*
 * Whether a dependency of it, or a container it signals (which must be
 * up before the signal, as one by one), waits in run.launches.
 */
static int
item_waits(struct run *r, const struct item *it)
{
	const char *deps[MAX_LIST_ITEMS + MAX_VOLUMES + 1];
	size_t n;
	struct item *dep;

	if (r->launches.n == 0)
		return 0;
	n = defn_dependencies(it->d, deps, sizeof(deps) / sizeof(deps[0]));
	for (size_t i = 0; i < n; i++)
		if ((dep = item_by_ident(r, deps[i])) != NULL && dep->deferred)
			return 1;
	for (size_t i = 0; i < it->d->signals.n; i++)
		if ((dep = item_by_ident(r, it->d->signals.v[i].key)) != NULL &&
		    dep->deferred)
			return 1;
	return 0;
}

/* Puts the old container back under its name after a failed replace. */
static void
restore_old(struct run *r, struct item *it, struct ctr *k, int restart)
{
	char err[1024];

	if (r->lost)
		return;
	if (it->d->name && strcmp(k->name, it->d->name) != 0) {
		if (op_done(r,
			op_rename(r->dk, k->id, it->d->name, err,
			    sizeof(err))) != OP_OK)
			log_warnx("could not give %s its name back: %s",
			    ctr_label(k), err);
		else
			ctr_set_name(k, it->d->name);
	}
	if (restart &&
	    op_done(r, op_start(r->dk, k->id, err, sizeof(err))) != OP_OK)
		log_warnx("could not restart the old %s: %s", it->ident, err);
	snprintf(it->cur_id, sizeof(it->cur_id), "%s", k->id);
}

/* Host ports (" 80/tcp ...") the definition binds, or NULL when none. */
static char *
defn_host_ports(const struct defn *d)
{
	struct buf b;
	char *s = NULL;

	buf_init(&b, MAX_PORTS * 16 + 2);
	buf_append_str(&b, " ");
	for (size_t i = 0; i < d->nports; i++)
		if (d->ports[i].host_port != 0)
			buf_printf(&b, "%u/%s ", d->ports[i].host_port,
			    d->ports[i].udp ? "udp" : "tcp");
	if (b.len > 1 && (s = strdup(buf_cstr(&b))) == NULL)
		fatal("%s", __func__);
	buf_free(&b);
	return s;
}

/* Whether old and new bind a same host port (eager must then stop first). */
static int
ports_clash(struct run *r, const struct item *it, const struct ctr *k,
    char *port, size_t portlen)
{
	char *want = defn_host_ports(it->d), *have = NULL, err[1024];
	int clash = 0;

	if (want == NULL)
		return 0;
	if (op_done(r, op_host_ports(r->dk, k->id, &have, err, sizeof(err))) !=
	    OP_OK) {
		log_warnx("inspect %s: %s; assuming its ports clash",
		    ctr_label(k), err);
		clash = 1;
		snprintf(port, portlen, "(unknown)");
	}
	for (char *p = want + 1; have && *p && !clash;
	     p += strcspn(p, " ") + 1) {
		size_t n = strcspn(p, " ");
		char item[24];
		snprintf(item, sizeof(item), " %.*s ", (int)n, p);
		if (strstr(have, item)) {
			clash = 1;
			snprintf(port, portlen, "%.*s", (int)n, p);
		}
	}
	free(want);
	free(have);
	return clash;
}

/*
 * Takes the old container's name away so the new one can have it.  0 done
 * (or not needed), 1 the engine refused (the caller replaces without a
 * rename), -1 no answer.
 */
static int
rename_out_of_way(struct run *r, const struct item *it, struct ctr *k)
{
	char oldname[MAX_NAME_LEN + 64], err[1024];
	int rc;

	if (it->d->name == NULL || strcmp(k->name, it->d->name) != 0)
		return 0;
	snprintf(oldname, sizeof(oldname), "%s" OLD_NAME_INFIX "%.12s",
	    it->d->name, k->id);
	rc = op_done(r, op_rename(r->dk, k->id, oldname, err, sizeof(err)));
	if (rc == OP_LOST)
		return -1;
	if (rc == OP_FAILED) {
		log_warnx("replace %s: cannot rename the old container to %s: "
			  "%s; it is stopped and removed before the new one is "
			  "created",
		    it->ident, oldname, err);
		return 1;
	}
	ctr_set_name(k, oldname);
	return 0;
}

/* The fallback when the old container cannot be renamed. */
static int
replace_in_place(struct run *r, struct item *it, struct ctr *k,
    const char *want, char nid[65])
{
	char err[1024];

	if (drop_container(r, k, it->d->stop_timeout, err, sizeof(err)) == -1) {
		fail(r, "replace %s: remove the old container: %s", it->ident,
		    err);
		return -1;
	}
	it->cur_id[0] = '\0';
	if (create_container(r, it, want, nid, err, sizeof(err)) != OP_OK) {
		fail(r,
		    "replace %s: create the new container: %s (the old one "
		    "is gone; the next run tries again)",
		    it->ident, err);
		return -1;
	}
	snprintf(it->cur_id, sizeof(it->cur_id), "%s", nid);
	if (op_done(r, op_start(r->dk, nid, err, sizeof(err))) != OP_OK) {
		fail(r, "replace %s: start the new container: %s", it->ident,
		    err);
		return -1;
	}
	return 0;
}

static void
remove_new(struct run *r, const char *id)
{
	char err[1024];

	if (!r->lost &&
	    op_done(r, op_remove(r->dk, id, err, sizeof(err))) != OP_OK)
		log_warnx(
		    "could not remove the new container %.12s: %s", id, err);
}

/* Eager: the new one runs before the old one stops. */
static int
swap_eager(struct run *r, struct item *it, struct ctr *k, const char *nid)
{
	char err[1024];

	if (op_done(r, op_start(r->dk, nid, err, sizeof(err))) != OP_OK) {
		fail(r, "replace %s: start the new container: %s", it->ident,
		    err);
		remove_new(r, nid);
		restore_old(r, it, k, 0);
		return -1;
	}
	if (drop_container(r, k, it->d->stop_timeout, err, sizeof(err)) == -1)
		log_warnx("replace %s: remove the old container %s: %s (the "
			  "next run removes it)",
		    it->ident, ctr_label(k), err);
	return 0;
}

/* Default: the old one stops, then the new one starts. */
static int
swap_stop_first(struct run *r, struct item *it, struct ctr *k, const char *nid)
{
	char err[1024];
	int was_running = ctr_running(k);

	if (was_running &&
	    op_done(r,
		op_stop(r->dk, k->id, it->d->stop_timeout, err, sizeof(err))) !=
		OP_OK) {
		fail(r, "replace %s: stop the old container: %s", it->ident,
		    err);
		remove_new(r, nid);
		restore_old(r, it, k, 0);
		return -1;
	}
	if (op_done(r, op_start(r->dk, nid, err, sizeof(err))) != OP_OK) {
		fail(r,
		    "replace %s: start the new container: %s; the old one "
		    "is put back",
		    it->ident, err);
		remove_new(r, nid);
		restore_old(r, it, k, was_running);
		return -1;
	}
	if (op_done(r, op_remove(r->dk, k->id, err, sizeof(err))) != OP_OK)
		log_warnx("replace %s: remove the old container %s: %s (the "
			  "next run removes it)",
		    it->ident, ctr_label(k), err);
	else
		k->removed = 1;
	return 0;
}

/*
 * Pull first (done by the caller), create the new one, then swap.  The
 * old container is renamed out of the way first so that a definition the
 * engine refuses leaves it running under its name.
 */
static int
item_replace(struct run *r, struct item *it, struct ctr *k, const char *want)
{
	char nid[65], err[1024], port[32];
	int eager = it->d->update_eager, rc;

	if (eager && ports_clash(r, it, k, port, sizeof(port))) {
		log_info("replace %s: old and new both bind host port %s, so "
			 "the old one is stopped first (no eager start)",
		    it->ident, port);
		eager = 0;
	}
	if (r->lost || (rc = rename_out_of_way(r, it, k)) == -1)
		return -1;
	if (rc == 1)
		rc = replace_in_place(r, it, k, want, nid);
	else if (create_container(r, it, want, nid, err, sizeof(err)) !=
	    OP_OK) {
		fail(r,
		    "replace %s: create the new container: %s; the old one "
		    "keeps running",
		    it->ident, err);
		restore_old(r, it, k, 0);
		return -1;
	} else
		rc = eager ? swap_eager(r, it, k, nid)
			   : swap_stop_first(r, it, k, nid);
	if (rc == -1)
		return -1;
	memcpy(it->cur_id, nid, sizeof(nid));
	it->recreated = 1;
	r->rep->replaced++;
	item_signals(r, it);
	return 0;
}

static int
item_start(struct run *r, struct item *it, struct ctr *k)
{
	char err[1024];
	int rc;

	rc = op_done(r, op_start(r->dk, k->id, err, sizeof(err)));
	if (rc == OP_FAILED && has_dups(r, it, k)) {
		/* A duplicate may hold a port: drop it and try again. */
		remove_dups(r, it, k, 0);
		if (!r->lost)
			rc = op_done(
			    r, op_start(r->dk, k->id, err, sizeof(err)));
	}
	if (rc != OP_OK) {
		fail(r, "start %s: %s", it->ident, err);
		return -1;
	}
	r->rep->started++;
	item_signals(r, it);
	return 0;
}

static int
item_rename(struct run *r, struct item *it, struct ctr *k)
{
	char err[1024];

	if (op_done(
		r, op_rename(r->dk, k->id, it->d->name, err, sizeof(err))) !=
	    OP_OK) {
		fail(r, "rename %s to %s: %s", ctr_label(k), it->d->name, err);
		return -1;
	}
	ctr_set_name(k, it->d->name);
	r->rep->unchanged++;
	return 0;
}

static const char *
act_verb(enum act a, const char *why)
{
	switch (a) {
	case ACT_CREATE:
		return "create";
	case ACT_REPLACE:
		return strncmp(why, "depends on ", 11) == 0 ? "restart"
							    : "replace";
	case ACT_START:
		return "start";
	case ACT_RENAME:
		return "rename";
	default:
		return "keep";
	}
}

/* The plan line of an action, then (unless dry) the action itself. */
static void
item_act(struct run *r, struct item *it, struct ctr *k, enum act a,
    const char *why, const char *want)
{
	if (a == ACT_RENAME)
		plan(r, "rename %s to %s (%s)", ctr_label(k), it->d->name, why);
	else
		plan(r, "%s %s (%s)", act_verb(a, why), it->ident, why);
	if (r->dry) {
		r->rep->created += a == ACT_CREATE;
		r->rep->replaced += a == ACT_REPLACE;
		r->rep->started += a == ACT_START;
		r->rep->unchanged += a == ACT_RENAME;
		if (a == ACT_CREATE || a == ACT_REPLACE) {
			it->recreated = 1;
			item_signals(r, it);
		}
		return;
	}
	switch (a) {
	case ACT_CREATE:
		item_create(r, it, want);
		break;
	case ACT_REPLACE:
		item_replace(r, it, k, want);
		break;
	case ACT_START:
		item_start(r, it, k);
		break;
	case ACT_RENAME:
		if (item_rename(r, it, k) == 0 && !ctr_running(k) &&
		    !finished_job(it, k))
			item_start(r, it, k);
		break;
	default:
		break;
	}
}

/* The image, made local when it can be; NULL when the item must wait. */
static struct image_state *
item_image(struct run *r, struct item *it)
{
	int check = r->s->pull && it->d->update_pull;
	struct image_state *img;

	img = image_resolve(&r->ienv, &r->images, it->d->image, check);
	if (img == NULL)
		fatal("%s", __func__);
	if (r->ienv.lost)
		r->lost = 1;
	if (img->failed) {
		fail(r, "%s: %s; %s", it->ident, img->err,
		    it->ncand > 0 ? "its container is left as it is"
				  : "it has no container "
				    "until the image can be pulled");
		return NULL;
	}
	return img;
}

static void
reconcile_item(struct run *r, struct item *it)
{
	struct image_state *img;
	struct ctr *k;
	char want[65], why[512];
	const char *wantp = NULL;
	enum act a;

	if ((img = item_image(r, it)) == NULL || r->lost)
		return;
	if (img->id != NULL && !img->outdated) {
		if (spec_hash(it->d, img->id, want) == -1)
			fatal("%s: hash", __func__);
		wantp = want;
	}
	k = item_keeper(r, it, wantp);
	if (k != NULL)
		snprintf(it->cur_id, sizeof(it->cur_id), "%s", k->id);
	a = item_decide(r, it, k, img, wantp, why, sizeof(why));
	report_item_seen(
	    r->rep, img->id, k != NULL && ctr_running(k), k != NULL);
	if (k != NULL && is_self(r, k) && a != ACT_NONE && a != ACT_FINISHED) {
		log_warnx("%s is dockerup's own container and needs \"%s\" "
			  "(%s); a running dockerup does not do that to itself",
		    it->ident, act_verb(a, why), why);
		r->rep->unchanged++;
		return;
	}
	/* What renames, removes or replaces waits for queued creations. */
	if (it->ncand > 1 ||
	    (it->ncand == 1 && a != ACT_NONE && a != ACT_FINISHED))
		flush_launches(r);
	/* Stop-first definitions free the name and ports before acting. */
	remove_dups(r, it, k, it->d->update_eager);
	if (r->lost)
		return;
	if (a == ACT_NONE || a == ACT_FINISHED)
		r->rep->unchanged++;
	else
		item_act(r, it, k, a, why, wantp);
	if (!r->lost)
		remove_dups(r, it, k, 0);
}

/* ---- dockerup's own container: the eager self-upgrade ---- */

#define SELF_POLL_NS 250000000L /* how often the ready file is looked at */

static struct ctr *
run_self_ctr(struct run *r)
{
	for (size_t i = 0; i < r->ctrs.n; i++)
		if (is_self(r, &r->ctrs.v[i]))
			return &r->ctrs.v[i];
	return NULL;
}

static int
item_has_cand(const struct item *it, size_t ci)
{
	for (size_t i = 0; i < it->ncand; i++)
		if (it->cand[i] == ci)
			return 1;
	return 0;
}

/* Whether the definition's image is, locally, the one c runs. */
static int
item_runs_image_of(struct run *r, const struct item *it, const struct ctr *c)
{
	struct imageref ref;
	const struct img *im;
	int same;

	if (imageref_parse(it->d->image, &ref) == -1)
		return 0;
	im = img_find(&r->imgs, &ref);
	same = im != NULL && strcmp(im->id, c->image_id) == 0;
	imageref_free(&ref);
	return same;
}

/* Whether the definition mounts a Docker socket, as dockerup's must. */
static int
defn_mounts_docker_socket(const struct defn *d)
{
	static const char sock[] = "docker.sock";

	for (size_t i = 0; i < d->nvolumes; i++) {
		const char *h = d->volumes[i].host_path;
		size_t n = h ? strlen(h) : 0;
		if (n >= sizeof(sock) - 1 &&
		    strcmp(h + n - (sizeof(sock) - 1), sock) == 0)
			return 1;
	}
	return 0;
}

/* Whether we recorded ourselves as handing over (and then crashed). */
static int
self_was_handing_over(const struct ctr *me)
{
	char old[WIRE_SELF_TEXT_MAX];

	return selfup_read(SELF_FILE_OLD, old, sizeof(old)) == 0 &&
	    strcmp(old, me->id) == 0;
}

/*
 * The definition of dockerup's own container: the one whose label or
 * name it carries, else (a first instance started by hand carries no
 * label) the only definition that mounts a Docker socket, runs the image
 * it runs, and has no container of its own yet -- or has one we were
 * handing over to.
 */
static struct item *
run_find_self(struct run *r)
{
	struct ctr *me = run_self_ctr(r);
	struct item *found = NULL;
	size_t ci, n = 0;
	int handing_over;

	if (me == NULL)
		return NULL;
	ci = (size_t)(me - r->ctrs.v);
	for (size_t i = 0; i < r->nitems; i++)
		if (item_has_cand(&r->items[i], ci))
			return &r->items[i];
	handing_over = self_was_handing_over(me);
	for (size_t i = 0; i < r->nitems; i++)
		if ((r->items[i].ncand == 0 || handing_over) &&
		    defn_mounts_docker_socket(r->items[i].d) &&
		    item_runs_image_of(r, &r->items[i], me)) {
			found = &r->items[i];
			n++;
		}
	if (n > 1) {
		log_warnx("%zu definitions use the image dockerup runs from "
			  "(%.19s..); none of them is taken for dockerup's own "
			  "container",
		    n, me->image_id);
		return NULL;
	}
	if (found != NULL) {
		log_debug("%s describes dockerup's own container %.12s (same "
			  "image)",
		    found->ident, me->id);
		item_add_cand(found, ci);
		me->claimed = 1;
	}
	return found;
}

/* Removes every other instance of our own definition. */
static void
self_remove_others(struct run *r, const struct item *it, const struct ctr *me,
    const struct ctr *spare)
{
	char err[1024];
	struct ctr *c;

	for (size_t i = 0; i < it->ncand && !r->lost; i++) {
		c = &r->ctrs.v[it->cand[i]];
		if (c == me || c == spare || c->removed)
			continue;
		plan(r, "remove %s (a previous dockerup instance)",
		    ctr_label(c));
		if (r->dry)
			continue;
		if (op_done(
			r, op_remove_force(r->dk, c->id, err, sizeof(err))) !=
		    OP_OK)
			fail(r, "remove %s: %s", ctr_label(c), err);
		else {
			c->removed = 1;
			r->rep->removed++;
		}
	}
}

static void
self_sleep(void)
{
	struct timespec ts = { 0, SELF_POLL_NS };

	nanosleep(&ts, NULL);
}

/*
 * Waits for the new instance nid to write its ID into the ready file.
 * 1 ready; 0 not (why says so); -1 the engine was lost or we must stop.
 */
static int
self_wait_ready(struct run *r, const char *nid, char *why, size_t whylen)
{
	double deadline = mono_now() + r->s->ready_timeout;
	struct ctr_state st;
	char line[WIRE_SELF_TEXT_MAX], err[512];

	for (;;) {
		if (engine_stop_requested)
			return -1;
		if (selfup_read(SELF_FILE_READY, line, sizeof(line)) == 0 &&
		    strcmp(line, nid) == 0)
			return 1;
		switch (
		    op_done(r, op_state(r->dk, nid, &st, err, sizeof(err)))) {
		case OP_LOST:
			return -1;
		case OP_FAILED:
			snprintf(
			    why, whylen, "could not be inspected: %s", err);
			return 0;
		}
		if (!st.running || st.restarting) {
			snprintf(why, whylen,
			    "exited with status %d before it "
			    "was ready",
			    st.exit_code);
			return 0;
		}
		if (mono_now() >= deadline) {
			snprintf(why, whylen,
			    "was not ready within %d s "
			    "(ready_timeout)",
			    r->s->ready_timeout);
			return 0;
		}
		self_sleep();
	}
}

#define SELF_LOG_LINES 8 /* of a failed new instance's output */

/* What a new instance that failed said last, in our log. */
static void
self_log_tail(struct run *r, const char *nid)
{
	char text[SELF_LOG_LINES * 256], err[512], *line, *save = NULL;

	if (r->lost ||
	    op_done(r,
		op_logs_tail(r->dk, nid, SELF_LOG_LINES, text, sizeof(text),
		    err, sizeof(err))) != OP_OK)
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		log_warnx("new instance %.12s said: %s", nid, line);
}

/* The new instance did not take over: remove it, keep running. */
static void
self_rollback(struct run *r, struct item *it, struct ctr *me, const char *nid,
    const char *image, const char *want, const char *why)
{
	char err[1024];

	self_log_tail(r, nid);
	log_warnx("self-upgrade of %s to image %s FAILED: the new container "
		  "%.12s %s.  It is removed and this instance (%.12s) keeps "
		  "running.  That image is not tried again until %s points to "
		  "another image or the definition changes.",
	    it->ident, image, nid, why, me->id, it->d->image);
	if (!r->lost &&
	    op_done(r, op_remove_force(r->dk, nid, err, sizeof(err))) != OP_OK)
		log_warnx("could not remove the failed new container %.12s: "
			  "%s",
		    nid, err);
	restore_old(r, it, me, 0);
	selfup_failed_add(want, image);
	if (selfup_write(SELF_FILE_OLD, "") == -1)
		log_warnx("could not clear the handover record");
	r->rep->self_rollbacks++;
	r->rep->failed++;
	r->rep->exit_code = 1;
}

/* Creates and starts the new instance; 0 with nid set. */
static int
self_create(struct run *r, struct item *it, struct ctr *me, const char *want,
    const char *image, char nid[65])
{
	char err[1024];
	int rc;

	if ((rc = rename_out_of_way(r, it, me)) != 0) {
		if (rc == 1)
			fail(r,
			    "self-upgrade of %s: dockerup cannot rename its "
			    "own container out of the way; not upgrading",
			    it->ident);
		return -1;
	}
	if (create_container(r, it, want, nid, err, sizeof(err)) != OP_OK) {
		fail(r,
		    "self-upgrade of %s: create the new container: %s; "
		    "this instance keeps running",
		    it->ident, err);
		restore_old(r, it, me, 0);
		return -1;
	}
	if (op_done(r, op_start(r->dk, nid, err, sizeof(err))) != OP_OK) {
		self_rollback(r, it, me, nid, image, want, err);
		return -1;
	}
	return 0;
}

/*
 * Eager self-upgrade (issue #6).  We keep the run lock while the new
 * instance starts; it reports ready through the handover directory and
 * waits for the lock.  Then we release the lock and leave: our container
 * is removed at the end of this run.  A new instance that is not ready in
 * time, or exits, is removed and its image recorded as failed.
 */
static void
self_upgrade(struct run *r, struct item *it, struct ctr *me, const char *want,
    const char *image)
{
	struct ctr *spare = NULL;
	char nid[65], why[1024];
	int rc;

	/* A new instance made by an interrupted attempt is used as it is. */
	for (size_t i = 0; i < it->ncand; i++) {
		struct ctr *c = &r->ctrs.v[it->cand[i]];
		if (c != me && !c->removed && ctr_running(c) &&
		    c->label_hash != NULL && strcmp(c->label_hash, want) == 0)
			spare = c;
	}
	self_remove_others(r, it, me, spare);
	if (r->lost)
		return;
	if (selfup_write(SELF_FILE_OLD, me->id) == -1) {
		fail(r,
		    "self-upgrade of %s: the handover directory cannot be "
		    "written; not upgrading",
		    it->ident);
		return;
	}
	if (spare != NULL)
		snprintf(nid, sizeof(nid), "%s", spare->id);
	else if (self_create(r, it, me, want, image, nid) == -1) {
		if (selfup_write(SELF_FILE_OLD, "") == -1)
			log_warnx("could not clear the handover record");
		return;
	}
	log_info("self-upgrade of %s: new instance %.12s started from %s; "
		 "waiting up to %d s for it to be ready",
	    it->ident, nid, image, r->s->ready_timeout);
	rc = self_wait_ready(r, nid, why, sizeof(why));
	if (rc == 0)
		self_rollback(r, it, me, nid, image, want, why);
	if (rc != 1)
		return;
	if (selfup_release_lock() == -1) {
		fail(r,
		    "self-upgrade of %s: the parent did not release the "
		    "run lock; the new instance %.12s is removed",
		    it->ident, nid);
		self_rollback(r, it, me, nid, image, want,
		    "could not be "
		    "handed the lock");
		return;
	}
	log_info("self-upgrade of %s: %.12s is ready and holds the lock now; "
		 "this instance (%.12s) removes itself",
	    it->ident, nid, me->id);
	snprintf(it->cur_id, sizeof(it->cur_id), "%s", nid);
	snprintf(r->leave_id, sizeof(r->leave_id), "%s", me->id);
	r->rep->replaced++;
}

/* Our own definition, handled after everything else in the run. */
static void
self_reconcile(struct run *r, struct item *it)
{
	static char said_failed[65];
	struct image_state *img;
	struct ctr *me = run_self_ctr(r);
	char want[65], why[512], image[80];

	if (me == NULL || (img = item_image(r, it)) == NULL || r->lost)
		return;
	snprintf(it->cur_id, sizeof(it->cur_id), "%s", me->id);
	if (img->id == NULL || img->outdated) {
		/* Only a dry run gets here: it does not pull. */
		decide_changed(r, it, me, img, why, sizeof(why));
		plan(r, "replace %s (%s; self-upgrade)", it->ident, why);
		r->rep->replaced++;
		return;
	}
	if (spec_hash(it->d, img->id, want) == -1)
		fatal("%s: hash", __func__);
	if (me->label_hash != NULL && strcmp(me->label_hash, want) == 0 &&
	    me->label_id != NULL && strcmp(me->label_id, it->ident) == 0) {
		r->rep->unchanged++;
		self_remove_others(r, it, me, NULL);
		return;
	}
	if (selfup_failed_has(want, image, sizeof(image))) {
		if (strcmp(said_failed, want) != 0)
			log_warnx("self-upgrade of %s to image %s was rolled "
				  "back before; it is not tried again until %s "
				  "points to another image or the definition "
				  "changes",
			    it->ident, image, it->d->image);
		snprintf(said_failed, sizeof(said_failed), "%s", want);
		r->rep->unchanged++;
		return;
	}
	decide_changed(r, it, me, img, why, sizeof(why));
	plan(r, "replace %s (%s; self-upgrade)", it->ident, why);
	if (r->dry) {
		r->rep->replaced++;
		return;
	}
	if (!selfup_available()) {
		fail(r,
		    "self-upgrade of %s: no handover directory; not "
		    "upgrading",
		    it->ident);
		return;
	}
	self_upgrade(r, it, me, want, img->id);
}

/* Handed over: our own container goes, and with it this process. */
static void
self_leave(struct run *r)
{
	char err[1024];

	if (r->leave_id[0] == '\0' || r->lost)
		return;
	log_info("removing this instance's container %.12s", r->leave_id);
	if (op_remove_force(r->dk, r->leave_id, err, sizeof(err)) != OP_OK)
		log_warnx("could not remove this instance's container %.12s: "
			  "%s; the new instance removes it",
		    r->leave_id, err);
}

/* ---- after the definitions ---- */

int
mass_removal_held(unsigned going, unsigned running)
{
	return going >= MASS_REMOVAL_MIN &&
	    2 * (unsigned long)going > (unsigned long)running;
}

/* A container this run removes as undeclared. */
static int
is_orphan(const struct run *r, const struct ctr *c)
{
	if (c->claimed || c->removed || is_self(r, c) ||
	    strcmp(c->state, "removing") == 0)
		return 0;
	return r->s->orphans == ORPHANS_ALL || c->managed;
}

/*
 * The mass-removal brake: a run that would remove more than half of the
 * running containers in its care (those dockerup created, or every one
 * with orphans=all), and at least MASS_REMOVAL_MIN, removes none, unless
 * the engine says the removal is confirmed (the same desired state seen
 * twice an interval apart, or --confirm-removals).  Returns 1 when braked.
 */
static int
mass_removal_braked(struct run *r)
{
	unsigned running = 0, going = 0;

	for (size_t i = 0; i < r->ctrs.n; i++) {
		const struct ctr *c = &r->ctrs.v[i];
		if (!ctr_running(c) || is_self(r, c) || c->removed ||
		    (r->s->orphans == ORPHANS_MANAGED && !c->managed))
			continue;
		running++;
		going += is_orphan(r, c);
	}
	if (!mass_removal_held(going, running) || r->removals_confirmed)
		return 0;
	r->rep->braked = going;
	r->rep->exit_code = 1;
	log_warnx("refusing to remove %u of %u running containers at once "
		  "(mass-removal brake); they are removed when the same "
		  "desired state is read again at least one interval "
		  "later (server mode), or by a run with --confirm-removals",
	    going, running);
	return 1;
}

static void
remove_orphans(struct run *r)
{
	char err[1024];
	struct ctr *c;

	if (!r->st->complete) {
		log_warnx(
		    "no container is removed as undeclared in this run: "
		    "a source is invalid or unreachable and nothing good is "
		    "known of it");
		return;
	}
	if (mass_removal_braked(r))
		return;
	for (size_t i = 0; i < r->ctrs.n && !r->lost; i++) {
		c = &r->ctrs.v[i];
		if (!is_orphan(r, c))
			continue;
		plan(r, "remove %s (not declared)", ctr_label(c));
		if (r->dry) {
			r->rep->removed++;
			continue;
		}
		if (drop_container(
			r, c, DOCKER_STOP_TIMEOUT_S, err, sizeof(err)) == -1)
			fail(r, "remove %s: %s", ctr_label(c), err);
		else
			r->rep->removed++;
	}
}

static unsigned
count_dangling(const struct run *r)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->imgs.n; i++)
		n += img_dangling(&r->imgs.v[i]);
	return n;
}

/* Dangling images: those seen now, and those this run's changes left. */
static void
prune_images(struct run *r)
{
	unsigned dangling = count_dangling(r), deleted;
	unsigned long long bytes;
	char err[1024];

	if (!r->st->complete ||
	    (dangling == 0 && !r->ienv.pulled && r->rep->replaced == 0 &&
		r->rep->removed == 0))
		return;
	if (r->dry) {
		if (dangling > 0)
			plan(r, "prune %u dangling image%s", dangling,
			    dangling == 1 ? "" : "s");
		return;
	}
	if (op_done(r,
		op_prune_images(r->dk, &deleted, &bytes, err, sizeof(err))) !=
	    OP_OK) {
		log_warnx("prune dangling images: %s", err);
		r->rep->exit_code = 1;
		return;
	}
	if (deleted > 0)
		log_info("pruned %u dangling image%s (%llu bytes)", deleted,
		    deleted == 1 ? "" : "s", bytes);
}

static void
run_free(struct run *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		free(r->items[i].ident);
		free(r->items[i].cand);
	}
	free(r->items);
	free(r->by_ident);
	launch_free(&r->launches);
	free(r->port_busy);
	ctr_list_free(&r->ctrs);
	img_list_free(&r->imgs);
	image_cache_free(&r->images);
}

static void
run_summary(struct run *r, double t0)
{
	struct run_report *p = r->rep;

	if (r->dry)
		log_info("dry run: %u to create, %u to replace, %u to start, "
			 "%u to remove, %u unchanged; nothing was changed",
		    p->created, p->replaced, p->started, p->removed,
		    p->unchanged);
	else
		log_info("%u created, %u replaced, %u started, %u removed, "
			 "%u unchanged, %u failed in %.1fs",
		    p->created, p->replaced, p->started, p->removed,
		    p->unchanged, p->failed, mono_now() - t0);
}

static void
run_init(struct run *r, struct docker *dk, const struct settings *s,
    const struct desired_state *st, struct run_report *rep)
{
	memset(r, 0, sizeof(*r));
	r->dk = dk;
	r->s = s;
	r->st = st;
	r->rep = rep;
	r->dry = s->mode == MODE_DRY_RUN;
	r->self_id = selfid_resolve(s->self_id);
	log_debug("%s%.12s",
	    r->self_id ? "own container "
		       : "not in a "
			 "container",
	    r->self_id ? r->self_id : "");
	r->ienv.dk = dk;
	r->ienv.imgs = &r->imgs;
	r->ienv.auth = docker_regauth(dk);
	r->ienv.dry = r->dry;
	r->ienv.plan = plan_cb;
	r->ienv.plan_arg = r;
}

/*
 * The registry checks and pulls of every definition's image but our own
 * (which waits for the self-upgrade at the end), made concurrently ahead
 * of the definitions, which then find their images ready.
 */
static void
run_prefetch_images(struct run *r)
{
	const char **refs = calloc(r->nitems, sizeof(*refs));
	int *checks = calloc(r->nitems, sizeof(*checks));
	size_t n = 0;

	if (r->nitems > 0 && (refs == NULL || checks == NULL))
		fatal("%s", __func__);
	for (size_t i = 0; i < r->nitems; i++) {
		const struct item *it = &r->items[i];
		if (it == r->self_item)
			continue;
		refs[n] = it->d->image;
		checks[n++] = r->s->pull && it->d->update_pull;
	}
	image_prefetch(
	    &r->ienv, &r->images, refs, checks, n, &engine_stop_requested);
	if (r->ienv.lost)
		r->lost = 1;
	free(refs);
	free(checks);
}

static int
stop_now(struct run *r, const char *where)
{
	if (r->lost) {
		fail(r,
		    "the Docker engine at %s stopped answering; the run "
		    "ends here (the next run picks up from what is on the "
		    "host)",
		    docker_remote(r->dk));
		return 1;
	}
	if (engine_stop_requested) {
		log_info("stop requested: the run ends %s", where);
		return 1;
	}
	return 0;
}

int
engine_reconcile(struct docker *dk, const struct settings *s,
    const struct desired_state *st, int removals_confirmed,
    struct run_report *rep)
{
	struct run r;
	double t0 = mono_now();
	unsigned calls0 = docker_calls(dk);
	char err[1024];
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	run_init(&r, dk, s, st, rep);
	r.removals_confirmed = removals_confirmed;
	if (run_observe(&r, err, sizeof(err)) == -1) {
		log_warnx("%s; nothing was changed", err);
		report_run_error(rep, err);
		rep->exit_code = 1;
		rc = -1;
		goto done;
	}
	run_load_auth(&r);
	run_index_items(&r);
	run_claim(&r);
	r.self_item = run_find_self(&r);
	run_prefetch_images(&r);
	for (size_t i = 0; i < r.nitems; i++) {
		if (item_waits(&r, &r.items[i]))
			flush_launches(&r);
		if (stop_now(&r, "before its next definition"))
			goto summary;
		if (&r.items[i] == r.self_item)
			continue;
		report_item_begin(rep, r.items[i].ident, r.items[i].d->name);
		reconcile_item(&r, &r.items[i]);
		report_item_end(rep, r.items[i].cur_id);
	}
	flush_launches(&r);
	if (stop_now(&r, "before removing undeclared containers"))
		goto summary;
	remove_orphans(&r);
	if (stop_now(&r, "before pruning images"))
		goto summary;
	prune_images(&r);
	if (r.self_item != NULL &&
	    !stop_now(&r,
		"before dockerup's own "
		"container"))
		self_reconcile(&r, r.self_item);
	if (r.ienv.check_failed)
		rep->exit_code = 1;
summary:
	flush_launches(&r);
	if (r.lost)
		rc = -1;
	run_summary(&r, t0);
	self_leave(&r);
done:
	rep->api_calls = docker_calls(dk) - calls0;
	rep->registry = r.ienv.fault;
	run_free(&r);
	return rc;
}
