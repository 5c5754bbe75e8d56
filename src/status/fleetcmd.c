/*
 * `dockerup fleet [--format json]`: the fleet group as etcd holds it
 * (issue #17): the hosts that published their last run (a server's entry
 * lives on its lease: present is alive), the image each runs per
 * definition, who holds a rolling slot, and which updates failed where.
 * `dockerup fleet retry NAME` (root) deletes the group's failed/ keys of
 * NAME, so that its update may roll out again.  No child, no lock: the
 * settings file names etcd; what etcd answers is checked as the loader
 * checks it, and every string is printed escaped.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "curlso.h"
#include "errlist.h"
#include "etcd.h"
#include "fleetcmd.h"
#include "log.h"
#include "status.h"
#include "cli.h"
#include "xalloc.h"

#define FLEET_TEXT_MAX 256 /* a string of a host's entry, kept */

/* A printable string member of o (at most FLEET_TEXT_MAX), or NULL. */
static const char *
text_of(const cJSON *o, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsString(j) || strlen(j->valuestring) > FLEET_TEXT_MAX)
		return NULL;
	for (const char *p = j->valuestring; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	return j->valuestring;
}

static double
number_of(const cJSON *o, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(j) && j->valuedouble >= 0 && j->valuedouble < 1e13
	    ? j->valuedouble
	    : -1;
}

static void
add_text(cJSON *to, const char *name, const char *v)
{
	if (cJSON_AddStringToObject(to, name, v != NULL ? v : "") == NULL)
		fatal("%s", __func__);
}

static void
add_number(cJSON *to, const char *name, double v)
{
	if (cJSON_AddNumberToObject(to, name, v) == NULL)
		fatal("%s", __func__);
}

/* One host's entry, as much of it as is in form. */
static cJSON *
host_view(const char *name, const unsigned char *v, size_t len)
{
	cJSON *in =
	    v != NULL ? cJSON_ParseWithLength((const char *)v, len) : NULL;
	cJSON *out = cJSON_CreateObject(), *defs;
	const cJSON *d, *arr;
	size_t n = 0;

	if (out == NULL)
		fatal("%s", __func__);
	add_text(out, "host", name);
	if (!cJSON_IsObject(in)) {
		if (cJSON_AddBoolToObject(out, "invalid", 1) == NULL)
			fatal("%s", __func__);
		cJSON_Delete(in);
		return out;
	}
	add_number(out, "time", number_of(in, "time"));
	add_number(out, "exit", number_of(in, "exit"));
	add_number(out, "rollbacks", number_of(in, "rollbacks"));
	if ((defs = cJSON_AddArrayToObject(out, "definitions")) == NULL)
		fatal("%s", __func__);
	arr = cJSON_GetObjectItemCaseSensitive(in, "definitions");
	if (!cJSON_IsArray(arr))
		arr = NULL;
	cJSON_ArrayForEach(d, arr)
	{
		cJSON *e;
		if (!cJSON_IsObject(d) || text_of(d, "name") == NULL ||
		    n++ >= MAX_DEFINITIONS)
			continue;
		if ((e = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(defs, e))
			fatal("%s", __func__);
		add_text(e, "name", text_of(d, "name"));
		add_text(e, "image", text_of(d, "image"));
		add_text(e, "action", text_of(d, "action"));
		if (cJSON_AddBoolToObject(e, "running",
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			    d, "running"))) == NULL)
			fatal("%s", __func__);
		if (text_of(d, "error") != NULL)
			add_text(e, "error", text_of(d, "error"));
	}
	cJSON_Delete(in);
	return out;
}

/* A slot's or a failed update's record: rolling/ or failed/ keys. */
static cJSON *
key_view(const struct etcd_kv *kv, size_t dirlen, int failed)
{
	const char *rest = kv->key + dirlen, *slash = strrchr(rest, '/');
	struct fleet_value v;
	cJSON *o = cJSON_CreateObject();
	char *ident;
	int ok;

	if (o == NULL)
		fatal("%s", __func__);
	if (slash == NULL)
		slash = rest + strlen(rest);
	ident = fleet_ident_text(rest, (size_t)(slash - rest));
	add_text(o, "definition", ident);
	free(ident);
	add_text(o, failed ? "hash" : "slot", *slash ? slash + 1 : "");
	ok = kv->value != NULL &&
	    fleet_parse_value((const char *)kv->value, kv->len, &v) == 0;
	add_text(o, "host", ok ? v.host : NULL);
	add_number(o, "time", ok ? (double)v.time : -1);
	if (!failed)
		add_text(o, "hash", ok ? v.hash : NULL);
	else
		add_text(o, "reason", ok ? v.reason : NULL);
	if (!ok && cJSON_AddBoolToObject(o, "invalid", 1) == NULL)
		fatal("%s", __func__);
	return o;
}

