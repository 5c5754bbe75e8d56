/*
 * Loading the desired state: sources, last good contents in memory and
 * through a sink (a stand-in for the parent) across restarts, the
 * complete flag, merging, and EC2 user-data against the
 * metadata emulator of the test rig (tests/rig/imds.py, started here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <zlib.h>

#include "bounds.h"
#include "buf.h"
#include "defn.h"
#include "defs.h"
#include "errlist.h"
#include "testerrs.h"
#include "fetch.h"
#include "lastgood.h"
#include "settings.h"
#include "userdata.h"
#include "wire.h"

static char root[64], confdir[128];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void
write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", confdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	char err[256];

	/* libcurl, as a fetcher with user-data on loads it */
	if (fetch_preinit(err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	snprintf(root, sizeof(root), "/tmp/test_fetch.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(confdir, sizeof(confdir), "%s/containers.d", root);
	mkdir(confdir, 0755);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void
settings_for_test(struct settings *s)
{
	settings_init(s);
	free(s->confdir);
	s->confdir = strdup(confdir);
	free(s->seccomp_dir);
	s->seccomp_dir = strdup(root);
}

static int
has_error(const struct errlist *e, const char *where, const char *field,
    const char *substr)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->v[i].where, where) != NULL &&
		    strcmp(e->v[i].field, field) == 0 &&
		    strstr(e->v[i].msg, substr) != NULL)
			return 1;
	print_errors(e);
	return 0;
}

struct loaded {
	struct desired_state st;
	struct errlist errs;
	int rc;
};

static void
run_load(struct fetch_state *fs, const struct settings *s, struct loaded *l)
{
	desired_state_init(&l->st);
	errlist_init(&l->errs);
	struct file_ops ops = direct_file_ops;

	ops.ctx = s->seccomp_dir; /* as the parent reads them */
	l->rc = fetch_load(fs, s, &ops, &l->st, &l->errs);
}

static void
loaded_free(struct loaded *l)
{
	desired_state_free(&l->st);
	errlist_free(&l->errs);
}

static const struct source_status *
source(const struct loaded *l, const char *suffix)
{
	for (size_t i = 0; i < l->st.nsources; i++) {
		size_t n = strlen(l->st.sources[i].name), m = strlen(suffix);
		if (n >= m &&
		    strcmp(l->st.sources[i].name + n - m, suffix) == 0)
			return &l->st.sources[i];
	}
	fail_msg("no source %s", suffix);
	return NULL;
}

static const struct defn *
def_named(const struct loaded *l, const char *name)
{
	for (size_t i = 0; i < l->st.ndefs; i++)
		if (l->st.defs[i].name && strcmp(l->st.defs[i].name, name) == 0)
			return &l->st.defs[i];
	return NULL;
}

/*
 * A stand-in for the parent: the copies handed to the sink, by source.
 * fs_start() is a fetcher (re)start: a new state restored from them.
 */
struct kept {
	char *name;
	unsigned char *p;
	size_t len;
};
static struct kept kept[MAX_LASTGOOD_COPIES];
static size_t nkept;

static long
kept_find(const char *name)
{
	for (size_t i = 0; i < nkept; i++)
		if (strcmp(kept[i].name, name) == 0)
			return (long)i;
	return -1;
}

static void
kept_del(void *ctx, const char *name)
{
	long i = kept_find(name);

	if (i < 0)
		return;
	free(kept[i].name);
	free(kept[i].p);
	memmove(
	    &kept[i], &kept[i + 1], (nkept - (size_t)i - 1) * sizeof(*kept));
	nkept--;
}

static void
kept_put(void *ctx, const unsigned char *p, size_t len)
{
	struct wire_lastgood w;
	char err[256];

	assert_int_equal(wire_decode_lastgood(p, len, &w, err, sizeof(err)), 0);
	kept_del(NULL, w.name);
	assert_true(nkept < MAX_LASTGOOD_COPIES);
	kept[nkept].name = strdup(w.name);
	kept[nkept].p = malloc(len);
	assert_non_null(kept[nkept].p);
	memcpy(kept[nkept].p, p, len);
	kept[nkept++].len = len;
	wire_lastgood_free(&w);
}

static void
kept_clear(void)
{
	while (nkept > 0)
		kept_del(NULL, kept[0].name);
}

static const struct lastgood_sink test_sink = { kept_put, kept_del, NULL };

/* Restores every kept copy; returns how many were refused. */
static struct fetch_state *
fs_start(size_t *refused)
{
	struct fetch_state *fs = fetch_state_new(&test_sink);
	const char *why;

	if (refused != NULL)
		*refused = 0;
	for (size_t i = nkept; i-- > 0;)
		if (fetch_state_restore(fs, kept[i].p, kept[i].len, &why) ==
			-1 &&
		    refused != NULL)
			(*refused)++;
	return fs;
}

