/*
 * Run reports, the JSON plan, <cache>/status.json and the metrics file
 * (see status.h).
 */
#include "status.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "clock.h"
#include "errlist.h"
#include "failed.h"
#include "log.h"
#include "observe.h"
#include "xalloc.h"

/* ---- the run report ---- */

/* A copy of s, "" for NULL. */
static char *
dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

/* At most MAX_REPORT_TEXT bytes of s, cut at a character boundary. */
static char *
xstrdup_cut(const char *s)
{
	size_t n = strlen(s);

	if (n > MAX_REPORT_TEXT) {
		n = MAX_REPORT_TEXT;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return xstrndup(s, n);
}

void
run_report_free(struct run_report *rep)
{
	for (size_t i = 0; i < rep->nactions; i++) {
		free(rep->actions[i].action);
		free(rep->actions[i].name);
		free(rep->actions[i].detail);
		free(rep->actions[i].reason);
		free(rep->actions[i].line);
	}
	free(rep->actions);
	for (size_t i = 0; i < rep->nitems; i++) {
		free(rep->items[i].ident);
		free(rep->items[i].name);
		free(rep->items[i].action);
		free(rep->items[i].reason);
		free(rep->items[i].error);
	}
	free(rep->items);
	free(rep->error);
	rep->actions = NULL;
	rep->items = NULL;
	rep->error = NULL;
	rep->nactions = rep->nitems = rep->cur_item = 0;
}

static struct run_item *
cur_item(struct run_report *rep)
{
	return rep->cur_item == 0 ? NULL : &rep->items[rep->cur_item - 1];
}

/* Splits "VERB NAME [DETAIL] (REASON)" into a new action record. */
static void
parse_plan(const char *line, struct run_action *a)
{
	const char *sp = strchr(line, ' '), *rest, *paren, *end;
	size_t n;

	a->line = xstrdup_cut(line);
	a->action =
	    sp ? xstrndup(line, (size_t)(sp - line)) : dup_or_empty(line);
	rest = sp ? sp + 1 : "";
	n = strlen(rest);
	paren = strstr(rest, " (");
	end = rest + n;
	if (paren != NULL && n > 0 && rest[n - 1] == ')') {
		a->reason =
		    xstrndup(paren + 2, (size_t)(end - 1 - (paren + 2)));
		end = paren;
	} else
		a->reason = dup_or_empty("");
	if (strcmp(a->action, "prune") == 0) {
		a->name = dup_or_empty("");
		a->detail = xstrndup(rest, (size_t)(end - rest));
	} else if ((sp = memchr(rest, ' ', (size_t)(end - rest))) != NULL) {
		a->name = xstrndup(rest, (size_t)(sp - rest));
		a->detail = xstrndup(sp + 1, (size_t)(end - sp - 1));
	} else {
		a->name = xstrndup(rest, (size_t)(end - rest));
		a->detail = dup_or_empty("");
	}
}

/* Whether a plan line is the action of the definition being reconciled. */
static int
is_item_action(const struct run_action *a, const struct run_item *it)
{
	static const char *const verbs[] = {
		"create",
		"hold",
		"replace",
		"restart",
		"start",
	};

	if (strcmp(a->action, "rename") == 0)
		return 1;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(a->action, verbs[i]) == 0)
			return strcmp(a->name, it->ident) == 0;
	return 0;
}

void
report_plan(struct run_report *rep, const char *line)
{
	struct run_action *nv;
	struct run_item *it;

	if (rep->nactions >= MAX_REPORT_ACTIONS)
		return;
	nv = xreallocarray(rep->actions, rep->nactions + 1, sizeof(*nv));
	rep->actions = nv;
	parse_plan(line, &nv[rep->nactions]);
	if ((it = cur_item(rep)) != NULL &&
	    is_item_action(&nv[rep->nactions], it)) {
		free(it->action);
		free(it->reason);
		it->action = dup_or_empty(nv[rep->nactions].action);
		it->reason = dup_or_empty(nv[rep->nactions].reason);
	}
	rep->nactions++;
}