cJSON *
fleet_view(const char *group, const struct fleet_listing *l)
{
	static const char *const names[FLEET_DIRS] = { "hosts", "slots",
		"failed" };
	cJSON *o = cJSON_CreateObject(), *a;

	if (o == NULL)
		fatal("%s", __func__);
	add_text(o, "group", group);
	for (int d = 0; d < FLEET_DIRS; d++) {
		size_t dl = strlen(l->dir[d]);
		if ((a = cJSON_AddArrayToObject(o, names[d])) == NULL)
			fatal("%s", __func__);
		for (size_t i = 0; i < l->kvs[d].n; i++) {
			const struct etcd_kv *kv = &l->kvs[d].v[i];
			cJSON *e = d == FLEET_HOSTS
			    ? host_view(kv->key + dl, kv->value, kv->len)
			    : key_view(kv, dl, d == FLEET_FAILED);
			if (!cJSON_AddItemToArray(a, e))
				fatal("%s", __func__);
		}
	}
	return o;
}

/* ---- printing ---- */

static void
put(const char *s)
{
	char esc[4 * FLEET_TEXT_MAX + 8];

	log_escape(s != NULL ? s : "", LOG_ESC_TEXT, esc, sizeof(esc));
	fputs(esc, stdout);
}

static const char *
get(const cJSON *o, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(j) ? j->valuestring : "";
}

static void
put_time(const cJSON *o)
{
	double t = number_of(o, "time");
	char when[40];

	/* A time from etcd is anyone's number: only a plausible one is
	   converted (a double out of int64_t's range would be undefined). */
	if (!(t >= 0 && t < UTC_TEXT_MAX_T) ||
	    utc_text((int64_t)t, when, sizeof(when)) == -1)
		snprintf(when, sizeof(when), "?");
	fputs(when, stdout);
}

static void
print_text(const cJSON *v)
{
	const cJSON *h, *d, *e;
	const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(v, "hosts");
	const cJSON *slots = cJSON_GetObjectItemCaseSensitive(v, "slots");
	const cJSON *failed = cJSON_GetObjectItemCaseSensitive(v, "failed");

	printf("fleet group ");
	put(get(v, "group"));
	printf(": %d host%s\n", cJSON_GetArraySize(hosts),
	    cJSON_GetArraySize(hosts) == 1 ? "" : "s");
	cJSON_ArrayForEach(h, hosts)
	{
		printf("host ");
		put(get(h, "host"));
		if (cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(h, "invalid"))) {
			printf(": its entry is not in form\n");
			continue;
		}
		printf(": last run ");
		put_time(h);
		printf(", exit %d\n", (int)number_of(h, "exit"));
		cJSON_ArrayForEach(
		    d, cJSON_GetObjectItemCaseSensitive(h, "definitions"))
		{
			printf("  ");
			put(get(d, "name"));
			printf("  image %.19s  %s  %s", get(d, "image"),
			    cJSON_IsTrue(
				cJSON_GetObjectItemCaseSensitive(d, "running"))
				? "running"
				: "not running",
			    get(d, "action"));
			if ((e = cJSON_GetObjectItemCaseSensitive(
				 d, "error")) != NULL) {
				printf("  error: ");
				put(get(d, "error"));
			}
			printf("\n");
		}
	}
	printf("rolling slots held: %d\n", cJSON_GetArraySize(slots));
	cJSON_ArrayForEach(d, slots)
	{
		printf("  ");
		put(get(d, "definition"));
		printf(" slot ");
		put(get(d, "slot"));
		printf(": ");
		put(get(d, "host")[0] ? get(d, "host") : "(unreadable)");
		printf(" since ");
		put_time(d);
		printf(", update to %.12s\n", get(d, "hash"));
	}
	printf("failed updates: %d\n", cJSON_GetArraySize(failed));
	cJSON_ArrayForEach(d, failed)
	{
		printf("  ");
		put(get(d, "definition"));
		printf(" update %.12s rolled back on ", get(d, "hash"));
		put(get(d, "host")[0] ? get(d, "host") : "(unreadable)");
		printf(" at ");
		put_time(d);
		printf(": ");
		put(get(d, "reason"));
		printf("\n");
	}
}