static int
lastgood_exists(const char *srcname)
{
	return kept_find(srcname) >= 0;
}

/* --- confdir sources ------------------------------------------------------ */

static void
test_confdir_sources_and_lastgood(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct loaded l;
	char src[256];

	sh("rm -rf %s/*", confdir);
	kept_clear();
	settings_for_test(&s);
	write_file("a.json",
	    "{\"name\": \"app\", \"image\": \"app:1\", "
	    "\"links\": {\"db\": \"db\"}}");
	write_file("b.json",
	    "{\"containers\": [{\"name\": \"db\", "
	    "\"image\": \"db:1\"}]}");
	write_file(".hidden.json", "not json at all");
	write_file("notes.txt", "ignored");
	write_file("b.json~", "ignored");
	sh("mkdir %s/dir.json", confdir);
	fs = fs_start(NULL);

	run_load(fs, &s, &l);
	print_errors(&l.errs);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.errs.n, 0);
	assert_int_equal(l.st.complete, 1);
	assert_int_equal(l.st.nsources, 2);
	assert_int_equal(source(&l, "/a.json")->health, SOURCE_OK);
	assert_true(source(&l, "/a.json")->good_since > 0);
	assert_int_equal(l.st.ndefs, 2);
	assert_string_equal(l.st.defs[0].name, "db"); /* dependency first */
	assert_string_equal(l.st.defs[1].name, "app");
	snprintf(src, sizeof(src), "%s/a.json", confdir);
	assert_string_equal(l.st.defs[1].source, src);
	assert_true(lastgood_exists(src));
	loaded_free(&l);

	/* a.json broken: its last good contents stand in, exit 2. */
	write_file("a.json",
	    "{\"name\": \"app\", \"image\": \"app:2\", "
	    "\"portMapping\": []}");
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 2);
	assert_true(has_error(
	    &l.errs, "/a.json", "portMapping", "did you mean portMappings?"));
	assert_int_equal(source(&l, "/a.json")->health, SOURCE_STALE);
	assert_non_null(strstr(source(&l, "/a.json")->error, "portMapping"));
	assert_int_equal(l.st.complete, 1);
	assert_string_equal(def_named(&l, "app")->image, "app:1");
	loaded_free(&l);
	fetch_state_free(fs);

	/* A restart while a.json is still broken: the copy kept. */
	fs = fs_start(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 2);
	assert_int_equal(source(&l, "/a.json")->health, SOURCE_STALE);
	assert_non_null(def_named(&l, "app"));
	assert_string_equal(def_named(&l, "app")->image, "app:1");
	assert_int_equal(l.st.complete, 1);
	loaded_free(&l);

	/* A new broken file has nothing to fall back on: incomplete. */
	write_file("c.json", "{\"name\": \"c\"}");
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 2);
	assert_int_equal(source(&l, "/c.json")->health, SOURCE_FAILED);
	assert_int_equal(l.st.complete, 0);
	assert_true(has_error(&l.errs, "/c.json", "image", "is missing"));
	assert_int_equal(l.st.ndefs, 2); /* the valid ones stay */
	loaded_free(&l);

	/* The directory gone (not emptied): the copies stand in. */
	sh("mv %s %s.away", confdir, confdir);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 2);
	assert_int_equal(l.st.complete, 0);
	assert_true(has_error(&l.errs, "containers.d", "",
	    "is gone, but it "
	    "held definitions before"));
	assert_int_equal(source(&l, "/a.json")->health, SOURCE_STALE);
	assert_int_equal(l.st.ndefs, 2);
	loaded_free(&l);
	sh("mv %s.away %s", confdir, confdir);
	/* Removing files is a real change: their copies go too. */
	sh("rm %s/a.json %s/c.json", confdir, confdir);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.st.complete, 1);
	assert_int_equal(l.st.ndefs, 1);
	assert_false(lastgood_exists(src));
	loaded_free(&l);
	fetch_state_free(fs);
	settings_free(&s);
}

/* Replaces the first occurrence of from in a kept copy (same length). */
static void
kept_edit(const char *name, const char *from, const char *to)
{
	long i = kept_find(name);
	unsigned char *at;

	assert_true(i >= 0 && strlen(from) == strlen(to));
	at = memmem(kept[i].p, kept[i].len, from, strlen(from));
	assert_non_null(at);
	memcpy(at, to, strlen(to));
}