void
report_fail(struct run_report *rep, const char *msg)
{
	struct run_item *it = cur_item(rep);
	char **dst = it ? &it->error : &rep->error;

	/* The first failure says what went wrong; later ones follow from it. */
	if (*dst == NULL)
		*dst = xstrdup_cut(msg);
}

void
report_rolled_back(
    struct run_report *rep, const char *msg, int running, const char *image_id)
{
	struct run_item *it = cur_item(rep);

	if (it == NULL)
		return;
	free(it->action);
	free(it->reason);
	it->action = dup_or_empty("rollback");
	it->reason = xstrdup_cut(msg);
	it->was_running = running;
	snprintf(it->image_id, sizeof(it->image_id), "%s", image_id);
}

void
report_run_error(struct run_report *rep, const char *msg)
{
	free(rep->error);
	rep->error = xstrdup_cut(msg);
}

void
report_item_begin(struct run_report *rep, const char *ident, const char *name)
{
	struct run_item *nv;

	nv = xreallocarray(rep->items, rep->nitems + 1, sizeof(*nv));
	rep->items = nv;
	memset(&nv[rep->nitems], 0, sizeof(*nv));
	nv[rep->nitems].ident = dup_or_empty(ident);
	nv[rep->nitems].name = name ? dup_or_empty(name) : NULL;
	rep->nitems++;
	rep->cur_item = rep->nitems;
}

void
report_item_seen(struct run_report *rep, const char *image_id, int was_running,
    int has_container)
{
	struct run_item *it = cur_item(rep);

	if (it == NULL)
		return;
	snprintf(
	    it->image_id, sizeof(it->image_id), "%s", image_id ? image_id : "");
	it->was_running = was_running;
	if (it->action == NULL && has_container)
		it->action = dup_or_empty("unchanged");
}

void
report_item_runs(struct run_report *rep, const char *image_id)
{
	struct run_item *it = cur_item(rep);

	if (it != NULL)
		snprintf(it->running_image, sizeof(it->running_image), "%s",
		    image_id ? image_id : "");
}

void
report_item_end(struct run_report *rep, const char *container_id)
{
	struct run_item *it = cur_item(rep);

	if (it == NULL)
		return;
	snprintf(it->container_id, sizeof(it->container_id), "%s",
	    container_id ? container_id : "");
	if (it->action == NULL)
		it->action = dup_or_empty(it->error ? "none" : "unchanged");
	rep->cur_item = 0;
}

/* ---- JSON helpers ---- */

static cJSON *
obj_add(cJSON *o, const char *key, cJSON *v)
{
	if (v == NULL || !cJSON_AddItemToObject(o, key, v))
		fatal("%s", __func__);
	return v;
}

/*
 * A string as the JSON log format writes it (log_escape()): texts from
 * the Docker endpoint or a source reach status.json, and `dockerup status
 * --format json` prints that file to a terminal, with no control
 * character (C1 included) and only valid UTF-8.
 */
static void
add_str(cJSON *o, const char *key, const char *v)
{
	char *esc;
	size_t n;

	if (v == NULL) {
		obj_add(o, key, cJSON_CreateNull());
		return;
	}
	n = 6 * strlen(v) + 3; /* \u0000 per byte at most, quotes, NUL */
	esc = xmalloc(n);
	esc[0] = '"';
	log_escape(v, LOG_ESC_JSON, esc + 1, n - 2);
	strcat(esc, "\"");
	obj_add(o, key, cJSON_CreateRaw(esc));
	free(esc);
}

static void
add_num(cJSON *o, const char *key, double v)
{
	obj_add(o, key, cJSON_CreateNumber(v));
}

static void
add_time(cJSON *o, const char *key, int64_t t)
{
	char s[40];

	if (t <= 0) {
		add_str(o, key, NULL);
		return;
	}
	utc_text(t, s, sizeof(s));
	add_str(o, key, s);
}

static cJSON *
counts_json(const struct run_report *rep, int dry)
{
	cJSON *c = cJSON_CreateObject();

	if (c == NULL)
		fatal("%s", __func__);
	add_num(c, dry ? "create" : "created", rep->created);
	add_num(c, dry ? "replace" : "replaced", rep->replaced);
	add_num(c, dry ? "start" : "started", rep->started);
	add_num(c, dry ? "remove" : "removed", rep->removed);
	add_num(c, "unchanged", rep->unchanged);
	add_num(c, "failed", rep->failed);
	return c;
}