/* ---- the command ---- */

static const char *const dir_names[FLEET_DIRS] = { "hosts", "rolling",
	"failed" };

static int
connect_etcd(const struct settings *s, const char *cmd)
{
	char err[512];

	if (!settings_etcd_on(s)) {
		fprintf(stderr,
		    "dockerup %s: no etcd in the settings; expected etcd = "
		    "http(s)://HOST:PORT in the settings file (--config)\n",
		    cmd);
		return -1;
	}
	if (curlso_load(err, sizeof(err)) == -1 ||
	    etcd_preinit(s, err, sizeof(err)) == -1) {
		fprintf(stderr, "dockerup %s: %s\n", cmd, err);
		return -1;
	}
	return 0;
}

static int
show(const struct settings *s)
{
	struct fleet_listing l;
	char err[1024], *text;
	int rc = 0;
	cJSON *v;

	memset(&l, 0, sizeof(l));
	if (connect_etcd(s, "fleet") == -1)
		return 1;
	for (int d = 0; d < FLEET_DIRS && rc == 0; d++) {
		l.dir[d] = settings_etcd_group_dir(s, dir_names[d]);
		if (etcd_range(s, l.dir[d], 0, &l.kvs[d], err, sizeof(err)) !=
		    ETCD_OK) {
			fprintf(stderr, "dockerup fleet: %s\n", err);
			rc = 1;
		}
	}
	if (rc == 0) {
		v = fleet_view(s->fleet_group ? s->fleet_group : "", &l);
		if (s->format == OUTPUT_JSON) {
			if ((text = cJSON_Print(v)) == NULL)
				fatal("cJSON_Print");
			printf("%s\n", text);
			free(text);
		} else
			print_text(v);
		cJSON_Delete(v);
	}
	for (int d = 0; d < FLEET_DIRS; d++) {
		etcd_kvs_free(&l.kvs[d]);
		free(l.dir[d]);
	}
	return rc;
}

static int
retry(const struct settings *s, const char *name)
{
	char *dir = settings_etcd_group_dir(s, "failed"), *e, *prefix;
	char err[1024];
	struct etcd_kvs kvs;
	int rc = 0;

	e = fleet_key_ident(name);
	xasprintf(&prefix, "%s%s/", dir, e);
	if (etcd_range(s, prefix, 1, &kvs, err, sizeof(err)) != ETCD_OK ||
	    (kvs.n > 0 &&
		etcd_delete(s, prefix, 1, err, sizeof(err)) != ETCD_OK)) {
		fprintf(stderr, "dockerup fleet retry: %s\n", err);
		rc = 1;
	} else if (kvs.n == 0)
		printf("dockerup fleet retry: no failed update of %s is "
		       "recorded in the group; nothing to do\n",
		    name);
	else
		printf("dockerup fleet retry: %zu failed update%s of %s "
		       "cleared; the hosts of the group try it again\n",
		    kvs.n, kvs.n == 1 ? "" : "s", name);
	etcd_kvs_free(&kvs);
	free(prefix);
	free(e);
	free(dir);
	return rc;
}

static int
show_cb(const struct settings *s, void *arg)
{
	return show(s);
}

static int
retry_cb(const struct settings *s, void *arg)
{
	const char *name = arg;

	if (name == NULL) {
		fprintf(stderr,
		    "usage: dockerup fleet retry NAME [--config FILE]\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "dockerup fleet retry: needs root\n");
		return 2;
	}
	return connect_etcd(s, "fleet retry") == -1 ? 1 : retry(s, name);
}

int
fleet_command(int argc, char *argv[])
{
	char *args[FLEET_MAX_ARGS + 1];
	const char *name;
	int n;

	if (argc >= 2 && strcmp(argv[1], "retry") == 0) {
		if (cli_split_name(argc - 1, argv + 1, args, FLEET_MAX_ARGS, &n,
			&name) == -1) {
			fprintf(stderr, "dockerup fleet: too many arguments\n");
			return 2;
		}
		return cli_run("fleet retry", n, args, retry_cb, (void *)name);
	}
	return cli_run("fleet", argc, argv, show_cb, NULL);
}