static void
test_tampered_lastgood_is_refused(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct loaded l;
	size_t refused;
	char src[256];

	sh("rm -rf %s/*", confdir);
	kept_clear();
	settings_for_test(&s);
	write_file("a.json", "{\"name\": \"aa\", \"image\": \"a:1\"}");
	fs = fs_start(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0);
	loaded_free(&l);
	fetch_state_free(fs);
	/* Someone edits the copy: invalid contents are never used, and the
	 * sink is told to forget them. */
	snprintf(src, sizeof(src), "%s/a.json", confdir);
	kept_edit(src, "a:1", "A B");
	write_file("a.json", "{\"name\": \"aa\", \"image\": \"a:2\",}");
	fs = fs_start(&refused);
	assert_int_equal(refused, 1);
	assert_false(lastgood_exists(src));
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 2);
	assert_int_equal(source(&l, "/a.json")->health, SOURCE_FAILED);
	assert_int_equal(l.st.complete, 0);
	assert_int_equal(l.st.ndefs, 0);
	loaded_free(&l);
	fetch_state_free(fs);
	/* A copy that is not an encoding at all is refused. */
	write_file("a.json", "{\"name\": \"aa\", \"image\": \"a:1\"}");
	fs = fs_start(NULL);
	run_load(fs, &s, &l);
	loaded_free(&l);
	fetch_state_free(fs);
	kept[0].len -= 3; /* truncated */
	fs = fs_start(&refused);
	assert_int_equal(refused, 1);
	fetch_state_free(fs);
	kept_clear();
	settings_free(&s);
}

static void
test_merge_conflicts_and_references(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct loaded l;

	sh("rm -rf %s/*", confdir);
	kept_clear();
	settings_for_test(&s);
	write_file("1.json", "{\"name\": \"web\", \"image\": \"a:1\"}");
	write_file("2.json",
	    "{\"containers\": [{\"name\": \"xx\", \"image\": "
	    "\"x\"}, {\"name\": \"web\", \"image\": \"b:1\"}]}");
	write_file("3.json",
	    "{\"name\": \"lonely\", \"image\": \"l\", "
	    "\"volumes\": [{\"from\": \"ghost\"}]}");
	write_file("4.json",
	    "{\"containers\": ["
	    "{\"name\": \"pp\", \"image\": \"p\", \"links\": {\"qq\": \"q\"}},"
	    "{\"name\": \"qq\", \"image\": \"q\", \"links\": {\"pp\": \"p\"}},"
	    "{\"name\": \"rr\", \"image\": \"r\", \"links\": {\"pp\": "
	    "\"p\"}}]}");
	fs = fetch_state_new(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 2);
	assert_int_equal(l.st.complete, 0);
	assert_true(has_error(
	    &l.errs, "/2.json", "containers[1].name", "is also declared in"));
	assert_true(
	    has_error(&l.errs, "/2.json", "containers[1].name", "1.json"));
	assert_true(has_error(&l.errs, "/3.json", "volumes[0].from",
	    "\"ghost\" is not a declared container"));
	assert_true(has_error(&l.errs, "/4.json", "dependencies",
	    "dependency cycle pp -> qq -> pp"));
	assert_true(has_error(&l.errs, "/4.json", "containers[2].links.pp",
	    "not a declared container"));
	/* What is left is valid and kept: web from 1.json, and x. */
	assert_int_equal(l.st.ndefs, 2);
	assert_string_equal(def_named(&l, "web")->image, "a:1");
	assert_non_null(def_named(&l, "xx"));
	assert_int_equal(source(&l, "/1.json")->health, SOURCE_OK);
	assert_int_equal(source(&l, "/2.json")->health, SOURCE_FAILED);
	loaded_free(&l);
	fetch_state_free(fs);
	settings_free(&s);
}

/*
 * A compromised user-data loader: it names the confdir file 1.json as the
 * source of its definitions and of its source.  The fetcher labels all of
 * it user-data, so the trust policy of remote sources applies.
 */
static void
impostor_load(void *ctx, const struct settings *s, struct ud_part *out)
{
	struct defn d;
	char *path = ctx;

	defn_init(&d);
	d.name = strdup("imp");
	d.image = strdup("i:1");
	d.source = strdup(path);
	d.privileged = 1;
	out->prefix = calloc(1, sizeof(*out->prefix));
	assert_non_null(out->prefix);
	out->prefix[0] = strdup("containers[0]");
	desired_state_add(&out->st, &d);
	out->st.sources = calloc(1, sizeof(*out->st.sources));
	assert_non_null(out->st.sources);
	out->st.sources[0].name = strdup(path);
	out->st.sources[0].health = SOURCE_OK;
	out->st.nsources = 1;
	errlist_add(&out->errs, path, "containers[9]", "a problem of its own");
}