/* ---- the plan of a dry run ---- */

void
status_print_plan(const struct run_report *rep, int exit_code, FILE *f)
{
	cJSON *doc = cJSON_CreateObject(), *acts, *sum;
	char *text;

	if (doc == NULL || (acts = cJSON_CreateArray()) == NULL)
		fatal("%s", __func__);
	obj_add(doc, "actions", acts);
	for (size_t i = 0; i < rep->nactions; i++) {
		const struct run_action *a = &rep->actions[i];
		cJSON *o = cJSON_CreateObject();
		if (o == NULL || !cJSON_AddItemToArray(acts, o))
			fatal("%s", __func__);
		add_str(o, "action", a->action);
		add_str(o, "name", a->name);
		if (a->detail[0] != '\0')
			add_str(o, "detail", a->detail);
		add_str(o, "reason", a->reason);
		add_str(o, "line", a->line);
	}
	sum = obj_add(doc, "summary", counts_json(rep, 1));
	add_num(sum, "exit_code", exit_code);
	add_str(sum, "error", rep->error);
	if ((text = cJSON_Print(doc)) == NULL)
		fatal("%s", __func__);
	fprintf(f, "%s\n", text);
	fflush(f);
	free(text);
	cJSON_Delete(doc);
}

/* ---- status.json and the metrics file ---- */

static struct {
	int cache_fd;       /* the cache directory, or -1 */
	int metrics_fd;     /* the metrics file's directory, or -1 */
	char *metrics_name; /* its base name */
	uint64_t runs, failures, rollbacks;
	int64_t last_success;
	gid_t group; /* status_group's, or (gid_t)-1: root's only */
} out = { -1, -1, NULL, 0, 0, 0, 0, (gid_t)-1 };

static uint64_t
json_count(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	/* NaN fails both comparisons too. */
	if (!cJSON_IsNumber(v) ||
	    !(v->valuedouble >= 0 && v->valuedouble <= (double)DOCKER_NUM_MAX))
		return 0;
	return (uint64_t)v->valuedouble;
}

/* Reads all of fd, at most max bytes; NULL when larger or unreadable. */
static char *
read_all(int fd, size_t max, size_t *lenp)
{
	struct buf b;

	buf_init(&b, max + 1);
	if (buf_read_fd(&b, fd) == -1 || b.len > max) {
		int saved = b.len > max ? EFBIG : errno;
		buf_free(&b);
		errno = saved;
		return NULL;
	}
	*lenp = b.len;
	if (buf_append(&b, "", 1) == -1) {
		buf_free(&b);
		return NULL;
	}
	return (char *)b.p;
}

int
status_parse_totals(const char *data, size_t len, struct status_totals *t)
{
	cJSON *doc = cJSON_ParseWithLength(data, len);
	const cJSON *o;

	memset(t, 0, sizeof(*t));
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return -1;
	}
	o = cJSON_GetObjectItemCaseSensitive(doc, "totals");
	t->runs = json_count(o, "runs");
	t->failures = json_count(o, "failures");
	t->rollbacks = json_count(o, "self_rollbacks");
	t->last_success = (int64_t)json_count(o, "last_success");
	cJSON_Delete(doc);
	return 0;
}

/* The counters of earlier runs, so that they only ever grow. */
static void
read_totals(void)
{
	int fd = openat(out.cache_fd, STATUS_FILE, O_RDONLY | O_CLOEXEC);
	struct status_totals t;
	size_t len;
	char *data;

	if (fd == -1) {
		if (errno != ENOENT)
			log_warn("%s: reading the run totals", STATUS_FILE);
		return;
	}
	data = read_all(fd, MAX_STATUS_FILE, &len);
	close(fd);
	if (data == NULL || status_parse_totals(data, len, &t) == -1) {
		log_warnx("%s is unreadable or not a JSON object; the run "
			  "totals start again from 0",
		    STATUS_FILE);
		free(data);
		return;
	}
	free(data);
	out.runs = t.runs;
	out.failures = t.failures;
	out.rollbacks = t.rollbacks;
	out.last_success = t.last_success;
}

