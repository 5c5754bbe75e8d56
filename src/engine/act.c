/*
 * Acting: carrying out what decide.c decided for each definition, in
 * dependency order -- create (new containers queued and launched
 * together, batch.h), replace (rename the old one out of the way, create,
 * swap eager or stop-first, put the old one back on failure), start,
 * rename -- and removing the duplicates claim.c found.  A dry run only
 * prints each plan line.
 */
#include "act.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "carry.h"
#include "claim.h"
#include "ctrops.h"
#include "docker.h"
#include "fields.h"
#include "gate.h"
#include "rollout.h"
#include "log.h"
#include "resume.h"
#include "runlog.h"
#include "spec.h"
#include "status.h"
#include "unstarted.h"
#include "validate.h"
#include "xalloc.h"

static void
ctr_set_name(struct ctr *c, const char *name)
{
	char *n = xstrdup(name);

	free(c->name);
	c->name = n;
}

void
drop_many(struct run *r, struct drop *v, size_t n)
{
	/* The stops, then the removals, each one sent as soon as its own
	   stop has succeeded. */
	struct op_req *o = xcalloc(2 * n, sizeof(*o)), *rm = o + n;

	for (size_t i = 0; i < n; i++) {
		v[i].rc = 0;
		v[i].err[0] = '\0';
		if (ctr_running(v[i].c))
			op_req_stop(&o[i], v[i].c->id, v[i].stop_s);
		op_req_remove(&rm[i], v[i].c->id);
		if (o[i].path != NULL)
			rm[i].after = i + 1;
	}
	run_ops(r, o, 2 * n, REPLACE_PARALLEL);
	for (size_t i = 0; i < n; i++) {
		const struct op_req *bad = NULL;
		if (o[i].path != NULL && o[i].rc != OP_OK)
			bad = &o[i];
		else if (rm[i].rc != OP_OK)
			bad = &rm[i];
		if (bad != NULL) {
			v[i].rc = -1;
			snprintf(v[i].err, sizeof(v[i].err), "%s", bad->err);
		} else
			v[i].c->removed = 1;
		op_req_free(&o[i]);
		op_req_free(&rm[i]);
	}
	free(o);
}

/*
 * Stops (when running) and removes a container we decided to drop;
 * stop_s is its definition's stopTimeout (STOP_OWN_TIMEOUT for a
 * container no definition declares: the one it was created with).
 */
int
drop_container(
    struct run *r, struct ctr *c, int64_t stop_s, char *err, size_t errlen)
{
	struct drop d = { .c = c, .stop_s = stop_s };