static void
test_loader_speaks_only_for_userdata(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct file_ops ops = direct_file_ops;
	struct loaded l;
	char path[600];
	size_t n;

	sh("rm -rf %s/*", confdir);
	kept_clear();
	settings_for_test(&s);
	s.aws = 1;
	write_file("1.json", "{\"name\": \"web\", \"image\": \"a:1\"}");
	snprintf(path, sizeof(path), "%s/1.json", confdir);
	ops.load_userdata = impostor_load;
	ops.ctx = path; /* no profile is read here */
	fs = fetch_state_new(NULL);
	desired_state_init(&l.st);
	errlist_init(&l.errs);
	l.rc = fetch_load(fs, &s, &ops, &l.st, &l.errs);
	assert_int_equal(l.rc, 2);
	assert_int_equal(l.st.complete, 0);
	assert_true(has_error(&l.errs, "user-data", "containers[0].privileged",
	    "not allowed for user-data (trust policy: "
	    "userdata_allow_privileged)"));
	assert_true(has_error(
	    &l.errs, "user-data", "containers[9]", "a problem of its own"));
	assert_null(def_named(&l, "imp"));
	assert_string_equal(def_named(&l, "web")->source, path);
	assert_int_equal(source(&l, "user-data")->health, SOURCE_FAILED);
	assert_int_equal(source(&l, "/1.json")->health, SOURCE_OK);
	n = 0; /* 1.json is named once: the confdir's own */
	for (size_t i = 0; i < l.st.nsources; i++)
		n += strcmp(l.st.sources[i].name, path) == 0;
	assert_int_equal(n, 1);
	loaded_free(&l);
	fetch_state_free(fs);
	settings_free(&s);
}

/* A hostile chain of references is pruned whole, and fast. */
static void
test_hostile_chain(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct loaded l;
	struct buf b;
	time_t t0;

	sh("rm -rf %s/*", confdir);
	kept_clear();
	buf_init(&b, MAX_DOCUMENT_SIZE);
	buf_append_str(&b, "{\"containers\": [");
	for (int i = 0; i < MAX_DEFINITIONS; i++) {
		buf_printf(&b,
		    "%s{\"name\": \"c%d\", \"image\": \"i\", "
		    "\"links\": [",
		    i ? "," : "", i);
		for (int k = 1; k <= 20; k++)
			buf_printf(&b, "%s\"c%d\"", k > 1 ? "," : "",
			    i + k < MAX_DEFINITIONS ? i + k
						    : MAX_DEFINITIONS + k);
		buf_append_str(&b, "]}");
	}
	buf_append_str(&b, "]}");
	write_file("chain.json", buf_cstr(&b));
	buf_free(&b);
	settings_for_test(&s);
	fs = fetch_state_new(NULL);
	t0 = time(NULL);
	run_load(fs, &s, &l);
	assert_true(time(NULL) - t0 < 10);
	assert_int_equal(l.rc, 2);
	assert_int_equal(l.st.ndefs, 0);
	assert_int_equal(l.st.complete, 0);
	assert_true(has_error(&l.errs, "chain.json",
	    "containers[511].links.c513", "not a declared container"));
	loaded_free(&l);
	fetch_state_free(fs);
	settings_free(&s);
}

/* Two definitions publishing one host port: the second never starts. */
static void
test_host_port_conflicts(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct loaded l;

	sh("rm -rf %s/*", confdir);
	kept_clear();
	settings_for_test(&s);
	write_file("1.json",
	    "{\"name\": \"web\", \"image\": \"a:1\", \"portMappings\": "
	    "[{\"containerPort\": 80, \"hostPort\": 8080}, "
	    "{\"containerPort\": 53, \"hostPort\": 53}]}");
	write_file("2.json",
	    "{\"containers\": [{\"name\": \"api\", \"image\": \"b:1\", "
	    "\"portMappings\": [{\"containerPort\": 9000, \"hostPort\": "
	    "8080}]}, "
	    /* udp is another port; host networking publishes nothing */
	    "{\"name\": \"dns\", \"image\": \"d:1\", \"portMappings\": "
	    "[{\"containerPort\": \"53/udp\", \"hostPort\": 53}]}, "
	    "{\"name\": \"hn\", \"image\": \"h:1\", \"network\": \"host\", "
	    "\"portMappings\": [{\"containerPort\": 80, \"hostPort\": "
	    "8080}]}]}");
	fs = fetch_state_new(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 2);
	assert_true(has_error(&l.errs, "/2.json",
	    "containers[0].portMappings[0].hostPort",
	    "8080/tcp is also published by web ("));
	assert_true(has_error(&l.errs, "/2.json",
	    "containers[0].portMappings[0].hostPort", "1.json)"));
	/* web stays, api is refused, dns (udp) and hn (host) are kept. */
	assert_non_null(def_named(&l, "web"));
	assert_null(def_named(&l, "api"));
	assert_non_null(def_named(&l, "dns"));
	assert_non_null(def_named(&l, "hn"));
	assert_int_equal(source(&l, "/1.json")->health, SOURCE_OK);
	assert_int_equal(source(&l, "/2.json")->health, SOURCE_FAILED);
	loaded_free(&l);
	fetch_state_free(fs);
	settings_free(&s);
}

