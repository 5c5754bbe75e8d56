/*
 * The trust policy of remote sources (src/common/policy.c): every rule,
 * table-driven, refused for user-data with the settings key that would
 * allow it, accepted once that key is set, and always accepted from a
 * local (confdir) file; the host paths never allowed; reach across
 * sources; the settings keys and their trip to the engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "defn.h"
#include "defs.h"
#include "errlist.h"
#include "testerrs.h"
#include "fetch.h"
#include "policy.h"
#include "settings_parse.h"
#include "wire.h"

#define CONFDIR      "/etc/dockerup/containers.d" /* the default */
#define LOCAL_SOURCE CONFDIR "/t.json"

/* Settings from settings-file text, as root writes them. */
static void
settings_from(struct settings *s, const char *text)
{
	struct errlist e;

	settings_init(s);
	errlist_init(&e);
	if (text != NULL)
		assert_int_equal(settings_parse_file(s, "test.conf", text,
				     strlen(text), NULL, &e),
		    0);
	print_errors(&e);
	assert_int_equal(e.n, 0);
	errlist_free(&e);
}

/* One definition (JSON) of the given source, parsed and valid. */
static void
parse_one(const char *source, const char *json, struct defs_result *r)
{
	struct errlist e;
	char doc[4096];

	snprintf(doc, sizeof(doc), "{\"containers\": [%s]}", json);
	defs_result_init(r);
	errlist_init(&e);
	size_t n = defs_parse(
	    source, doc, strlen(doc), DOC_FILE, &direct_file_ops, r, &e);
	print_errors(&e);
	assert_int_equal(n, 0);
	assert_int_equal(r->n, 1);
	errlist_free(&e);
}

/* The policy's verdict on json from source under settings text. */
static size_t
verdict(const char *settings_text, const char *source, const char *json,
    struct errlist *e)
{
	struct settings s;
	struct defs_result r;
	size_t n;

	settings_from(&s, settings_text);
	parse_one(source, json, &r);
	errlist_init(e);
	n = policy_check_defn(&s, &r.defs[0], r.prefix[0], e);
	defs_result_free(&r);
	settings_free(&s);
	return n;
}

struct rule_case {
	const char *json;    /* a valid definition */
	const char *field;   /* the field refused for user-data */
	const char *message; /* the whole message */
	const char *opening; /* a settings line that allows it */
	const char *still;   /* a settings line that does not */
};