	drop_many(r, &d, 1);
	if (d.rc == -1)
		snprintf(err, errlen, "%s", d.err);
	return d.rc;
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
	run_plan(r, "remove %s (duplicate of %s)", ctr_label(c), it->ident);
	if (r->dry) {
		c->removed = 1;
		r->rep->removed++;
		return;
	}
	if (drop_container(r, c, it->d->stop_timeout, err, sizeof(err)) == -1)
		run_fail(r, "remove %s (duplicate of %s): %s", ctr_label(c),
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
		if (c == k || c->removed || gate_keeps(r, c))
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
		if (c != k && !c->removed && !is_self(r, c) &&
		    !gate_keeps(r, c))
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

/*
 * LABEL_LINKS: "name=ID ..." for each link whose container is known, so
 * that a later run sees a link left on an old container; NULL none.
 */
static char *
links_label(struct run *r, const struct item *it)
{
	struct buf b;
	struct item *dep;
	char *s = NULL;

	if (it->d->links.n == 0)
		return NULL;
	buf_init(&b, it->d->links.n * (MAX_NAME_LEN + 68) + 1);
	for (size_t i = 0; i < it->d->links.n; i++) {
		const char *name = it->d->links.v[i].key;
		if ((dep = item_by_ident(r, name)) != NULL &&
		    dep->cur_id[0] != '\0')
			buf_printf(
			    &b, "%s%s=%s", b.len ? " " : "", name, dep->cur_id);
	}
	if (b.len > 0)
		s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

/*
 * The create body of it's container, with the volumes of old (the one it
 * replaces, NULL none) carried over; NULL with err set.
 */
static char *
create_body(struct run *r, const struct item *it, const struct ctr *old,
    const char *want, char *err, size_t errlen)
{
	struct spec_ctx sc = { .identity = it->ident, .hash = want };
	struct strlist carried = { 0 };
	char net[128], *fields, *links, replaces[DOCKER_ID_LEN + 16];
	cJSON *body;
	char *json;

	if (item_network(r, it, net, sizeof(net), err, errlen) == -1)
		return NULL;
	sc.network_mode = net[0] ? net : NULL;
	/* Which container it replaces, for a run that finds it in its gate. */
	if (old != NULL && !old->removed && docker_id_valid(old->id)) {
		snprintf(replaces, sizeof(replaces), "%s %s", old->id,
		    ctr_running(old) ? "running" : "stopped");
		sc.replaces = replaces;
	}
	if ((fields = spec_field_hashes(it->d)) == NULL)
		fatal("%s", __func__);
	sc.fields = fields;
	sc.links = links = links_label(r, it);
	carry_volumes(r, it, old, &carried);
	sc.carried = &carried;
	if ((body = spec_create_body(it->d, &sc)) == NULL ||
	    (json = cJSON_PrintUnformatted(body)) == NULL)
		fatal("%s", __func__);
	cJSON_Delete(body);
	free(fields);
	free(links);
	strlist_free(&carried);
	return json;
}

int
create_container(struct run *r, const struct item *it, const char *want,
    char id[65], char *err, size_t errlen)
{
	return create_replacement(r, it, NULL, want, id, err, errlen);
}

int
create_replacement(struct run *r, const struct item *it, const struct ctr *old,
    const char *want, char id[65], char *err, size_t errlen)
{
	char *json;
	int rc;

	if ((json = create_body(r, it, old, want, err, errlen)) == NULL)
		return OP_FAILED;
	rc = run_op(r, op_create(r->dk, it->d->name, json, id, err, errlen));
	free(json);
	return rc;
}

static int
ref_takes_volumes(const struct defn_ref *ref, void *ident)
{
	return ref->f->refs == REF_VOLUMES_FROM &&
	    strcmp(ref->name, ident) == 0;
}

/* Whether a definition takes volumes from it. */
static int
item_lends_volumes(const struct run *r, const struct item *it)
{
	for (size_t i = 0; i < r->nitems; i++)
		if (defn_each_ref(r->items[i].d, ref_takes_volumes, it->ident))
			return 1;
	return 0;
}

/*
 * The mount points of the container just made for it, which those that
 * take volumes from it follow (one inspect, only when there are some);
 * unknown (NULL) when the engine does not say, and then they are made
 * again.
 */
static void
item_learn_mounts(struct run *r, struct item *it)
{
	char err[1024];

	mounts_free(&it->new_mounts);
	it->mounts = NULL;
	if (r->lost || it->cur_id[0] == '\0' || !item_lends_volumes(r, it))
		return;
	if (run_op(r,
		op_mounts(r->dk, it->cur_id, &it->new_mounts, err,
		    sizeof(err))) == OP_OK)
		it->mounts = &it->new_mounts;
	else
		log_warnx("inspect the new %s: %s", it->ident, err);
}

/* signal: after this container (re)started, signal the named ones. */
static void
item_signals(struct run *r, const struct item *it)
{
	const struct kvlist *sig = &it->d->signals;
	char err[1024];

	for (size_t i = 0; i < sig->n && !r->lost; i++) {
		run_plan(r, "signal %s %s (%s restarted)", sig->v[i].key,
		    sig->v[i].value, it->ident);
		if (r->dry)
			continue;
		if (run_op(r,
			op_kill(r->dk, sig->v[i].key, sig->v[i].value, err,
			    sizeof(err))) != OP_OK)
			log_warnx("signal %s %s after %s restarted: %s",
			    sig->v[i].key, sig->v[i].value, it->ident, err);
	}
}

/* One bit per fixed host port and protocol: O(1) per port. */
#define PORT_BIT(p) ((size_t)(p)->host_port * 2 + ((p)->udp != 0))

/*
 * Marks (on) or clears the fixed host ports of d; with on, returns 1 and
 * marks nothing when one is already marked.
 */
static int
ports_mark(struct run *r, const struct defn *d, int on)
{
	if (r->port_busy == NULL)
		r->port_busy = xcalloc(65536 * 2 / 8, 1);
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
	    (json = create_body(r, it, NULL, want, err, sizeof(err))) == NULL)
		return -1;
	if (ports_mark(r, it->d, 1)) {
		flush_queued(r);
		(void)ports_mark(r, it->d, 1);
	}
	if (it->d->name != NULL)
		name = xstrdup(it->d->name);
	l = launch_add(&r->launches, name, json);
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
		run_fail(r, "create %s: %s", it->ident, err);
		return -1;
	}
	memcpy(it->cur_id, id, sizeof(id));
	it->recreated = 1;
	if (run_op(r, op_start(r->dk, id, err, sizeof(err))) != OP_OK) {
		run_fail(r, "start %s: %s", it->ident, err);
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
void
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
		run_op(r, l->rc_create);
		if (l->rc_create != OP_OK) {
			run_fail(r, "create %s: %s", it->ident, why);
			continue;
		}
		memcpy(it->cur_id, l->id, sizeof(l->id));
		it->recreated = 1;
		report_item_end(r->rep, it->cur_id);
		r->rep->cur_item = l->report_item;
		if (run_op(r, l->rc_start) != OP_OK) {
			run_fail(r, "start %s: %s", it->ident, why);
			continue;
		}
		r->rep->created++;
		item_signals(r, it);
	}
	r->rep->cur_item = saved;
	launch_clear(&r->launches);
}

static int
ref_deferred(const struct defn_ref *ref, void *r)
{
	const struct item *dep = item_by_ident(r, ref->name);

	return dep != NULL && dep->deferred;
}

/*
 * Whether a dependency of it, or a container it signals (which must be
 * up before the signal, as one by one), waits in run.launches or
 * run.replaces.
 */
int
item_waits(struct run *r, const struct item *it)
{
	if (r->launches.n == 0 && r->replaces.n == 0)
		return 0;
	return defn_each_ref(it->d, ref_deferred, r) != 0;
}

void
flush_queued(struct run *r)
{
	flush_launches(r);
	flush_replaces(r);
}

/* Whether the container id is stopped now (so a start gives it a new
   network namespace); 0 when it runs or cannot be told. */
static int
stopped_now(struct run *r, const char *id)
{
	struct ctr_state st;
	char err[400];

	return run_op(r, op_state(r->dk, id, &st, err, sizeof(err))) == OP_OK &&
	    !st.running;
}

/* The running containers of the definitions in it's network namespace
   (network container:NAME); their number. */
static size_t
net_sharers(
    struct run *r, const struct item *it, struct item **deps, struct ctr **ctrs)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nitems; i++) {
		struct item *dep = &r->items[i];
		const char *net = dep->d->network;
		struct ctr *c;
		if (net == NULL || strncmp(net, "container:", 10) != 0 ||
		    item_by_ident(r, net + 10) != it ||
		    (c = item_keeper(r, dep, NULL)) == NULL || !ctr_running(c))
			continue;
		deps[n] = dep;
		ctrs[n++] = c;
	}
	return n;
}