static void
test_confdir_missing_or_broken(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct loaded l;
	char big[256];

	settings_init(&s);
	free(s.confdir);
	s.confdir = strdup("/nonexistent/containers.d");
	fs = fetch_state_new(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0); /* no directory: no local definitions */
	assert_int_equal(l.st.complete, 1);
	assert_int_equal(l.st.nsources, 0);
	loaded_free(&l);
	free(s.confdir);
	assert_true(asprintf(&s.confdir, "%s/afile", root) > 0);
	sh("touch %s/afile", root);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 2);
	assert_int_equal(l.st.complete, 0);
	assert_true(
	    has_error(&l.errs, "afile", "", "cannot list the directory"));
	loaded_free(&l);
	fetch_state_free(fs);
	settings_free(&s);
	/* A file over MAX_DOCUMENT_SIZE. */
	sh("rm -rf %s/*", confdir);
	snprintf(big, sizeof(big), "%s/big.json", confdir);
	sh("head -c %d /dev/zero | tr '\\0' ' ' > %s", MAX_DOCUMENT_SIZE + 1,
	    big);
	settings_for_test(&s);
	fs = fetch_state_new(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 2);
	char want[64];
	snprintf(want, sizeof(want), "is larger than %d", MAX_DOCUMENT_SIZE);
	assert_true(has_error(&l.errs, "big.json", "", want));
	loaded_free(&l);
	fetch_state_free(fs);
	settings_free(&s);
}

/* A seccomp profile is kept with the copy: the copy needs no file. */
static void
test_seccomp_profile_in_lastgood(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct loaded l;
	char doc[512], prof[256];

	sh("rm -rf %s/*", confdir);
	kept_clear();
	snprintf(prof, sizeof(prof), "%s/prof.json", root);
	sh("echo '{ \"defaultAction\" : \"SCMP_ACT_ERRNO\" }' > %s", prof);
	snprintf(doc, sizeof(doc),
	    "{\"name\": \"ss\", \"image\": \"s\", "
	    "\"securityOpt\": [\"seccomp=prof\"]}");
	write_file("s.json", doc);
	settings_for_test(&s);
	fs = fs_start(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0);
	assert_string_equal(
	    l.st.defs[0].seccomp, "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}");
	loaded_free(&l);
	fetch_state_free(fs);
	sh("rm %s", prof);
	fs = fs_start(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 2); /* the profile is gone now */
	assert_true(has_error(&l.errs, "s.json", "securityOpt[0]",
	    "seccomp profile prof cannot be read: No such file"));
	assert_int_equal(source(&l, "/s.json")->health, SOURCE_STALE);
	assert_string_equal(
	    l.st.defs[0].seccomp, "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}");
	loaded_free(&l);
	fetch_state_free(fs);
	settings_free(&s);
}

/* A profile that allows everything makes its source invalid, unless
 * seccomp_allow_permissive says it is wanted. */
static void
test_permissive_profile_refused(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct loaded l;

	sh("rm -rf %s/*", confdir);
	kept_clear();
	sh("echo '{\"defaultAction\": \"SCMP_ACT_ALLOW\"}' > %s/open.json",
	    root);
	write_file("o.json",
	    "{\"name\": \"oo\", \"image\": \"s\", "
	    "\"securityOpt\": [\"seccomp=open\"]}");
	settings_for_test(&s);
	fs = fetch_state_new(NULL);
	run_load(fs, &s, &l);
	print_errors(&l.errs);
	assert_int_equal(l.rc, 2);
	assert_int_equal(l.st.ndefs, 0);
	assert_true(has_error(
	    &l.errs, "o.json", "securityOpt", "allows every system call"));
	assert_true(has_error(
	    &l.errs, "o.json", "securityOpt", "seccomp_allow_permissive=true"));
	loaded_free(&l);
	s.seccomp_allow_permissive = 1;
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.st.ndefs, 1);
	loaded_free(&l);
	fetch_state_free(fs);
	settings_free(&s);
	sh("rm %s/open.json", root);
}