static void
open_metrics_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (slash == NULL || slash[1] == '\0') {
		log_warnx("metrics_file %s: expected the path of a file", path);
		return;
	}
	dir = slash == path ? dup_or_empty("/")
			    : xstrndup(path, (size_t)(slash - path));
	out.metrics_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out.metrics_fd == -1)
		log_warn(
		    "metrics_file: directory %s; no metrics are written", dir);
	else
		out.metrics_name = dup_or_empty(slash + 1);
	free(dir);
}

/*
 * Makes the engine a member of status_group (while it still may, before
 * its sandbox), so that it can give its files to that group without
 * CAP_CHOWN.
 */
static void
join_status_group(const char *name)
{
	struct group *g = getgrnam(name);

	out.group = (gid_t)-1;
	if (g == NULL) {
		log_warnx("status_group %s: no such group; status.json and "
			  "the metrics file stay readable by root only",
		    name);
		return;
	}
	if (setgroups(1, &g->gr_gid) == -1) {
		log_warn("status_group %s: joining it; status.json and the "
			 "metrics file stay readable by root only",
		    name);
		return;
	}
	out.group = g->gr_gid;
}

void
status_open(const struct settings *s)
{
	if (out.cache_fd != -1)
		close(out.cache_fd);
	if (out.metrics_fd != -1)
		close(out.metrics_fd);
	free(out.metrics_name);
	out.cache_fd = out.metrics_fd = -1;
	out.metrics_name = NULL;
	out.runs = out.failures = out.rollbacks = 0;
	out.last_success = 0;
	if (s->mode == MODE_DRY_RUN || s->mode == MODE_CHECK)
		return;
	/* 0640: the owner (root) and at most status_group read them. */
	umask(S_IWGRP | S_IRWXO);
	if (s->status_group != NULL)
		join_status_group(s->status_group);
	out.cache_fd = open(s->cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out.cache_fd == -1)
		log_warn("cache directory %s: no %s is written", s->cache,
		    STATUS_FILE);
	else
		read_totals();
	if (s->metrics_file != NULL)
		open_metrics_dir(s->metrics_file);
}

/*
 * Replaces dir/name with data: a temporary file in the same directory,
 * written and synced, renamed over the old one, then the directory
 * synced, so that a reader sees the old or the new file, never a part.
 * mode 0640 files go to status_group when it is set.
 */
int
status_write_file(
    int dirfd, const char *name, const char *data, size_t len, mode_t mode)
{
	char tmp[MAX_PATH_LEN];
	size_t off = 0;
	int fd;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	if (unlinkat(dirfd, tmp, 0) == -1 && errno != ENOENT)
		return -1;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	if ((mode & S_IRGRP) && out.group != (gid_t)-1 &&
	    fchown(fd, (uid_t)-1, out.group) == -1) {
		/* Not a reason to lose the status: the owner still reads it. */
		log_warn("status_group: giving %s to the group; it stays "
			 "readable by its owner only",
		    name);
		out.group = (gid_t)-1;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) == -1)
		goto fail;
	return fsync(dirfd);
fail : {
	int saved = errno;
	if (fd != -1)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	errno = saved;
}
	return -1;
}

static int
is_run_verb(const char *a)
{
	return strcmp(a, "create") == 0 || strcmp(a, "replace") == 0 ||
	    strcmp(a, "restart") == 0 || strcmp(a, "start") == 0 ||
	    strcmp(a, "rename") == 0;
}

/* running, stopped, failed or absent, after the run. */
static const char *
item_state(const struct run_item *it)
{
	if (it->error != NULL)
		return "failed";
	if (it->action != NULL && is_run_verb(it->action))
		return "running";
	if (it->container_id[0] == '\0')
		return "absent";
	return it->was_running ? "running" : "stopped";
}

static const char *
health_name(enum source_health h)
{
	switch (h) {
	case SOURCE_OK:
		return "ok";
	case SOURCE_STALE:
		return "using_last_good";
	case SOURCE_FAILED:
		return "error";
	case SOURCE_UNREACHABLE:
		return "unreachable";
	}
	return "unknown";
}