/*
 * Restarts dep's running container c so that it joins the current
 * network namespace of the container it names (network container:NAME):
 * one request, which the engine finishes even if this run is killed.
 */
static int
net_restart(struct run *r, struct item *dep, struct ctr *c,
    const struct item *it, const char *why, char *err, size_t errlen)
{
	int rc;

	run_plan(r, "restart %s (it shares the network of %s, %s)", dep->ident,
	    it->ident, why);
	if (r->dry)
		return OP_OK;
	rc = run_op(
	    r, op_restart(r->dk, c->id, dep->d->stop_timeout, err, errlen));
	if (rc == OP_OK)
		ctr_set_state(c, "running");
	return rc;
}

int
start_shared(
    struct run *r, struct item *it, struct ctr *k, char *err, size_t errlen)
{
	struct item **deps = xcalloc(r->nitems, sizeof(*deps));
	struct ctr **ctrs = xcalloc(r->nitems, sizeof(*ctrs));
	size_t n = net_sharers(r, it, deps, ctrs);
	char why[128], derr[1024];
	int rc;

	/* A running k keeps its namespace: the start changes nothing. */
	if (n > 0 && !stopped_now(r, k->id))
		n = 0;
	rc = run_op(r, op_start(r->dk, k->id, err, errlen));
	if (rc == OP_OK)
		ctr_set_state(k, "running");
	/* Killed before these, the next run's net_rejoin() restarts them. */
	snprintf(
	    why, sizeof(why), "whose container %.12s is started again", k->id);
	for (size_t i = 0; i < n && rc == OP_OK && !r->lost; i++)
		if (net_restart(r, deps[i], ctrs[i], it, why, derr,
			sizeof(derr)) != OP_OK)
			log_warnx("restart %s: %s", deps[i]->ident, derr);
	free(deps);
	free(ctrs);
	return rc;
}