/* --- user-data bodies ------------------------------------------------------ */

static size_t
gzip_bytes(const char *text, size_t len, unsigned char *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
			     Z_DEFAULT_STRATEGY),
	    Z_OK);
	z.next_in = (unsigned char *)(uintptr_t)text;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

static void
test_userdata_decode(void **state)
{
	const char *json = "{\"containers\": []}";
	unsigned char gz[4096];
	char err[256];
	struct buf out;
	size_t n;

	buf_init(&out, MAX_DOCUMENT_SIZE);
	assert_int_equal(userdata_decode((const unsigned char *)json,
			     strlen(json), &out, err, sizeof(err)),
	    UD_JSON);
	assert_int_equal(out.len, strlen(json));
	n = gzip_bytes(json, strlen(json), gz, sizeof(gz));
	assert_int_equal(
	    userdata_decode(gz, n, &out, err, sizeof(err)), UD_JSON);
	assert_memory_equal(out.p, json, strlen(json));
	assert_int_equal(userdata_decode((const unsigned char *)"#!/bin/sh\n",
			     10, &out, err, sizeof(err)),
	    UD_NOT_JSON);
	assert_string_equal(userdata_describe(out.p, out.len), "a script");
	assert_int_equal(
	    userdata_decode((const unsigned char *)"#cloud-config\n", 14, &out,
		err, sizeof(err)),
	    UD_NOT_JSON);
	assert_int_equal(userdata_decode((const unsigned char *)" \n", 2, &out,
			     err, sizeof(err)),
	    UD_EMPTY);
	/* Corrupt and truncated gzip. */
	n = gzip_bytes(json, strlen(json), gz, sizeof(gz));
	assert_int_equal(
	    userdata_decode(gz, n - 6, &out, err, sizeof(err)), UD_BAD);
	gz[12] ^= 0xff;
	assert_int_equal(
	    userdata_decode(gz, n, &out, err, sizeof(err)), UD_BAD);
	/* A bomb: 2 MiB of spaces in a few KiB. */
	char *bomb = malloc(2 * MAX_DOCUMENT_SIZE);
	memset(bomb, ' ', 2 * MAX_DOCUMENT_SIZE);
	bomb[0] = '{';
	unsigned char *big = malloc(64 * 1024);
	n = gzip_bytes(bomb, 2 * MAX_DOCUMENT_SIZE, big, 64 * 1024);
	assert_int_equal(
	    userdata_decode(big, n, &out, err, sizeof(err)), UD_BAD);
	char want[64];
	snprintf(want, sizeof(want), "decompressed user-data is larger than %d",
	    MAX_DOCUMENT_SIZE);
	assert_non_null(strstr(err, want));
	free(bomb);
	free(big);
	buf_free(&out);
}

/* --- user-data through the metadata emulator ------------------------------ */

static pid_t imds_pid;
static char imds_url[64], control_url[64];

static int
read_port(const char *path)
{
	FILE *f = fopen(path, "r");
	int port = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &port) != 1)
		port = 0;
	fclose(f);
	return port;
}

static int
imds_start(void **state)
{
	char dir[256], pf[300], cf[300];
	const char *src = getenv("DOCKERUP_SRC");

	if (setup(state) == -1)
		return -1;
	snprintf(dir, sizeof(dir), "%s/imds", root);
	mkdir(dir, 0700);
	if ((imds_pid = fork()) == 0) {
		char script[512];
		snprintf(script, sizeof(script), "%s/tests/rig/imds.py",
		    src ? src : ".");
		snprintf(pf, sizeof(pf), "%s/imds.stderr", dir);
		if (freopen(pf, "w", stderr) == NULL)
			_exit(126);
		execlp("python3", "python3", script, "--state-dir", dir,
		    (char *)NULL);
		_exit(127);
	}
	snprintf(pf, sizeof(pf), "%s/imds.port", dir);
	snprintf(cf, sizeof(cf), "%s/imds.control-port", dir);
	for (int i = 0; i < 100; i++) {
		int p = read_port(pf), c = read_port(cf);
		if (p > 0 && c > 0) {
			snprintf(imds_url, sizeof(imds_url),
			    "http://127.0.0.1:%d", p);
			snprintf(control_url, sizeof(control_url),
			    "http://127.0.0.1:%d/_control", c);
			return 0;
		}
		usleep(100000);
	}
	fprintf(stderr, "the metadata emulator did not start\n");
	return -1;
}

static int
imds_stop(void **state)
{
	if (imds_pid > 0) {
		kill(imds_pid, SIGTERM);
		waitpid(imds_pid, NULL, 0);
	}
	return teardown(state);
}