#define DIGEST                                                                 \
	"sha256:"                                                              \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct rule_case rules[] = {
	{ "{\"name\": \"pp\", \"image\": \"busybox\", \"privileged\": true}",
	    "containers[0].privileged",
	    "not allowed for user-data (trust policy: "
	    "userdata_allow_privileged)",
	    "userdata_allow_privileged=true",
	    "userdata_allow_privileged=false" },
	{ "{\"name\": \"cc\", \"image\": \"busybox\", \"capAdd\": [\"ALL\"]}",
	    "containers[0].capAdd[0]",
	    "ALL is not allowed for user-data (trust policy: "
	    "userdata_cap_add)",
	    "userdata_cap_add=ALL", "userdata_cap_add=SYS_ADMIN,NET_ADMIN" },
	{ "{\"name\": \"cc\", \"image\": \"busybox\", "
	  "\"capAdd\": [\"SYS_TIME\", \"NET_ADMIN\"]}",
	    "containers[0].capAdd[1]",
	    "NET_ADMIN is not allowed for user-data (trust policy: "
	    "userdata_cap_add)",
	    "userdata_cap_add=SYS_TIME, NET_ADMIN",
	    "userdata_cap_add=SYS_TIME,NET_RAW" },
	{ "{\"name\": \"hh\", \"image\": \"busybox\", \"network\": \"host\"}",
	    "containers[0].network",
	    "host is not allowed for user-data (trust policy: "
	    "userdata_allow_host_network)",
	    "userdata_allow_host_network=yes", "userdata_allow_privileged=1" },
	{ "{\"name\": \"ss\", \"image\": \"busybox\", "
	  "\"securityOpt\": [\"seccomp=unconfined\"]}",
	    "containers[0].securityOpt",
	    "seccomp=unconfined is not allowed for user-data (trust policy: "
	    "userdata_allow_unconfined)",
	    "userdata_allow_unconfined=true", "userdata_allow_privileged=1" },
	{ "{\"name\": \"aa\", \"image\": \"busybox\", "
	  "\"securityOpt\": [\"no-new-privileges\", "
	  "\"apparmor=unconfined\"]}",
	    "containers[0].securityOpt[1]",
	    "apparmor=unconfined is not allowed for user-data (trust "
	    "policy: userdata_allow_unconfined)",
	    "userdata_allow_unconfined=true", NULL },
	{ "{\"name\": \"vv\", \"image\": \"busybox\", \"volumes\": "
	  "[{\"containerPath\": \"/d\", \"hostPath\": \"/srv/data/x\"}]}",
	    "containers[0].volumes[0].hostPath",
	    "/srv/data/x is not allowed for user-data (trust policy: "
	    "userdata_host_paths)",
	    "userdata_host_paths=/opt,/srv/data/",
	    "userdata_host_paths=/srv/dat,/srv/data/x/y" },
	{ "{\"name\": \"vv\", \"image\": \"busybox\", \"volumes\": "
	  "[{\"containerPath\": \"/h\", \"hostPath\": \"/\"}]}",
	    "containers[0].volumes[0].hostPath",
	    "/ reaches the Docker or containerd socket or data (or /proc); "
	    "never allowed for user-data, whatever the trust policy's "
	    "userdata_host_paths lists",
	    NULL, "userdata_host_paths=/" },
	{ "{\"name\": \"rr\", \"image\": \"busybox\"}", "containers[0].image",
	    "registry docker.io is not allowed for user-data (trust policy: "
	    "userdata_registries)",
	    "userdata_registries=quay.io,Docker.io",
	    "userdata_registries=127.0.0.1:5000" },
	{ "{\"name\": \"rr\", \"image\": \"127.0.0.1:5000/app:1\"}",
	    "containers[0].image",
	    "registry 127.0.0.1:5000 is not allowed for user-data (trust "
	    "policy: userdata_registries)",
	    "userdata_registries=127.0.0.1:5000",
	    "userdata_registries=127.0.0.1" },
	{ "{\"name\": \"dd\", \"image\": \"busybox:1.36\"}",
	    "containers[0].image",
	    "\"busybox:1.36\" is not pinned by digest (IMAGE@sha256:...); "
	    "required for user-data (trust policy: userdata_require_digest)",
	    NULL, "userdata_require_digest=true" },
};

static int
has(const struct errlist *e, const char *where, const char *field,
    const char *msg)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].where, where) == 0 &&
		    strcmp(e->v[i].field, field) == 0 &&
		    strcmp(e->v[i].msg, msg) == 0)
			return 1;
	print_errors(e);
	return 0;
}

static void
test_every_rule(void **state)
{
	struct errlist e;

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule_case *c = &rules[i];
		const char *deny = c->still;
		print_message("rule %zu: %s\n", i, c->field);
		/* Refused by default (or with a key that does not open it);
		 * the registry and digest rules are off by default. */
		size_t n = verdict(NULL, "user-data", c->json, &e);
		if (strstr(c->message, "registry") != NULL ||
		    strstr(c->message, "digest") != NULL)
			assert_int_equal(n, 0);
		else
			assert_true(n >= 1 &&
			    has(&e, "user-data", c->field, c->message));
		errlist_free(&e);
		if (deny != NULL) {
			assert_int_equal(
			    verdict(deny, "user-data", c->json, &e), 1);
			assert_true(has(&e, "user-data", c->field, c->message));
			errlist_free(&e);
		}
		/* Allowed by its key... */
		if (c->opening != NULL) {
			assert_int_equal(
			    verdict(c->opening, "user-data", c->json, &e), 0);
			errlist_free(&e);
		}
		/* ...and always from a root-owned local file. */
		assert_int_equal(verdict(deny ? deny : c->opening, LOCAL_SOURCE,
				     c->json, &e),
		    0);
		errlist_free(&e);
	}
}