/*
 * A running container c of it, which shares the network namespace of
 * another definition's container (network container:NAME), and started
 * before that container last started, is in a namespace that is gone:
 * a `docker restart`, dockerd's restart policy or a run killed between
 * the two starts started the other one again.  It is restarted, and
 * joins the current one.  Two inspects a run, for such pairs only.
 */
static int
net_rejoin(struct run *r, struct item *it, struct ctr *c)
{
	const char *net = it->d->network;
	const struct item *to;
	struct ctr_state cs, ts;
	char err[1024], why[128];

	if (r->lost || net == NULL || strncmp(net, "container:", 10) != 0 ||
	    !ctr_running(c) || (to = item_by_ident(r, net + 10)) == NULL ||
	    to->cur_id[0] == '\0')
		return 0;
	if (run_op(r, op_state(r->dk, to->cur_id, &ts, err, sizeof(err))) !=
		OP_OK ||
	    run_op(r, op_state(r->dk, c->id, &cs, err, sizeof(err))) != OP_OK) {
		if (!r->lost)
			log_warnx("cannot tell whether %s is still in the "
				  "network namespace of %s: %s",
			    it->ident, to->ident, err);
		return 0;
	}
	if (!ts.running || !cs.running || ts.started_at == 0 ||
	    cs.started_at >= ts.started_at)
		return 0;
	snprintf(why, sizeof(why),
	    "whose container %.12s started again after it", to->cur_id);
	if (net_restart(r, it, c, to, why, err, sizeof(err)) == OP_OK)
		return 1;
	run_fail(r, "restart %s: %s", it->ident, err);
	return 0;
}

