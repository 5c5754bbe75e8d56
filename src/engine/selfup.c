/*
 * The self-upgrade (issue #6): the engine's side of the handover files
 * (selfup.h), read through a directory opened before the sandbox and
 * written through the parent, and the upgrade of dockerup's own
 * container that uses them, handled after every other definition of a
 * run.
 */
#include "selfup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "act.h"
#include "bounds.h"
#include "claim.h"
#include "gate.h"
#include "ctrops.h"
#include "imsg.h"
#include "log.h"
#include "observe.h"
#include "parentchan.h"
#include "runlog.h"
#include "spec.h"

static int handover_fd = -1;

int
selfup_init(const char *cache)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/handover", cache);
	if (handover_fd != -1)
		close(handover_fd);
	handover_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (handover_fd == -1)
		log_warn("%s: self-upgrades are disabled", path);
	return handover_fd == -1 ? -1 : 0;
}

int
selfup_available(void)
{
	return handover_fd != -1;
}

int
selfup_read(enum wire_self_file f, char *out, size_t outlen)
{
	ssize_t n;
	int fd;

	const char *name = wire_self_file_name(f);

	if (handover_fd == -1 || name == NULL || outlen == 0)
		return -1;
	fd = openat(handover_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	n = read(fd, out, outlen - 1);
	close(fd);
	if (n < 0)
		return -1;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

int
selfup_write(enum wire_self_file f, const char *text)
{
	struct wire_self_write w;

	memset(&w, 0, sizeof(w));
	w.file = (uint32_t)f;
	if (strlen(text) >= sizeof(w.text))
		return -1;
	memcpy(w.text, text, strlen(text));
	return parent_chan_request(IMSG_SELF_WRITE, &w, sizeof(w));
}

int
selfup_release_lock(void)
{
	return parent_chan_request(IMSG_SELF_RELEASE, NULL, 0);
}

int
selfup_is_id(const char *s)
{
	return docker_id_valid(s);
}

int
selfup_failed_has(const char *hash, char *image, size_t imagelen)
{
	char line[WIRE_SELF_TEXT_MAX], h[65], img[80];

	if (selfup_read(SELF_FILE_FAILED, line, sizeof(line)) == -1 ||
	    sscanf(line, "%64s %79s", h, img) != 2 || strcmp(h, hash) != 0)
		return 0;
	snprintf(image, imagelen, "%s", img);
	return 1;
}

void
selfup_failed_add(const char *hash, const char *image)
{
	char line[WIRE_SELF_TEXT_MAX];

	snprintf(line, sizeof(line), "%s %s %lld", hash, image,
	    (long long)time(NULL));
	if (selfup_write(SELF_FILE_FAILED, line) == -1)
		log_warnx("could not record the failed self-upgrade to %s; "
			  "it will be tried again",
		    image);
}

/* ---- which definition describes dockerup's own container ---- */

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
struct item *
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

/* ---- the eager self-upgrade of dockerup's own container ---- */

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
		run_plan(r, "remove %s (a previous dockerup instance)",
		    ctr_label(c));
		if (r->dry)
			continue;
		if (run_op(
			r, op_remove_force(r->dk, c->id, err, sizeof(err))) !=
		    OP_OK)
			run_fail(r, "remove %s: %s", ctr_label(c), err);
		else {
			c->removed = 1;
			r->rep->removed++;
		}
	}
}

static void
self_sleep(void)
{
	struct timespec ts = { 0, GATE_POLL_MS * 1000000L };

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
		if (*r->stop)
			return -1;
		if (selfup_read(SELF_FILE_READY, line, sizeof(line)) == 0 &&
		    strcmp(line, nid) == 0)
			return 1;
		switch (
		    run_op(r, op_state(r->dk, nid, &st, err, sizeof(err)))) {
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

/* The new instance did not take over: remove it, keep running. */
static void
self_rollback(struct run *r, struct item *it, struct ctr *me, const char *nid,
    const char *image, const char *want, const char *why)
{
	char err[1024], tail[GATE_LOG_LINES * 160];

	gate_log_tail(r, nid, tail, sizeof(tail));
	if (tail[0] != '\0')
		log_warnx("new instance %.12s said: %s", nid, tail);
	log_warnx("self-upgrade of %s to image %s FAILED: the new container "
		  "%.12s %s.  It is removed and this instance (%.12s) keeps "
		  "running.  That image is not tried again until %s points to "
		  "another image or the definition changes.",
	    it->ident, image, nid, why, me->id, it->d->image);
	if (!r->lost &&
	    run_op(r, op_remove_force(r->dk, nid, err, sizeof(err))) != OP_OK)
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
			run_fail(r,
			    "self-upgrade of %s: dockerup cannot rename its "
			    "own container out of the way; not upgrading",
			    it->ident);
		return -1;
	}
	if (create_container(r, it, want, nid, err, sizeof(err)) != OP_OK) {
		run_fail(r,
		    "self-upgrade of %s: create the new container: %s; "
		    "this instance keeps running",
		    it->ident, err);
		restore_old(r, it, me, 0);
		return -1;
	}
	if (run_op(r, op_start(r->dk, nid, err, sizeof(err))) != OP_OK) {
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
		    spec_hash_matches(c->label_hash, want, it->want_v1))
			spare = c;
	}
	self_remove_others(r, it, me, spare);
	if (r->lost)
		return;
	if (selfup_write(SELF_FILE_OLD, me->id) == -1) {
		run_fail(r,
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
		run_fail(r,
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
void
self_reconcile(struct run *r, struct item *it)
{
	static char said_failed[65];
	struct image_state *img;
	struct ctr *me = run_self_ctr(r);
	char want[65], why[DECIDE_WHY_MAX], image[80];
	const char *wantp = NULL;

	if (me == NULL || (img = item_image(r, it)) == NULL || r->lost)
		return;
	snprintf(it->cur_id, sizeof(it->cur_id), "%s", me->id);
	it->want_v1[0] = '\0';
	if (img->id != NULL && !img->outdated) {
		if (spec_wants(it->d, img->id, want, it->want_v1) == -1)
			fatal("%s: hash", __func__);
		wantp = want;
	}
	switch (decide_self(
	    it->d, it->ident, me, img, wantp, it->want_v1, why, sizeof(why))) {
	case SELF_REPLACE_UNPULLED:
		run_plan(r, "replace %s (%s; self-upgrade)", it->ident, why);
		r->rep->replaced++;
		return;
	case SELF_UNCHANGED:
		r->rep->unchanged++;
		self_remove_others(r, it, me, NULL);
		return;
	case SELF_UPGRADE:
		break;
	}
	/* Recorded before 2026-12-03: under the older label. */
	if (selfup_failed_has(want, image, sizeof(image)) ||
	    (it->want_v1[0] != '\0' &&
		selfup_failed_has(it->want_v1, image, sizeof(image)))) {
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
	run_plan(r, "replace %s (%s; self-upgrade)", it->ident, why);
	if (r->dry) {
		r->rep->replaced++;
		return;
	}
	if (!selfup_available()) {
		run_fail(r,
		    "self-upgrade of %s: no handover directory; not "
		    "upgrading",
		    it->ident);
		return;
	}
	self_upgrade(r, it, me, want, img->id);
}

/* Handed over: our own container goes, and with it this process. */
void
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