static size_t
sink(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b != NULL)
		buf_append(b, p, size * n);
	return size * n;
}

/* POST (or DELETE) to the emulator's control API. */
static void
control(
    const char *method, const char *path, const char *body, struct buf *answer)
{
	char url[256];
	long status = 0;
	CURL *h = curl_easy_init();

	snprintf(url, sizeof(url), "%s/%s", control_url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (body != NULL)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, answer);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	assert_int_equal(status, 200);
	curl_easy_cleanup(h);
}

static int
stat_of(const char *key)
{
	struct buf b;
	char pat[64], *p;
	int v = -1;

	buf_init(&b, 65536);
	control("GET", "stats", NULL, &b);
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	if ((p = strstr(buf_cstr(&b), pat)) != NULL)
		v = atoi(p + strlen(pat));
	buf_free(&b);
	return v;
}

static void
userdata_settings(struct settings *s)
{
	settings_init(s);
	free(s->confdir);
	s->confdir = strdup("/nonexistent");
	free(s->imds);
	s->imds = strdup(imds_url);
	s->aws = 1;
}

static void
test_imds_v2_flow(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct loaded l;

	control("POST", "mode", "normal", NULL);
	control("POST", "user-data",
	    "{\"containers\": [{\"name\": \"uu\", "
	    "\"image\": \"u:1\", \"env\": {\"SECRET\": \"hunter2\"}}]}",
	    NULL);
	control("POST", "stats/reset", "", NULL);
	userdata_settings(&s);
	fs = fs_start(NULL);
	run_load(fs, &s, &l);
	print_errors(&l.errs);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.st.ndefs, 1);
	assert_string_equal(l.st.defs[0].source, "user-data");
	assert_int_equal(source(&l, "user-data")->health, SOURCE_OK);
	assert_int_equal(stat_of("token"), 1);
	assert_int_equal(stat_of("user_data"), 1);
	assert_int_equal(stat_of("unauthorized"), 0);
	loaded_free(&l);
	/* The token is reused until it expires; a revoked one is renewed. */
	run_load(fs, &s, &l);
	assert_int_equal(stat_of("token"), 1);
	loaded_free(&l);
	control("POST", "tokens/expire", "", NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(stat_of("token"), 2);
	assert_int_equal(stat_of("unauthorized"), 1);
	loaded_free(&l);
	fetch_state_free(fs);
	settings_free(&s);
}

static void
test_imds_404_gzip_v1_notjson(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct loaded l;

	userdata_settings(&s);
	kept_clear();
	fs = fs_start(NULL);
	control("POST", "mode", "normal", NULL);
	control("DELETE", "user-data", NULL, NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.st.ndefs, 0);
	assert_int_equal(l.st.complete, 1); /* 404: truly empty */
	loaded_free(&l);
	control("POST", "user-data?gzip=1",
	    "{\"containers\": [{\"name\": "
	    "\"gg\", \"image\": \"g\"}]}",
	    NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0);
	assert_string_equal(l.st.defs[0].name, "gg");
	loaded_free(&l);
	/* IMDSv1 only with imds_v1: else an error naming the setting.  A
	 * restart, so that no token is held from before. */
	fetch_state_free(fs);
	fs = fs_start(NULL);
	control("POST", "mode", "v1only", NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 1);
	assert_true(has_error(&l.errs, "user-data", "",
	    "it offers IMDSv1 only; expected IMDSv2, or the setting "
	    "imds_v1=true (--imds-v1)"));
	assert_int_equal(source(&l, "user-data")->health, SOURCE_STALE);
	assert_int_equal(l.st.ndefs, 1);
	loaded_free(&l);
	s.imds_v1 = 1;
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.st.ndefs, 1);
	loaded_free(&l);
	s.imds_v1 = 0;
	control("POST", "mode", "normal", NULL);
	/* A broken answer after good contents is not an empty answer. */
	const char *broken[] = {
		"<html><body><h1>502 Bad Gateway</h1></body></html>",
		"\x01\x02garbage\xff\xfe",
		"#!/bin/sh\necho hello\n",
	};
	for (size_t i = 0; i < sizeof(broken) / sizeof(*broken); i++) {
		control("POST", "user-data", broken[i], NULL);
		run_load(fs, &s, &l);
		assert_int_equal(l.rc, 2);
		assert_int_equal(source(&l, "user-data")->health, SOURCE_STALE);
		assert_non_null(strstr(source(&l, "user-data")->error,
		    "not a definition document, while the last good "
		    "user-data declares 1 container"));
		assert_int_equal(l.st.ndefs, 1);
		assert_string_equal(l.st.defs[0].name, "gg");
		assert_int_equal(l.st.complete, 1);
		loaded_free(&l);
	}
	/* At a first start, a script declares no container: no error. */
	fetch_state_free(fs);
	fs = fetch_state_new(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.errs.n, 0);
	assert_int_equal(l.st.ndefs, 0);
	assert_int_equal(l.st.complete, 1);
	loaded_free(&l);
	/* ...and again: the empty last good contents declare nothing. */
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(source(&l, "user-data")->health, SOURCE_OK);
	loaded_free(&l);
	/* Broken JSON is an error (2) and keeps the last good contents. */
	control("POST", "user-data",
	    "{\"containers\": [{\"name\": \"bb\", "
	    "\"image\": \"b\"}]}",
	    NULL);
	run_load(fs, &s, &l);
	loaded_free(&l);
	control("POST", "user-data",
	    "{\"containers\": [{\"name\": \"bb\", "
	    "\"image\": \"b\", \"env\": {\"K\": \"topsecret\"}},]}",
	    NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 2);
	assert_int_equal(source(&l, "user-data")->health, SOURCE_STALE);
	assert_string_equal(l.st.defs[0].name, "bb");
	assert_true(has_error(&l.errs, "user-data", "", "invalid JSON"));
	for (size_t i = 0; i < l.errs.n; i++)
		assert_null(strstr(l.errs.v[i].msg, "topsecret"));
	loaded_free(&l);
	fetch_state_free(fs);
	settings_free(&s);
}