/* The last rollback of a definition (failed.h), or null. */
static cJSON *
rollback_json(const struct failed_store *fs, const char *ident)
{
	const struct failed_entry *e = failed_find(fs, ident);
	cJSON *o;

	if (e == NULL)
		return cJSON_CreateNull();
	if ((o = cJSON_CreateObject()) == NULL)
		fatal("%s", __func__);
	add_time(o, "time", e->time);
	add_str(o, "why", e->why);
	add_str(o, "image_id", e->image[0] ? e->image : NULL);
	obj_add(o, "held", cJSON_CreateBool(e->hash[0] != '\0'));
	add_num(o, "rollbacks", (double)e->rollbacks);
	return o;
}

static cJSON *
definitions_json(const struct run_report *rep)
{
	cJSON *arr = cJSON_CreateArray();
	struct failed_store fs;

	if (arr == NULL)
		fatal("%s", __func__);
	failed_current(&fs);
	for (size_t i = 0; i < rep->nitems; i++) {
		const struct run_item *it = &rep->items[i];
		cJSON *o = cJSON_CreateObject();
		if (o == NULL || !cJSON_AddItemToArray(arr, o))
			fatal("%s", __func__);
		add_str(o, "id", it->ident);
		add_str(o, "name", it->name);
		add_str(o, "state", item_state(it));
		add_str(o, "container_id",
		    it->container_id[0] ? it->container_id : NULL);
		add_str(o, "image_id", it->image_id[0] ? it->image_id : NULL);
		add_str(o, "last_action", it->action);
		add_str(o, "reason", it->reason);
		add_str(o, "last_error", it->error);
		obj_add(o, "last_rollback", rollback_json(&fs, it->ident));
	}
	failed_store_free(&fs);
	return arr;
}

static cJSON *
sources_json(const struct desired_state *st)
{
	cJSON *arr = cJSON_CreateArray();

	if (arr == NULL)
		fatal("%s", __func__);
	for (size_t i = 0; i < st->nsources; i++) {
		const struct source_status *s = &st->sources[i];
		cJSON *o = cJSON_CreateObject();
		if (o == NULL || !cJSON_AddItemToArray(arr, o))
			fatal("%s", __func__);
		add_str(o, "name", s->name);
		add_str(o, "health", health_name(s->health));
		add_str(o, "error", s->error);
		add_time(o, "good_since",
		    s->health == SOURCE_STALE ? s->good_since : 0);
	}
	return arr;
}

static cJSON *
totals_json(void)
{
	cJSON *t = cJSON_CreateObject();

	if (t == NULL)
		fatal("%s", __func__);
	add_num(t, "runs", (double)out.runs);
	add_num(t, "failures", (double)out.failures);
	add_num(t, "self_rollbacks", (double)out.rollbacks);
	add_num(t, "last_success", (double)out.last_success);
	return t;
}

static char *
status_json(const struct desired_state *st, const struct run_report *rep,
    const struct run_timing *t, int exit_code)
{
	cJSON *doc = cJSON_CreateObject();
	char *text;

	if (doc == NULL)
		fatal("%s", __func__);
	add_num(doc, "version", STATUS_VERSION);
	add_time(doc, "time", t->start);
	add_num(doc, "duration_seconds", t->duration);
	add_str(doc, "result", exit_code == 0 ? "ok" : "failed");
	add_num(doc, "exit_code", exit_code);
	add_str(doc, "error", rep->error);
	obj_add(doc, "counts", counts_json(rep, 0));
	obj_add(doc, "definitions", definitions_json(rep));
	obj_add(doc, "sources", sources_json(st));
	obj_add(doc, "totals", totals_json());
	if ((text = cJSON_Print(doc)) == NULL)
		fatal("%s", __func__);
	cJSON_Delete(doc);
	return text;
}