/* Puts the old container back under its name after a failed replace. */
void
restore_old(struct run *r, struct item *it, struct ctr *k, int restart)
{
	char err[1024];

	if (r->lost)
		return;
	if (it->d->name && strcmp(k->name, it->d->name) != 0) {
		if (run_op(r,
			op_rename(r->dk, k->id, it->d->name, err,
			    sizeof(err))) != OP_OK)
			log_warnx("could not give %s its name back: %s",
			    ctr_label(k), err);
		else
			ctr_set_name(k, it->d->name);
	}
	if (restart && start_shared(r, it, k, err, sizeof(err)) != OP_OK)
		log_warnx("could not restart the old %s: %s", it->ident, err);
	snprintf(it->cur_id, sizeof(it->cur_id), "%s", k->id);
	it->mounts = &k->mounts;
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
	if (b.len > 1)
		s = xstrdup(buf_cstr(&b));
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
	if (run_op(r, op_host_ports(r->dk, k->id, &have, err, sizeof(err))) !=
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

/* The name k takes while replaced; 0 when it need not be renamed. */
static int
old_name(const struct item *it, const struct ctr *k, char *out, size_t outlen)
{
	if (it->d->name == NULL || strcmp(k->name, it->d->name) != 0)
		return 0;
	snprintf(out, outlen, "%s" OLD_NAME_INFIX "%.12s", it->d->name, k->id);
	return 1;
}

/* What rename_out_of_way() makes of the rename's result rc. */
static int
renamed(struct run *r, const struct item *it, struct ctr *k,
    const char *oldname, int rc, const char *err)
{
	if (rc == OP_LOST)
		return -1;
	if (rc == OP_FAILED) {
		log_warnx("replace %s: cannot rename the old container to %s: "
			  "%s",
		    it->ident, oldname, err);
		return 1;
	}
	ctr_set_name(k, oldname);
	return 0;
}

/*
 * Takes the old container's name away so the new one can have it.  0 done
 * (or not needed), 1 the engine refused (the caller replaces without a
 * rename), -1 no answer.
 */
int
rename_out_of_way(struct run *r, const struct item *it, struct ctr *k)
{
	char oldname[MAX_NAME_LEN + 64], err[1024];

	if (!old_name(it, k, oldname, sizeof(oldname)))
		return 0;
	return renamed(r, it, k, oldname,
	    run_op(r, op_rename(r->dk, k->id, oldname, err, sizeof(err))), err);
}

/* The fallback when the old container cannot be renamed. */
static int
replace_in_place(struct run *r, struct item *it, struct ctr *k,
    const char *want, char nid[65])
{
	char err[1024];

	if (drop_container(r, k, it->d->stop_timeout, err, sizeof(err)) == -1) {
		run_fail(r, "replace %s: remove the old container: %s",
		    it->ident, err);
		return -1;
	}
	it->cur_id[0] = '\0';
	it->mounts = NULL;
	if (create_replacement(r, it, k, want, nid, err, sizeof(err)) !=
	    OP_OK) {
		run_fail(r,
		    "replace %s: create the new container: %s (the old one "
		    "is gone; the next run tries again)",
		    it->ident, err);
		return -1;
	}
	snprintf(it->cur_id, sizeof(it->cur_id), "%s", nid);
	if (run_op(r, op_start(r->dk, nid, err, sizeof(err))) != OP_OK) {
		run_fail(r, "replace %s: start the new container: %s",
		    it->ident, err);
		return -1;
	}
	return 0;
}

static void
remove_new(struct run *r, const char *id)
{
	char err[1024];

	if (!r->lost &&
	    run_op(r, op_remove(r->dk, id, err, sizeof(err))) != OP_OK)
		log_warnx(
		    "could not remove the new container %.12s: %s", id, err);
}

/*
 * dockerd 20.10 cannot rename a running container that was stopped and
 * started again ("sandbox ... not found"), such as an old container a
 * rollback put back; it renames it once stopped.  So a refused rename of
 * a running container is tried again after a stop, and the replace goes
 * on stop-first, keeping the old container for the gate.  0 renamed
 * (k stopped), 1 refused again, -1 no answer.
 */
static int
rename_stopped(struct run *r, struct item *it, struct ctr *k)
{
	char err[1024];

	log_info("replace %s: stopping the old container first, then "
		 "renaming it",
	    it->ident);
	if (run_op(r,
		op_stop(r->dk, k->id, it->d->stop_timeout, err, sizeof(err))) !=
	    OP_OK) {
		if (!r->lost)
			log_warnx("replace %s: stop the old container: %s",
			    it->ident, err);
		return r->lost ? -1 : 1;
	}
	return rename_out_of_way(r, it, k);
}

/*
 * Queues the replacement of k (pulled first, by the caller); with
 * update.eager, the ports of old and new are compared now.
 */
static void
defer_replace(struct run *r, struct item *it, struct ctr *k, const char *want)
{
	struct replace_set *rs = &r->replaces;
	struct replace *x;
	char port[32];
	int eager = it->d->update_eager;

	if (eager && ports_clash(r, it, k, port, sizeof(port))) {
		log_info("replace %s: old and new both bind host port %s, so "
			 "the old one is stopped first (no eager start)",
		    it->ident, port);
		eager = 0;
	}
	if (ports_mark(r, it->d, 1)) {
		flush_queued(r);
		(void)ports_mark(r, it->d, 1);
	}
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
	x = &rs->v[rs->n++];
	memset(x, 0, sizeof(*x));
	x->it = it;
	x->k = k;
	snprintf(x->want, sizeof(x->want), "%s", want);
	x->report_item = r->rep->cur_item;
	x->eager = eager;
	it->deferred = 1;
}

/* A step of x failed: the new container (if any) goes, the old one back. */
static void
replace_failed(struct run *r, struct replace *x, int restart)
{
	if (x->nid[0] != '\0')
		remove_new(r, x->nid);
	restore_old(r, x->it, x->k, restart);
	x->settled = 1;
}

/*
 * After the rename of the old container (rc as rename_out_of_way()'s): a
 * refused one is renamed again once stopped (rename_stopped()), and
 * failing that the container is replaced in place.
 */
static void
replace_renamed(struct run *r, struct replace *x, int rc)
{
	if (rc == 1 && ctr_running(x->k)) {
		rc = rename_stopped(r, x->it, x->k);
		x->stopped = 1;
		x->eager = 0;
	}
	if (rc == -1) {
		x->settled = 1;
		return;
	}
	if (rc == 1) {
		log_warnx(
		    "replace %s: the old container is stopped and removed "
		    "before the new one is created (no rollback possible)",
		    x->it->ident);
		x->settled = 1;
		x->in_place =
		    replace_in_place(r, x->it, x->k, x->want, x->nid) == 0;
	}
}

/* Whether x goes on to its next step; sets the report's item. */
static int
replace_next(struct run *r, struct replace *x)
{
	r->rep->cur_item = x->report_item;
	return !x->settled;
}

/* The renames of the old containers out of the way. */
static void
replace_renames(struct run *r, struct replace_set *rs, struct op_req *o)
{
	for (size_t i = 0; i < rs->n; i++)
		if (old_name(rs->v[i].it, rs->v[i].k, rs->v[i].oldname,
			sizeof(rs->v[i].oldname)))
			op_req_rename(&o[i], rs->v[i].k->id, rs->v[i].oldname);
	run_ops(r, o, rs->n, REPLACE_PARALLEL);
	for (size_t i = 0; i < rs->n; i++) {
		struct replace *x = &rs->v[i];
		if (replace_next(r, x))
			replace_renamed(r, x,
			    o[i].path == NULL
				? 0
				: renamed(r, x->it, x->k, x->oldname, o[i].rc,
				      o[i].err));
		op_req_free(&o[i]);
	}
}

/* The creates of the new containers, the old volumes carried over. */
static void
replace_creates(struct run *r, struct replace_set *rs, struct op_req *o)
{
	char **body = xcalloc(rs->n, sizeof(*body));

	for (size_t i = 0; i < rs->n; i++) {
		struct replace *x = &rs->v[i];
		if (!replace_next(r, x))
			continue;
		body[i] = create_body(
		    r, x->it, x->k, x->want, o[i].err, sizeof(o[i].err));
		if (body[i] != NULL)
			op_req_create(&o[i], x->it->d->name, body[i]);
		else
			o[i].rc = OP_FAILED;
	}
	run_ops(r, o, rs->n, REPLACE_PARALLEL);
	for (size_t i = 0; i < rs->n; i++) {
		struct replace *x = &rs->v[i];
		if (replace_next(r, x) && o[i].rc != OP_OK) {
			run_fail(r,
			    "replace %s: create the new container: %s; the old "
			    "one keeps running",
			    x->it->ident, o[i].err);
			replace_failed(r, x, x->stopped);
		} else if (!x->settled)
			memcpy(x->nid, o[i].id, sizeof(x->nid));
		op_req_free(&o[i]);
		free(body[i]);
	}
	free(body);
}

/* After the start of x's new container: on probation (gate.h), or back. */
static void
replace_started(struct run *r, struct replace *x, const struct op_req *o)
{
	if (o->rc == OP_OK)
		gate_add(r, x->it, (size_t)(x->k - r->ctrs.v), x->nid, x->want,
		    x->was_running);
	else if (x->eager) {
		run_fail(r, "replace %s: start the new container: %s",
		    x->it->ident, o->err);
		replace_failed(r, x, 0);
	} else {
		run_fail(r,
		    "replace %s: start the new container: %s; the old one "
		    "is put back",
		    x->it->ident, o->err);
		replace_failed(r, x, x->was_running);
	}
}

/*
 * Stop-first: each old one stops, and its new one starts as soon as that
 * stop has succeeded, not after the slowest stop of the queue, so that
 * each one is down for its own stop and start only; the old one is kept,
 * stopped, until the new one passes its gate (gate.h).  Eager: the old one
 * keeps running until then, and the new one starts at once.  o holds
 * 2 x rs->n requests: the stops, then the starts.
 */
static void
replace_stops_starts(struct run *r, struct replace_set *rs, struct op_req *o)
{
	struct op_req *start = o + rs->n;

	for (size_t i = 0; i < rs->n; i++) {
		struct replace *x = &rs->v[i];
		x->was_running = ctr_running(x->k);
		if (x->settled)
			continue;
		if (!x->eager && x->was_running)
			op_req_stop(&o[i], x->k->id, x->it->d->stop_timeout);
		op_req_start(&start[i], x->nid);
		if (o[i].path != NULL)
			start[i].after = i + 1;
	}
	run_ops(r, o, 2 * rs->n, REPLACE_PARALLEL);
	for (size_t i = 0; i < rs->n; i++) {
		struct replace *x = &rs->v[i];
		int stopped = o[i].path == NULL || o[i].rc == OP_OK;
		/* Stopped now: its removal needs no stop. */
		if (o[i].path != NULL && stopped)
			ctr_set_state(x->k, "exited");
		if (replace_next(r, x) && !stopped) {
			run_fail(r, "replace %s: stop the old container: %s",
			    x->it->ident, o[i].err);
			replace_failed(r, x, 0);
		} else if (!x->settled)
			replace_started(r, x, &start[i]);
		op_req_free(&o[i]);
		op_req_free(&start[i]);
	}
}

/* What follows a replacement made: its dependents may use it now. */
static void
replace_done(struct run *r, struct replace *x)
{
	struct item *it = x->it;

	memcpy(it->cur_id, x->nid, sizeof(x->nid));
	it->recreated = 1;
	item_learn_mounts(r, it);
	r->rep->replaced++;
	item_signals(r, it);
	report_item_end(r->rep, it->cur_id);
}

/*
 * Makes the queued replacements, each step of all of them together; each
 * one's failures are handled, and reported in order, as when it was made
 * alone.  Once the engine stops answering, the rest are left as they are
 * (the next run picks up from what is on the host).
 */
void
flush_replaces(struct run *r)
{
	struct replace_set *rs = &r->replaces;
	size_t saved = r->rep->cur_item;
	struct op_req *o;

	if (rs->n == 0)
		return;
	log_debug(
	    "replacing %zu containers, %d at a time", rs->n, REPLACE_PARALLEL);
	o = xcalloc(2 * rs->n, sizeof(*o));
	replace_renames(r, rs, o);
	memset(o, 0, rs->n * sizeof(*o));
	if (!r->lost)
		replace_creates(r, rs, o);
	memset(o, 0, rs->n * sizeof(*o));
	if (!r->lost)
		replace_stops_starts(r, rs, o);
	for (size_t i = 0; i < rs->n; i++) {
		struct replace *x = &rs->v[i];
		x->it->deferred = 0;
		(void)ports_mark(r, x->it->d, 0);
		if (!r->lost && (!x->settled || x->in_place)) {
			r->rep->cur_item = x->report_item;
			replace_done(r, x);
		}
		/* A rolling slot goes back unless a gate holds it now. */
		if (!gate_pending(r, x->it))
			rollout_settled(x->it, SLOT_NOT_REPLACED, "");
	}
	r->rep->cur_item = saved;
	rs->n = 0;
	free(o);
}

/* A replacement waits in the queue, unless duplicates must go after it. */
static void
item_replace(struct run *r, struct item *it, struct ctr *k, const char *want)
{
	defer_replace(r, it, k, want);
	if (it->ncand > 1)
		flush_replaces(r);
}

static int
item_start(struct run *r, struct item *it, struct ctr *k, const char *want)
{
	char err[1024];
	int rc;

	rc = start_shared(r, it, k, err, sizeof(err));
	if (rc == OP_FAILED && has_dups(r, it, k)) {
		/* A duplicate may hold a port: drop it and try again. */
		remove_dups(r, it, k, 0);
		if (!r->lost)
			rc =
			    run_op(r, op_start(r->dk, k->id, err, sizeof(err)));
	}
	/* Left created by an engine that died during its start, say. */
	if (rc == OP_FAILED)
		rc = start_unstarted_again(r, it, k, want, err, sizeof(err));
	if (rc != OP_OK) {
		run_fail(r, "start %s: %s", it->ident, err);
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

	if (run_op(r, op_rename(r->dk, k->id, it->d->name, err, sizeof(err))) !=
	    OP_OK) {
		run_fail(
		    r, "rename %s to %s: %s", ctr_label(k), it->d->name, err);
		return -1;
	}
	ctr_set_name(k, it->d->name);
	r->rep->unchanged++;
	return 0;
}

/* The plan line of an action, then (unless dry) the action itself. */
static void
item_act(struct run *r, struct item *it, struct ctr *k, enum act a,
    const char *why, const char *want)
{
	if (a == ACT_RENAME)
		run_plan(
		    r, "rename %s to %s (%s)", ctr_label(k), it->d->name, why);
	else
		run_plan(r, "%s %s (%s)", decide_verb(a, why), it->ident, why);
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
		item_start(r, it, k, want);
		break;
	case ACT_RENAME:
		if (item_rename(r, it, k) == 0 && !ctr_running(k) &&
		    !decide_finished_job(it->d, k))
			item_start(r, it, k, want);
		break;
	default:
		break;
	}
}

/* The image, made local when it can be; NULL when the item must wait. */
struct image_state *
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
		run_fail(r, "%s: %s; %s", it->ident, img->err,
		    it->ncand > 0 ? "its container is left as it is"
				  : "it has no container "
				    "until the image can be pulled");
		return NULL;
	}
	return img;
}