static void
test_imds_outage(void **state)
{
	struct settings s;
	struct fetch_state *fs;
	struct loaded l;
	time_t t0;

	kept_clear();
	userdata_settings(&s);
	/* Outage at first start: nothing known, nothing may be stopped. */
	control("POST", "mode", "refuse", NULL);
	fs = fs_start(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 1);
	assert_int_equal(l.st.complete, 0);
	assert_int_equal(source(&l, "user-data")->health, SOURCE_UNREACHABLE);
	assert_true(has_error(&l.errs, "user-data", "", "after 3 retries"));
	loaded_free(&l);
	/* A good fetch, then an outage: the last good contents, and again
	 * after a restart. */
	control("POST", "mode", "normal", NULL);
	control("POST", "user-data",
	    "{\"containers\": [{\"name\": \"kk\", "
	    "\"image\": \"k\"}]}",
	    NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 0);
	loaded_free(&l);
	fetch_state_free(fs);
	control("POST", "mode", "reset", NULL);
	fs = fs_start(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 1);
	assert_int_equal(l.st.complete, 1);
	assert_int_equal(source(&l, "user-data")->health, SOURCE_STALE);
	assert_string_equal(l.st.defs[0].name, "kk");
	loaded_free(&l);
	/* A token request that times out names the usual cause. */
	control("POST", "mode", "slow 3", NULL);
	fetch_state_free(fs);
	fs = fetch_state_new(NULL);
	t0 = time(NULL);
	run_load(fs, &s, &l);
	assert_int_equal(l.rc, 1);
	assert_true(has_error(&l.errs, "user-data", "",
	    "which the instance metadata hop limit of 1 does not answer; "
	    "expected dockerup on the host network: run its container "
	    "with --network host"));
	assert_true(time(NULL) - t0 < 20);
	loaded_free(&l);
	control("POST", "mode", "normal", NULL);
	fetch_state_free(fs);
	settings_free(&s);
}

int
main(void)
{
	const struct CMUnitTest local[] = {
		cmocka_unit_test(test_confdir_sources_and_lastgood),
		cmocka_unit_test(test_tampered_lastgood_is_refused),
		cmocka_unit_test(test_merge_conflicts_and_references),
		cmocka_unit_test(test_loader_speaks_only_for_userdata),
		cmocka_unit_test(test_host_port_conflicts),
		cmocka_unit_test(test_confdir_missing_or_broken),
		cmocka_unit_test(test_hostile_chain),
		cmocka_unit_test(test_seccomp_profile_in_lastgood),
		cmocka_unit_test(test_permissive_profile_refused),
		cmocka_unit_test(test_userdata_decode),
	};
	const struct CMUnitTest imds[] = {
		cmocka_unit_test(test_imds_v2_flow),
		cmocka_unit_test(test_imds_404_gzip_v1_notjson),
		cmocka_unit_test(test_imds_outage),
	};
	int failed;

	failed = cmocka_run_group_tests_name("fetch", local, setup, teardown);
	failed +=
	    cmocka_run_group_tests_name("imds", imds, imds_start, imds_stop);
	return failed;
}