static void
test_digest_pinned_is_accepted(void **state)
{
	struct errlist e;

	assert_int_equal(
	    verdict("userdata_require_digest=true", "user-data",
		"{\"name\": \"dd\", \"image\": \"busybox@" DIGEST "\"}", &e),
	    0);
	errlist_free(&e);
}

/* Paths that reach the socket or the engines' data, in any spelling. */
static void
test_host_paths_never_allowed(void **state)
{
	static const char *const never[] = { "/", "/var", "/run",
		"/var/run/docker.sock", "//var//run/docker.sock/",
		"/run/docker.sock", "/var/lib/docker",
		"/var/lib/docker/volumes/x", "/var/lib/containerd",
		"/run/containerd/containerd.sock", "/srv/docker.sock",
		"/proc/1/root", "/proc", "/tmp/rig/engine.sock", "/tmp/rig" };
	static const char *const fine[] = { "/srv/data", "/var/lib/dockerx",
		"/var/log", "/tmp/rig2", "/procfs" };
	struct settings s;

	settings_from(&s,
	    "remote=unix:///tmp/rig/engine.sock\n"
	    "userdata_host_paths=/\n");
	for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++) {
		print_message("never: %s\n", never[i]);
		assert_true(policy_host_path_forbidden(&s, never[i]));
	}
	for (size_t i = 0; i < sizeof(fine) / sizeof(*fine); i++) {
		print_message("fine: %s\n", fine[i]);
		assert_false(policy_host_path_forbidden(&s, fine[i]));
	}
	settings_free(&s);
}