void
reconcile_item(struct run *r, struct item *it)
{
	struct image_state *img;
	struct decide_in in = { .d = it->d, .peer = run_peer, .peer_arg = r };
	struct decision dec;
	struct ctr *k;
	char want[65];

	if ((img = item_image(r, it)) == NULL || r->lost)
		return;
	in.img = img;
	it->want_v1[0] = '\0';
	if (img->id != NULL && !img->outdated) {
		if (spec_wants(it->d, img->id, want, it->want_v1) == -1)
			fatal("%s: hash", __func__);
		in.want = want;
		in.want_v1 = it->want_v1;
	}
	k = item_keeper(r, it, in.want);
	/* An update a killed or stopped run left unfinished (resume.h). */
	if (k != NULL && it->ncand > 1) {
		enum resume rs;
		report_item_seen(r->rep, img->id, ctr_running(k), 1);
		rs = resume_update(r, it, &k, in.want);
		if (rs == RESUME_GATED && !r->lost && !r->dry)
			remove_dups(r, it, k, 0);
		if (rs == RESUME_GATED || rs == RESUME_LEFT)
			return;
	}
	if (k != NULL) {
		snprintf(it->cur_id, sizeof(it->cur_id), "%s", k->id);
		it->mounts = &k->mounts;
	}
	in.k = k;
	in.k_is_self = k != NULL && is_self(r, k);
	decide_item(&in, &dec);
	report_item_seen(
	    r->rep, img->id, k != NULL && ctr_running(k), k != NULL);
	if (dec.self_held) {
		log_warnx("%s is dockerup's own container and needs \"%s\" "
			  "(%s); a running dockerup does not do that to itself",
		    it->ident, decide_verb(dec.act, dec.why), dec.why);
		r->rep->unchanged++;
		return;
	}
	/* An update the health gate rolled back is not tried again; a
	 * rolling one waits for its slot in the fleet group. */
	if (dec.act == ACT_REPLACE &&
	    (gate_held(r, it, in.want) ||
		rollout_hold(r, it, img->id, in.want))) {
		if (r->dry)
			return;
		/* Under its name again, if a rollback was cut short. */
		restore_old(r, it, k, 0);
		/* NULL: never made again with the held combination. */
		if (!ctr_running(k) && !decide_finished_job(it->d, k) &&
		    item_start(r, it, k, NULL) == 0)
			report_item_seen(r->rep, k->image_id, 1, 1);
		return;
	}
	/* What renames, removes or replaces waits for queued creations. */
	if (it->ncand > 1 ||
	    (it->ncand == 1 && dec.act != ACT_NONE && dec.act != ACT_FINISHED))
		flush_launches(r);
	/* Stop-first definitions free the name and ports before acting. */
	remove_dups(r, it, k, it->d->update_eager);
	if (r->lost)
		return;
	if (dec.act == ACT_NONE && k != NULL && net_rejoin(r, it, k))
		r->rep->started++;
	else if (dec.act == ACT_NONE || dec.act == ACT_FINISHED)
		r->rep->unchanged++;
	else
		item_act(r, it, k, dec.act, dec.why, in.want);
	/* Its slot goes back now unless a gate holds it (gate.c) or its
	 * replacement waits in the queue (flush_replaces()). */
	if (!gate_pending(r, it) && !it->deferred)
		rollout_settled(it, SLOT_NOT_REPLACED, "");
	if (!r->lost)
		remove_dups(r, it, k, 0);
}