static void
metric(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * dockerup_rollbacks_total{container="NAME"}: updates the health gate
 * rolled back, per definition (failed.h keeps the counts).
 */
static void
rollback_metrics(struct buf *b)
{
	struct failed_store fs;

	failed_current(&fs);
	metric(b, "dockerup_rollbacks_total", "counter",
	    "Updates rolled back by the health gate, per definition.");
	for (size_t i = 0; i < fs.n; i++) {
		buf_append_str(b, "dockerup_rollbacks_total{container=\"");
		for (const char *p = fs.v[i].ident; *p; p++) {
			if (*p == '\\' || *p == '"')
				buf_printf(b, "\\%c", *p);
			else if (*p == '\n')
				buf_append_str(b, "\\n");
			else
				buf_printf(b, "%c", *p);
		}
		buf_printf(
		    b, "\"} %llu\n", (unsigned long long)fs.v[i].rollbacks);
	}
	failed_store_free(&fs);
}

static char *
metrics_text(
    const struct run_report *rep, const struct run_timing *t, size_t *lenp)
{
	unsigned running = 0, stopped = 0, failed = 0;
	struct buf b;
	char *text;

	for (size_t i = 0; i < rep->nitems; i++) {
		const char *s = item_state(&rep->items[i]);
		running += strcmp(s, "running") == 0;
		stopped += strcmp(s, "stopped") == 0;
		failed += strcmp(s, "failed") == 0;
	}
	buf_init(&b, MAX_STATUS_FILE);
	metric(&b, "dockerup_runs_total", "counter", "Reconcile runs.");
	buf_printf(
	    &b, "dockerup_runs_total %llu\n", (unsigned long long)out.runs);
	metric(&b, "dockerup_run_failures_total", "counter",
	    "Reconcile runs that ended with a failure.");
	buf_printf(&b, "dockerup_run_failures_total %llu\n",
	    (unsigned long long)out.failures);
	metric(&b, "dockerup_containers", "gauge",
	    "Declared containers by state after the last run.");
	buf_printf(&b,
	    "dockerup_containers{state=\"running\"} %u\n"
	    "dockerup_containers{state=\"stopped\"} %u\n"
	    "dockerup_containers{state=\"failed\"} %u\n",
	    running, stopped, failed);
	metric(&b, "dockerup_last_run_timestamp_seconds", "gauge",
	    "When the last run started (unix time).");
	buf_printf(&b, "dockerup_last_run_timestamp_seconds %lld\n",
	    (long long)t->start);
	metric(&b, "dockerup_last_success_timestamp_seconds", "gauge",
	    "When the last run without a failure started (unix time; 0 "
	    "never).");
	buf_printf(&b, "dockerup_last_success_timestamp_seconds %lld\n",
	    (long long)out.last_success);
	metric(&b, "dockerup_last_run_duration_seconds", "gauge",
	    "How long the last run took.");
	buf_printf(
	    &b, "dockerup_last_run_duration_seconds %.3f\n", t->duration);
	metric(&b, "dockerup_self_upgrade_rollbacks_total", "counter",
	    "Self-upgrades rolled back.");
	buf_printf(&b, "dockerup_self_upgrade_rollbacks_total %llu\n",
	    (unsigned long long)out.rollbacks);
	rollback_metrics(&b);
	*lenp = b.len;
	text = xstrndup(buf_cstr(&b), b.len);
	buf_free(&b);
	return text;
}

void
status_write(const struct settings *s, const struct desired_state *st,
    const struct run_report *rep, const struct run_timing *t, int exit_code)
{
	char *text;
	size_t len;

	if (out.cache_fd == -1)
		return;
	out.runs++;
	out.failures += exit_code != 0;
	out.rollbacks += rep->self_rollbacks;
	if (exit_code == 0)
		out.last_success = t->start;
	text = status_json(st, rep, t, exit_code);
	if (status_write_file(
		out.cache_fd, STATUS_FILE, text, strlen(text), 0640) == -1)
		log_warn("writing %s/%s", s->cache, STATUS_FILE);
	free(text);
	if (out.metrics_fd == -1)
		return;
	text = metrics_text(rep, t, &len);
	if (status_write_file(
		out.metrics_fd, out.metrics_name, text, len, 0640) == -1)
		log_warn("writing the metrics file %s", s->metrics_file);
	free(text);
}