static void
test_source_trust(void **state)
{
	static const struct {
		const char *source, *confdir;
		enum source_trust want;
	} cases[] = {
		{ NULL, CONFDIR, TRUST_REMOTE },
		{ "", CONFDIR, TRUST_REMOTE },
		{ "user-data", CONFDIR, TRUST_REMOTE },
		{ "s3://bucket/key", CONFDIR, TRUST_REMOTE },
		{ "containers.d/x.json", CONFDIR, TRUST_REMOTE },
		{ LOCAL_SOURCE, CONFDIR, TRUST_LOCAL },
		{ LOCAL_SOURCE, CONFDIR "/", TRUST_LOCAL },
		{ CONFDIR "x/t.json", CONFDIR, TRUST_REMOTE },
		{ CONFDIR "/sub/t.json", CONFDIR, TRUST_REMOTE },
		{ CONFDIR "/.t.json", CONFDIR, TRUST_REMOTE },
		{ CONFDIR "/t.txt", CONFDIR, TRUST_REMOTE },
		{ CONFDIR "/.json", CONFDIR, TRUST_REMOTE },
		{ CONFDIR "/", CONFDIR, TRUST_REMOTE },
		{ "/tmp/t.json", CONFDIR, TRUST_REMOTE },
		{ "/tmp/t.json", NULL, TRUST_LOCAL }, /* the fetcher, parsing */
		{ "user-data", NULL, TRUST_REMOTE },
		/* etcd's keys, whatever they look like */
		{ "etcd:/dockerup/default/containers/web", CONFDIR,
		    TRUST_REMOTE },
		{ "etcd:/dockerup/default/containers/web", NULL, TRUST_REMOTE },
		{ "etcd:" LOCAL_SOURCE, CONFDIR, TRUST_REMOTE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		print_message("%s in %s\n",
		    cases[i].source ? cases[i].source : "(null)",
		    cases[i].confdir ? cases[i].confdir : "(null)");
		assert_int_equal(
		    source_trust(cases[i].source, cases[i].confdir),
		    cases[i].want);
	}
	/* No source at all: remote, with a name in the message. */
	struct settings s;
	struct defn d;
	struct errlist e;
	settings_from(&s, NULL);
	defn_init(&d);
	d.name = strdup("x1");
	d.image = strdup("busybox:latest");
	d.privileged = 1;
	errlist_init(&e);
	assert_int_equal(policy_check_defn(&s, &d, "", &e), 1);
	assert_true(has(&e, "a source of unknown origin", "privileged",
	    "not allowed for a source of unknown origin (trust policy: "
	    "userdata_allow_privileged)"));
	errlist_free(&e);
	defn_free(&d);
	settings_free(&s);
}

/*
 * seccomp=PATH from a remote source is refused before anything is read;
 * the document stays valid, its other definitions stand.
 */
static void
test_seccomp_by_path(void **state)
{
	struct defs_result r;
	struct errlist e;
	const char *doc = "{\"containers\": [{\"name\": \"ss\", \"image\": "
			  "\"busybox\", \"securityOpt\": "
			  "[\"seccomp=/etc/shadow\"]}, {\"name\": \"ok\", "
			  "\"image\": \"busybox\"}]}";

	assert_false(policy_seccomp_ref_allowed("user-data", "/etc/x.json"));
	assert_false(policy_seccomp_ref_allowed(NULL, "a/b"));
	assert_true(policy_seccomp_ref_allowed("user-data", "strict"));
	assert_true(policy_seccomp_ref_allowed(LOCAL_SOURCE, "/etc/x.json"));
	defs_result_init(&r);
	errlist_init(&e);
	/* No file_ops: reading anything would fail with another message. */
	assert_int_equal(defs_parse("user-data", doc, strlen(doc), DOC_USERDATA,
			     NULL, &r, &e),
	    0);
	assert_int_equal(e.n, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.refused[0], 1);
	assert_int_equal(r.refused[1], 0);
	assert_null(r.defs[0].seccomp);
	assert_int_equal(r.profiles.n, 0); /* nothing was read */
	assert_true(
	    has(&r.refusals, "user-data", "containers[0].securityOpt[0]",
		"a seccomp profile by path is not allowed for user-data (trust "
		"policy: remote sources name no file); expected seccomp=NAME "
		"(NAME.json in seccomp_dir)"));
	defs_result_free(&r);
	/* With another problem in the document, the refusal is listed too. */
	const char *bad = "{\"containers\": [{\"name\": \"ss\", \"image\": "
			  "\"busybox\", \"securityOpt\": "
			  "[\"seccomp=/etc/shadow\"]}, {\"name\": \"x\"}]}";
	defs_result_init(&r);
	assert_true(defs_parse("user-data", bad, strlen(bad), DOC_USERDATA,
			NULL, &r, &e) > 0);
	assert_true(has(&e, "user-data", "containers[0].securityOpt[0]",
	    "a seccomp profile by path is not allowed for user-data (trust "
	    "policy: remote sources name no file); expected seccomp=NAME "
	    "(NAME.json in seccomp_dir)"));
	errlist_free(&e);
	defs_result_free(&r);
}

static void
add(struct desired_state *st, const char *source, const char *json)
{
	struct defs_result r;

	parse_one(source, json, &r);
	desired_state_add(st, &r.defs[0]); /* moves */
	defs_result_free(&r);
}

/* network container:, volumes from, links, signal: own source only. */
static void
test_reach_other_sources(void **state)
{
	struct desired_state st;
	struct errlist e;
	static const struct {
		const char *json, *field;
	} bad[] = {
		{ "{\"name\": \"n1\", \"image\": \"busybox\", "
		  "\"network\": \"container:app\"}",
		    "network" },
		{ "{\"name\": \"v1\", \"image\": \"busybox\", "
		  "\"volumes\": [{\"from\": \"app\"}]}",
		    "volumes[0].from" },
		{ "{\"name\": \"l1\", \"image\": \"busybox\", "
		  "\"links\": {\"app\": \"a\"}}",
		    "links.app" },
		{ "{\"name\": \"s1\", \"image\": \"busybox\", "
		  "\"signal\": {\"app\": \"KILL\"}}",
		    "signal.app" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		desired_state_init(&st);
		add(&st, LOCAL_SOURCE, "{\"name\": \"app\", \"image\": \"a\"}");
		add(&st, "user-data", bad[i].json);
		/* the same from user-data to user-data, and local to any */
		add(&st, "user-data",
		    "{\"name\": \"own\", \"image\": \"busybox\", "
		    "\"network\": \"container:n0\", \"links\": {\"n0\": "
		    "\"x\"}, \"signal\": {\"n0\": \"HUP\"}, "
		    "\"volumes\": [{\"from\": \"n0\"}]}");
		add(&st, "user-data", "{\"name\": \"n0\", \"image\": \"b\"}");
		add(&st, CONFDIR "/u.json",
		    "{\"name\": \"loc\", \"image\": \"busybox\", "
		    "\"network\": \"container:n0\", \"signal\": "
		    "{\"n0\": \"KILL\"}}");
		struct settings s;
		settings_from(&s, NULL);
		errlist_init(&e);
		for (size_t k = 0; k < st.ndefs; k++)
			(void)policy_check_reach(
			    &s, &st, k, "containers[1]", &e);
		settings_free(&s);
		assert_int_equal(e.n, 1);
		char field[128], msg[300];
		snprintf(
		    field, sizeof(field), "containers[1].%s", bad[i].field);
		snprintf(msg, sizeof(msg),
		    "\"app\" is a container of another source (%s); not "
		    "allowed for user-data (trust policy: a remote source "
		    "reaches only its own containers)",
		    LOCAL_SOURCE);
		assert_true(has(&e, "user-data", field, msg));
		errlist_free(&e);
		desired_state_free(&st);
	}
}

static void
test_settings_keys(void **state)
{
	struct settings s;
	struct errlist e;
	static const char *const bad[] = {
		"userdata_cap_add=CAP_SYS_ADMIN",
		"userdata_cap_add=sys_admin",
		"userdata_host_paths=relative/path",
		"userdata_host_paths=/a/../b",
		"userdata_registries=bad host",
		"userdata_registries=h:port",
		"userdata_allow_privileged=maybe",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		settings_init(&s);
		errlist_init(&e);
		assert_int_equal(settings_parse_file(&s, "t.conf", bad[i],
				     strlen(bad[i]), NULL, &e),
		    -1);
		assert_int_equal(e.n, 1);
		assert_non_null(strstr(e.v[0].msg, "is not valid; expected"));
		errlist_free(&e);
		settings_free(&s);
	}
	settings_from(&s,
	    "userdata_cap_add= NET_ADMIN , ,SYS_TIME\n"
	    "userdata_host_paths=/srv/a,/srv/b/\n"
	    "userdata_registries=127.0.0.1:5000\n"
	    "userdata_allow_privileged=1\n"
	    "userdata_allow_host_network=1\n"
	    "userdata_allow_unconfined=1\n"
	    "userdata_require_digest=1\n");
	assert_string_equal(s.policy.cap_add, "NET_ADMIN,SYS_TIME");
	assert_string_equal(s.policy.host_paths, "/srv/a,/srv/b/");
	/* ...and they reach the engine unchanged. */
	struct buf b;
	struct settings back;
	char err[256];
	buf_init(&b, 4096);
	assert_int_equal(wire_encode_settings(&s, &b), 0);
	assert_int_equal(
	    wire_decode_settings(b.p, b.len, &back, err, sizeof(err)), 0);
	assert_string_equal(back.policy.cap_add, "NET_ADMIN,SYS_TIME");
	assert_string_equal(back.policy.host_paths, "/srv/a,/srv/b/");
	assert_string_equal(back.policy.registries, "127.0.0.1:5000");
	assert_int_equal(back.policy.allow_privileged, 1);
	assert_int_equal(back.policy.allow_host_network, 1);
	assert_int_equal(back.policy.allow_unconfined, 1);
	assert_int_equal(back.policy.require_digest, 1);
	settings_free(&back);
	buf_free(&b);
	settings_free(&s);
	/* The defaults: everything closed. */
	settings_from(&s, NULL);
	assert_null(s.policy.cap_add);
	assert_null(s.policy.host_paths);
	assert_null(s.policy.registries);
	assert_int_equal(s.policy.allow_privileged +
		s.policy.allow_host_network + s.policy.allow_unconfined +
		s.policy.require_digest,
	    0);
	settings_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_rule),
		cmocka_unit_test(test_digest_pinned_is_accepted),
		cmocka_unit_test(test_host_paths_never_allowed),
		cmocka_unit_test(test_source_trust),
		cmocka_unit_test(test_seccomp_by_path),
		cmocka_unit_test(test_reach_other_sources),
		cmocka_unit_test(test_settings_keys),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
