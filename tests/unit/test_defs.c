/*
 * Container definitions: the original's examples load unchanged, a table
 * of bad inputs each gives its own error (field path and message), the
 * shell-word splitter, sizes, dependency order and cycles, determinism.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bounds.h"
#include "buf.h"
#include "defn.h"
#include "defs.h"
#include "suggest.h"
#include "errlist.h"
#include "testerrs.h"
#include "fetch.h"
#include "fields.h"
#include "imsg.h"
#include "validate.h"
#include "wire.h"

#include "testdata.h"

/* --- helpers ------------------------------------------------------------- */

/* The seccomp_dir profiles are read from: NULL, the default. */
static const char *profile_dir;

static size_t
parse_doc(const char *doc, size_t len, enum doc_form form,
    struct defs_result *r, struct errlist *e)
{
	struct file_ops ops = direct_file_ops;

	ops.ctx = (void *)(uintptr_t)profile_dir;
	defs_result_init(r);
	errlist_init(e);
	/* An absolute path: a local, root-owned file (policy.h). */
	return defs_parse("/etc/t.json", doc, len, form, &ops, r, e);
}

static int
has_error(const struct errlist *e, const char *field, const char *substr)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].field, field) == 0 &&
		    strstr(e->v[i].msg, substr) != NULL)
			return 1;
	return 0;
}

static void
assert_loads(
    const char *doc, size_t len, enum doc_form form, struct defs_result *r)
{
	struct errlist e;

	if (parse_doc(doc, len, form, r, &e) != 0) {
		print_message("document:\n%s\n", doc);
		print_errors(&e);
		fail_msg("%zu problems", e.n);
	}
	errlist_free(&e);
}

/* --- the original's examples ---------------------------------------------- */

static void
test_sample_registry(void **state)
{
	struct defs_result r;
	size_t len;
	char *doc = test_data_file("original/containers.d/registry.json", &len);

	assert_loads(doc, len, DOC_FILE, &r);
	assert_int_equal(r.n, 1);
	const struct defn *d = &r.defs[0];
	assert_string_equal(d->name, "mirror");
	assert_string_equal(d->image, "registry:latest");
	assert_int_equal(d->nports, 1);
	assert_int_equal(d->ports[0].container_port, 5000);
	assert_int_equal(d->ports[0].host_port, 8080);
	assert_int_equal(d->ports[0].udp, 0);
	assert_int_equal(d->env.n, 6);
	assert_string_equal(d->env.v[0].key, "AWS_BUCKET");
	assert_string_equal(kvlist_find(&d->env, "MIRROR_SOURCE_INDEX")->value,
	    "https://index.example.org mirror");
	assert_int_equal(d->restart, RESTART_ON_FAILURE);
	assert_int_equal(d->update_pull, 1);
	assert_string_equal(d->source, "/etc/t.json");
	defs_result_free(&r);
	free(doc);
}

static void
test_sample_dockerup(void **state)
{
	struct defs_result r;
	size_t len;
	char *doc = test_data_file("original/containers.d/dockerup.json", &len);
	char *id;

	assert_loads(doc, len, DOC_FILE, &r);
	assert_int_equal(r.n, 1);
	const struct defn *d = &r.defs[0];
	assert_null(d->name);
	assert_string_equal(d->image, "example/dockerup:latest");
	assert_int_equal(d->update_eager, 1);
	assert_int_equal(d->update_pull, 1);
	assert_int_equal(d->nvolumes, 5);
	assert_string_equal(
	    d->volumes[3].container_path, "/etc/dockerup/.dockercfg");
	assert_string_equal(d->volumes[3].host_path, "/root/.dockercfg");
	assert_int_equal(d->volumes[3].read_only, 0);
	id = defn_identity(d);
	assert_string_equal(id, "image:example/dockerup");
	free(id);
	defs_result_free(&r);
	free(doc);
}

/* The README's examples, one file each under tests/data/original/readme. */
static size_t
readme_blocks(char ***out)
{
	char **names;
	size_t len, n = test_data_list("original/readme", ".fragment", &names);
	char **v = calloc(n, sizeof(*v));

	assert_non_null(v);
	for (size_t i = 0; i < n; i++) {
		v[i] = test_data_file(names[i], &len);
		free(names[i]);
	}
	free(names);
	*out = v;
	return n;
}

/* A fragment such as "cpu": 10 becomes a definition around it. */
static char *
wrap_fragment(const char *block)
{
	char *doc;
	const char *s = block + strspn(block, " \t\r\n");

	if (s[0] == '{')
		return strdup(block);
	if (asprintf(&doc, "{ %s %s }",
		strstr(block, "\"image\"") ? "" : "\"image\": \"busybox\",",
		block) == -1)
		return NULL;
	return doc;
}

static void
test_readme_examples(void **state)
{
	char **blocks;
	size_t n = readme_blocks(&blocks), comments = 0, wrapped = 0;

	assert_int_equal(n, 16); /* one per example of the original README */
	for (size_t i = 0; i < n; i++) {
		struct defs_result r;
		char *doc = wrap_fragment(blocks[i]);
		enum doc_form form =
		    strstr(doc, "\"containers\"") ? DOC_USERDATA : DOC_FILE;
		if (strstr(doc, "// ") != NULL)
			comments++;
		if (strstr(blocks[i], "\"containers\"") != NULL)
			wrapped++;
		assert_loads(doc, strlen(doc), form, &r);
		assert_true(r.n >= 1);
		defs_result_free(&r);
		free(doc);
		free(blocks[i]);
	}
	free(blocks);
	assert_int_equal(comments, 2); /* volumes and portMappings */
	assert_int_equal(wrapped, 1);  /* the user-data example */
}

static void
test_readme_userdata_example(void **state)
{
	char **blocks;
	size_t n = readme_blocks(&blocks);
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		if (strstr(blocks[i], "\"containers\"") != NULL) {
			struct defs_result r;
			assert_loads(
			    blocks[i], strlen(blocks[i]), DOC_USERDATA, &r);
			assert_int_equal(r.n, 2);
			assert_string_equal(r.defs[0].name, "web-app");
			assert_string_equal(
			    r.defs[0].image, "example/web-app:latest");
			assert_int_equal(
			    r.defs[0].ports[0].container_port, 8080);
			assert_int_equal(r.defs[0].ports[0].host_port, 8080);
			assert_string_equal(r.defs[1].name, "log-shipper");
			assert_int_equal(r.defs[1].volumes[0].read_only, 1);
			assert_string_equal(r.prefix[1], "containers[1]");
			defs_result_free(&r);
			found = 1;
		}
		free(blocks[i]);
	}
	free(blocks);
	assert_true(found);
}

static void
test_readme_values(void **state)
{
	const char *doc =
	    "{ \"image\": \"barchart/java\", \"memory\": \"2048m\", "
	    "\"cpu\": 10, \"entrypoint\": \"/bin/bash\", "
	    "\"command\": \"/usr/bin/nginx\", \"privileged\": true, "
	    "\"network\": \"host\", \"restart\": \"on-failure\" }";
	struct defs_result r;

	assert_loads(doc, strlen(doc), DOC_FILE, &r);
	const struct defn *d = &r.defs[0];
	assert_int_equal(d->memory, 2048LL * 1024 * 1024);
	assert_int_equal(d->cpu_shares, 10);
	assert_int_equal(d->has_entrypoint, 1);
	assert_int_equal(d->entrypoint.n, 1);
	assert_string_equal(d->entrypoint.v[0], "/bin/bash");
	assert_string_equal(d->command.v[0], "/usr/bin/nginx");
	assert_int_equal(d->privileged, 1);
	assert_string_equal(d->network, "host");
	defs_result_free(&r);
}

/* --- bad inputs -------------------------------------------------------- */

struct bad {
	enum doc_form form;
	const char *doc;
	const char *field;
	const char *msg;
};

#define F DOC_FILE
#define U DOC_USERDATA
#define B "{\"image\": \"busybox\", "

static const struct bad bad_inputs[] = {
	{ F, "", "", "is empty" },
	{ F, "   \n", "", "is empty" },
	{ F, "{", "", "invalid JSON at line 1" },
	{ F, "{\n\"image\": \"busybox\",\n}", "", "invalid JSON at line 3" },
	{ F, "[]", "", "is an array; expected a JSON object" },
	{ F, "\"x\"", "", "is a string; expected a JSON object" },
	{ F, "{\"image\": \"busybox\"} {}", "", "invalid JSON" },
	{ F, "{\"image\": \"busybox\" /* open", "", "unterminated /* comment" },
	{ F, B "\"labels\": {\"a\": \"x\\u0000y\"}}", "", "escaped NUL" },
	{ F, B "\"name\": \"\xff\"}", "", "not valid UTF-8" },
	{ F, B "\"name\": \"\xc0\xaf\"}", "", "not valid UTF-8" },
	{ F, "{\"type\": \"rkt\", \"image\": \"busybox\"}", "type",
	    "expected \"docker\"" },
	{ F, "{\"type\": 1, \"image\": \"busybox\"}", "type",
	    "is a number; expected \"docker\"" },
	{ F, "{\"name\": \"web\"}", "image", "is missing" },
	{ F, "{\"image\": \"Busybox\"}", "image",
	    "not a valid image reference" },
	{ F, "{\"image\": \"\"}", "image", "not a valid image reference" },
	{ F, "{\"image\": \"busybox:\"}", "image", "not a valid image" },
	{ F, "{\"image\": \"busybox@sha256:abc\"}", "image",
	    "not a valid image" },
	{ F, "{\"image\": \"-bad/x\"}", "image", "not a valid image" },
	{ F, "{\"image\": \"host:99999/x\"}", "image", "not a valid image" },
	{ F, "{\"image\": 5}", "image", "is a number; expected an image" },
	{ F, B "\"name\": \"-web\"}", "name", "not a valid container name" },
	{ F, B "\"name\": \"we b\"}", "name", "not a valid container name" },
	{ F, B "\"name\": \"caf\xc3\xa9\"}", "name",
	    "not a valid container name" },
	{ F, B "\"cpu\": 1.5}", "cpu", "expected CPU shares" },
	{ F, B "\"cpu\": -1}", "cpu", "expected CPU shares" },
	{ F, B "\"cpu\": 1}", "cpu", "out of range" },
	{ F, B "\"cpu\": \"ten\"}", "cpu", "\"ten\" is not valid" },
	{ F, B "\"memory\": \"2048x\"}", "memory", "is not a size" },
	{ F, B "\"memory\": \"1k\"}", "memory", "out of range" },
	{ F, B "\"memory\": true}", "memory", "is a boolean" },
	{ F, B "\"memory\": \"99999999999999999999g\"}", "memory",
	    "is not a size" },
	{ F, B "\"memory\": \"-5m\"}", "memory", "is not a size" },
	{ F, B "\"entrypoint\": \"sh -c 'x\"}", "entrypoint",
	    "unterminated single quote" },
	{ F, B "\"command\": \"echo \\\"x\"}", "command",
	    "unterminated double quote" },
	{ F, B "\"command\": \"echo x\\\\\"}", "command",
	    "backslash at the end" },
	{ F, B "\"command\": [\"a\", 1]}", "command[1]",
	    "is a number; expected a string" },
	{ F, B "\"command\": {}}", "command", "is an object" },
	{ F, B "\"privileged\": \"yes\"}", "privileged",
	    "expected true or false" },
	{ F, B "\"network\": \"container\"}", "network",
	    "expected bridge, none, host or container:NAME" },
	{ F, B "\"network\": \"overlay\"}", "network", "not a network mode" },
	{ F, B "\"network\": \"container:-x\"}", "network",
	    "not a valid container name" },
	{ F, B "\"volumes\": {}}", "volumes",
	    "is an object; expected an array" },
	{ F, B "\"volumes\": [{\"hostPath\": \"/x\"}]}",
	    "volumes[0].containerPath", "is missing" },
	{ F, B "\"volumes\": [{\"containerPath\": \"data\"}]}",
	    "volumes[0].containerPath", "not a valid path" },
	{ F,
	    B "\"volumes\": [{\"containerPath\": \"/d\", "
	      "\"hostPath\": \"/mnt/../etc\"}]}",
	    "volumes[0].hostPath", "not a valid path" },
	{ F, B "\"volumes\": [{\"containerPath\": \"/d:/e\"}]}",
	    "volumes[0].containerPath", "not a valid path" },
	{ F, B "\"volumes\": [{\"containerPath\": \"/d\", \"mode\": \"rx\"}]}",
	    "volumes[0].mode", "expected ro or rw" },
	{ F, B "\"volumes\": [{\"from\": \"db\", \"containerPath\": \"/d\"}]}",
	    "volumes[0].from", "cannot be combined" },
	{ F,
	    B
	    "\"volumes\": [{\"containerPath\": \"/d\", \"hostpath\": \"/x\"}]}",
	    "volumes[0].hostpath", "did you mean hostPath?" },
	{ F, B "\"volumes\": [\"/data\"]}", "volumes[0]",
	    "is a string; expected an object" },
	{ F, B "\"portMappings\": [{\"containerPort\": \"80x\"}]}",
	    "portMappings[0].containerPort", "is not a port" },
	{ F, B "\"portMappings\": [{\"containerPort\": 0}]}",
	    "portMappings[0].containerPort", "from 1 to 65535" },
	{ F, B "\"portMappings\": [{\"containerPort\": 70000}]}",
	    "portMappings[0].containerPort", "from 1 to 65535" },
	{ F,
	    B
	    "\"portMappings\": [{\"containerPort\": 80, \"hostPort\": \"x\"}]}",
	    "portMappings[0].hostPort", "\"x\" is not valid" },
	{ F, B "\"portMappings\": [{\"hostPort\": 80}]}",
	    "portMappings[0].containerPort", "is missing" },
	{ F, B "\"portMappings\": [{\"containerPort\": \"53/sctp\"}]}",
	    "portMappings[0].containerPort", "is not a port" },
	{ F,
	    B "\"portMappings\": [{\"containerPort\": 80, \"hostPort\": 8080}, "
	      "{\"containerPort\": 81, \"hostPort\": 8080}]}",
	    "portMappings[1].hostPort", "already mapped by portMappings[0]" },
	{ F, B "\"portMappings\": [80]}", "portMappings[0]",
	    "is a number; expected an object" },
	{ F, B "\"portMapping\": []}", "portMapping",
	    "did you mean portMappings?" },
	{ F, B "\"env\": {\"A\": null}}", "env.A",
	    "is null; expected a string, number or boolean" },
	{ F, B "\"env\": {\"A\": [\"x\"]}}", "env.A", "is an array" },
	{ F, B "\"env\": {\"BAD KEY\": \"x\"}}", "env.BAD KEY",
	    "not a valid variable name" },
	{ F, B "\"env\": {\"A=B\": \"x\"}}", "env.A=B",
	    "not a valid variable name" },
	{ F, B "\"env\": [\"A=1\"]}", "env",
	    "is an array; expected an object" },
	{ F, B "\"env\": {\"A\": \"1\", \"A\": \"2\"}}", "env.A",
	    "appears twice" },
	{ F, B "\"restart\": \"sometimes\"}", "restart",
	    "expected always, on-failure or never" },
	{ F, B "\"restart\": \"no\"}", "restart", "not a restart policy" },
	{ F, B "\"update\": {\"eagre\": true}}", "update.eagre",
	    "did you mean eager?" },
	{ F, B "\"update\": {\"pull\": \"no\"}}", "update.pull",
	    "expected true or false" },
	{ F, B "\"update\": true}", "update",
	    "is a boolean; expected an object" },
	/* update.rolling: true, false or {"maxParallel": K} */
	{ F, B "\"update\": {\"rolling\": \"yes\"}}", "update.rolling",
	    "is a string; expected true, false or {\"maxParallel\": K}" },
	{ F, B "\"update\": {\"rolling\": {\"maxParalel\": 2}}}",
	    "update.rolling.maxParalel", "did you mean maxParallel?" },
	{ F, B "\"update\": {\"rolling\": {}}}", "update.rolling.maxParallel",
	    "is missing; expected a whole number from 1 to 64" },
	{ F, B "\"update\": {\"rolling\": {\"maxParallel\": 0}}}",
	    "update.rolling.maxParallel",
	    "expected a whole number from 1 to 64" },
	{ F, B "\"update\": {\"rolling\": {\"maxParallel\": 65}}}",
	    "update.rolling.maxParallel",
	    "expected a whole number from 1 to 64" },
	{ F, B "\"update\": {\"rolling\": {\"maxParallel\": 1.5}}}",
	    "update.rolling.maxParallel",
	    "expected a whole number from 1 to 64" },
	{ F, B "\"links\": {\"db\": \"-x\"}}", "links.db", "alias" },
	{ F, B "\"links\": {\"-db\": \"db\"}}", "links.-db",
	    "not a valid container name" },
	{ F, B "\"links\": \"db\"}", "links", "is a string" },
	{ F, B "\"links\": [\"db\", \"db:x\"]}", "links[1]", "links db twice" },
	{ F, B "\"signal\": {\"nginx\": \"FOO\"}}", "signal.nginx",
	    "not a signal name" },
	{ F, B "\"signal\": {\"nginx\": 1}}", "signal.nginx",
	    "is a number; expected a string" },
	{ F, B "\"user\": \"root user\"}", "user", "not a valid user" },
	{ F, B "\"readOnly\": 1}", "readOnly", "expected true or false" },
	{ F, B "\"capAdd\": [\"NET_FOO\"]}", "capAdd[0]", "not a capability" },
	{ F, B "\"capDrop\": [\"ALL\", \"all\"]}", "capDrop[1]",
	    "repeats ALL" },
	{ F, B "\"capAdd\": {}}", "capAdd", "is an object" },
	{ F, B "\"securityOpt\": [\"label=disable\"]}", "securityOpt[0]",
	    "is not allowed" },
	{ F, B "\"securityOpt\": [\"apparmor=a\", \"apparmor=b\"]}",
	    "securityOpt[1]", "is not allowed" },
	{ F, B "\"securityOpt\": [\"seccomp=/nonexistent/p.json\"]}",
	    "securityOpt[0]",
	    "seccomp profile /nonexistent/p.json is not a profile name or a "
	    "path inside seccomp_dir" },
	{ F, B "\"securityOpt\": [\"seccomp=/etc/shadow\"]}", "securityOpt[0]",
	    "seccomp profile /etc/shadow is not a profile name or a "
	    "path inside seccomp_dir" },
	{ F, B "\"securityOpt\": [\"seccomp=relative/p.json\"]}",
	    "securityOpt[0]",
	    "expected seccomp=NAME (NAME.json in seccomp_dir" },
	{ F, B "\"securityOpt\": [\"seccomp=.hidden\"]}", "securityOpt[0]",
	    "is not a profile name or a path inside seccomp_dir" },
	{ F,
	    B "\"securityOpt\": [\"seccomp=unconfined\", "
	      "\"seccomp=unconfined\"]}",
	    "securityOpt[1]", "sets seccomp twice" },
	{ F, B "\"tmpfs\": {\"run\": \"\"}}", "tmpfs.run", "not a valid path" },
	{ F, B "\"tmpfs\": {\"/run\": \"size=1 m\"}}", "tmpfs./run",
	    "bad mount options" },
	{ F, B "\"tmpfs\": [\"/run\", \"/run:size=1m\"]}", "tmpfs[1]",
	    "mounts a path twice" },
	{ F, B "\"labels\": {\"dockerup.identity\": \"x\"}}",
	    "labels.dockerup.identity", "reserved" },
	{ F, B "\"labels\": {\"a\": {}}}", "labels.a", "is an object" },
	{ F, B "\"labels\": {\"-a\": \"x\"}}", "labels.-a",
	    "not a valid label key" },
	{ F, B "\"healthcheck\": \"curl\"}", "healthcheck",
	    "is a string; expected an object with test, interval, timeout, "
	    "retries or startPeriod" },
	{ F, B "\"healthcheck\": {\"intervall\": 5}}", "healthcheck.intervall",
	    "did you mean interval?" },
	{ F, B "\"healthcheck\": {\"interval\": \"500ms\"}}",
	    "healthcheck.interval",
	    "\"500ms\" is not valid; expected whole seconds from 0 to 86400" },
	{ F, B "\"healthcheck\": {\"timeout\": 1.5}}", "healthcheck.timeout",
	    "\"1.5\" is not valid" },
	{ F, B "\"healthcheck\": {\"startPeriod\": \"2d\"}}",
	    "healthcheck.startPeriod", "such as \"30s\", \"5m\" or \"1h\"" },
	{ F, B "\"healthcheck\": {\"interval\": \"25h\"}}",
	    "healthcheck.interval", "from 0 to 86400" },
	{ F, B "\"healthcheck\": {\"retries\": -1}}", "healthcheck.retries",
	    "expected a whole number from 0 to 100" },
	{ F, B "\"healthcheck\": {\"test\": 1}}", "healthcheck.test",
	    "is a number; expected [\"CMD\", arg, ...]" },
	{ F, B "\"healthcheck\": {\"test\": [\"CMD\"]}}", "healthcheck.test",
	    "expected the program to run after \"CMD\"" },
	{ F, B "\"healthcheck\": {\"test\": [\"CMD-SHELL\", \"a\", \"b\"]}}",
	    "healthcheck.test", "expected one command string" },
	{ F, B "\"healthcheck\": {\"test\": \"\"}}", "healthcheck.test[1]",
	    "is empty; expected a command for the shell" },
	{ F, B "\"healthcheck\": {\"test\": [\"NONE\", \"x\"]}}",
	    "healthcheck.test", "expected [\"NONE\"] alone" },
	{ F, B "\"healthcheck\": {\"test\": [\"NONE\"], \"retries\": 3}}",
	    "healthcheck", "with test [\"NONE\"]" },
	{ F, B "\"healthcheck\": {\"test\": [\"SHELL\", \"x\"]}}",
	    "healthcheck.test[0]", "expected \"CMD\", \"CMD-SHELL\" or" },
	{ F,
	    "{\"containers\": [{\"image\": \"busybox\"}, {\"image\": \"x\", "
	    "\"healthcheck\": {\"interval\": -1}}]}",
	    "containers[1].healthcheck.interval",
	    "expected whole seconds from 0 to 86400" },
	{ F,
	    "{\"containers\": [{\"image\": \"busybox\", \"healthcheck\": "
	    "{\"test\": [\"CMD\"]}}]}",
	    "containers[0].healthcheck.test", "expected the program" },
	{ F, B "\"stopTimeout\": 3601}", "stopTimeout", "from 0 to 3600" },
	{ F, B "\"stopTimeout\": \"2h\"}", "stopTimeout", "from 0 to 3600" },
	{ F, B "\"stopTimeout\": true}", "stopTimeout",
	    "is a boolean; expected seconds" },
	{ F, B "\"stoptimeout\": 3}", "stoptimeout",
	    "did you mean stopTimeout?" },
	{ F, B "\"update\": {\"monitor\": true}}", "update.monitor",
	    "is a boolean; expected seconds" },
	{ F, B "\"update\": {\"deadline\": 0}}", "update.deadline",
	    "expected whole seconds from 1 to 86400" },
	{ F, B "\"update\": {\"rollbak\": false}}", "update.rollbak",
	    "did you mean rollback?" },
	{ F, B "\"update\": {\"rollback\": \"no\"}}", "update.rollback",
	    "expected true or false" },
	{ F, B "\"Image\": \"x\"}", "Image", "did you mean image?" },
	{ F, B "\"colour\": \"red\"}", "colour",
	    "unknown key; expected one of" },
	{ F, "{\"image\": \"busybox\", \"image\": \"busybox\"}", "image",
	    "appears twice" },
	{ U, "{\"image\": \"busybox\"}", "image", "unknown key" },
	{ U, "{\"container\": []}", "container", "did you mean containers?" },
	{ U, "{}", "", "expected {\"containers\": [...]}" },
	{ U, "{\"containers\": {}}", "containers",
	    "is an object; expected an array" },
	{ F, "{\"containers\": [{\"image\": \"busybox\"}], \"extra\": 1}",
	    "extra", "unknown key" },
	{ F,
	    "{\"containers\": [{\"image\": \"busybox\", \"name\": \"a\"}, "
	    "{\"image\": \"busybox\", \"name\": \"a\"}]}",
	    "containers[1].name", "declared twice in this document" },
	{ F,
	    "{\"containers\": [{\"image\": \"busybox\"}, "
	    "{\"image\": \"busybox:2\"}]}",
	    "containers[1].image", "declared twice in this document" },
	{ U, "{\"containers\": [1]}", "containers[0]",
	    "expected a container definition object" },
	{ U,
	    "{\"containers\": [{\"image\": \"busybox\", \"portMappings\": "
	    "[{\"containerPort\": 80, \"hostPort\": 99999}]}]}",
	    "containers[0].portMappings[0].hostPort",
	    "expected a port number from 1 to 65535" },
	{ U,
	    "{\"containers\": [{\"image\": \"busybox\"}, {\"image\": \"x\", "
	    "\"env\": {\"A\": {}}}]}",
	    "containers[1].env.A", "is an object" },
};

static void
check_bad(const char *doc, size_t len, enum doc_form form, const char *field,
    const char *msg)
{
	struct defs_result r;
	struct errlist e;

	size_t problems = parse_doc(doc, len, form, &r, &e);
	if (problems == 0 || !has_error(&e, field, msg)) {
		print_message("document: %.300s\nwanted: %s: %s\ngot:\n", doc,
		    field, msg);
		print_errors(&e);
		fail();
	}
	assert_int_equal(problems, e.n);
	assert_int_equal(r.n, 0); /* an invalid source yields nothing */
	for (size_t i = 0; i < e.n; i++)
		assert_string_equal(e.v[i].where, "/etc/t.json");
	defs_result_free(&r);
	errlist_free(&e);
}

static void
test_bad_inputs(void **state)
{
	size_t n = sizeof(bad_inputs) / sizeof(*bad_inputs);

	for (size_t i = 0; i < n; i++)
		check_bad(bad_inputs[i].doc, strlen(bad_inputs[i].doc),
		    bad_inputs[i].form, bad_inputs[i].field, bad_inputs[i].msg);
	print_message("%zu bad inputs in the table\n", n);
	assert_true(n >= 60);
}

/* Limits: built at run time, each with its own error. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static char *
repeat_doc(const char *head, const char *item, size_t n, const char *tail)
{
	struct buf b;

	buf_init(&b, 64 * 1024 * 1024);
	buf_append_str(&b, head);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, item, (int)i, (int)i + 1);
	if (b.p[b.len - 1] == ',')
		b.len--;
	buf_append_str(&b, tail);
	return buf_cstr(&b);
}
#pragma GCC diagnostic pop

static void
test_limits(void **state)
{
	char *doc, *big;

	doc = repeat_doc(B "\"env\": {", "\"V%d\": \"%d\",", MAX_ENV + 1, "}}");
	check_bad(doc, strlen(doc), F, "env",
	    "has 257 entries; expected at "
	    "most 256");
	free(doc);
	doc = repeat_doc(B "\"portMappings\": [", "{\"containerPort\": %d},",
	    MAX_PORTS + 1, "]}");
	check_bad(doc, strlen(doc), F, "portMappings", "has 129 entries");
	free(doc);
	doc = repeat_doc(B "\"volumes\": [", "{\"containerPath\": \"/v%d\"},",
	    MAX_VOLUMES + 1, "]}");
	check_bad(doc, strlen(doc), F, "volumes", "has 129 entries");
	free(doc);
	doc = repeat_doc("{\"containers\": [", "{\"image\": \"i%d\"},",
	    MAX_DEFINITIONS + 1, "]}");
	check_bad(doc, strlen(doc), U, "containers",
	    "has 513 entries; "
	    "expected at most 512");
	free(doc);
	doc =
	    repeat_doc(B "\"command\": [", "\"%d\",", MAX_LIST_ITEMS + 1, "]}");
	check_bad(doc, strlen(doc), F, "command", "has 129 entries");
	free(doc);
	/* One string past MAX_STRING_LEN. */
	big = malloc(MAX_STRING_LEN + 2);
	memset(big, 'a', MAX_STRING_LEN + 1);
	big[MAX_STRING_LEN + 1] = '\0';
	assert_true(asprintf(&doc, B "\"labels\": {\"k\": \"%s\"}}", big) > 0);
	check_bad(doc, strlen(doc), F, "labels.k",
	    "value is 4097 bytes long; "
	    "expected at most 4096");
	free(doc);
	assert_true(asprintf(&doc, B "\"user\": \"%s\"}", big) > 0);
	check_bad(doc, strlen(doc), F, "user", "is 4097 bytes long");
	free(doc);
	free(big);
	/* Nesting deeper than MAX_JSON_DEPTH. */
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_append_str(&b, B "\"labels\": ");
	for (int i = 0; i < MAX_JSON_DEPTH; i++)
		buf_append_str(&b, "[");
	for (int i = 0; i < MAX_JSON_DEPTH; i++)
		buf_append_str(&b, "]");
	buf_append_str(&b, "}");
	check_bad(buf_cstr(&b), b.len, F, "", "nested more than 16 deep");
	buf_free(&b);
	/* Larger than MAX_DOCUMENT_SIZE. */
	big = malloc(MAX_DOCUMENT_SIZE + 2);
	memset(big, ' ', MAX_DOCUMENT_SIZE + 1);
	big[0] = '{';
	big[MAX_DOCUMENT_SIZE] = '}';
	big[MAX_DOCUMENT_SIZE + 1] = '\0';
	char want[80];
	snprintf(want, sizeof(want), "is %d bytes; expected at most %d",
	    MAX_DOCUMENT_SIZE + 1, MAX_DOCUMENT_SIZE);
	check_bad(big, MAX_DOCUMENT_SIZE + 1, F, "", want);
	free(big);
	/* An object with more keys than any definition has. */
	doc = repeat_doc(B, "\"k%d\": %d,", 65, "}");
	check_bad(doc, strlen(doc), F, "", "has 66 keys; expected at most 64");
	free(doc);
	/* A document with very many problems lists the first 100. */
	doc = repeat_doc("{\"containers\": [",
	    "{\"image\": \"I%d\", \"cpu\": "
	    "\"x%d\"},",
	    120, "]}");
	{
		struct defs_result r;
		struct errlist e;
		assert_int_equal(parse_doc(doc, strlen(doc), U, &r, &e), 240);
		assert_int_equal(e.n, 101);
		assert_non_null(strstr(e.v[100].msg,
		    "140 more problems not "
		    "listed"));
		defs_result_free(&r);
		errlist_free(&e);
	}
	free(doc);
	/* A raw NUL byte. */
	check_bad("{\"image\": \"busy\0box\"}", 21, F, "",
	    "has a NUL byte at "
	    "offset 15");
}

/* Errors never quote env values nor bodies: they may hold secrets. */
static void
test_no_secrets_in_errors(void **state)
{
	const char *docs[] = {
		B
		"\"env\": {\"PASSWORD\": \"s3cr3t\", \"X\": null}, \"bad\": 1}",
		"{\"containers\": [{\"image\": \"busybox\", \"env\": "
		"{\"TOKEN\": \"s3cr3t\"}, }]}",
		"{\"image\": \"busybox\", \"env\": {\"K\": \"s3cr3t\"}} s3cr3t",
		B "\"env\": {\"K\": [\"s3cr3t\"]}}",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
		struct defs_result r;
		struct errlist e;
		char line[1400];
		assert_true(parse_doc(docs[i], strlen(docs[i]), F, &r, &e) > 0);
		for (size_t k = 0; k < e.n; k++)
			assert_null(
			    strstr(cfgerr_format(&e.v[k], line, sizeof(line)),
				"s3cr3t"));
		defs_result_free(&r);
		errlist_free(&e);
	}
}

/* --- conversions ---------------------------------------------------- */

static void
test_every_field(void **state)
{
	char dir[] = "/tmp/test_defs.XXXXXX", path[256], *doc;
	struct defs_result r;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/profile.json", dir);
	f = fopen(path, "w");
	fputs("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [\n"
	      "    {\"names\": [\"read\", \"write\"], \"action\": "
	      "\"SCMP_ACT_ALLOW\"}\n  ]\n}\n",
	    f);
	fclose(f);
	assert_true(
	    asprintf(&doc,
		"{\n"
		"  // every field at once\n"
		"  \"type\": \"docker\", \"name\": \"web.1\",\n"
		"  \"image\": \"localhost:5000/team/web_app:1.2-rc\",\n"
		"  \"cpu\": \"512\", \"memory\": 536870912,\n"
		"  \"entrypoint\": [\"/bin/sh\", \"-c\"],\n"
		"  \"command\": \"echo 'a b' \\\"c\\\\\\\"d\\\" e\\\\ f "
		"$HOME\",\n"
		"  \"privileged\": false, \"network\": \"container:db\",\n"
		"  \"volumes\": [{\"from\": \"data\"}, {\"containerPath\": "
		"\"/c\", "
		"\"hostPath\": \"/h\", \"mode\": \"ro\"}],\n"
		"  \"portMappings\": [{\"containerPort\": \"53/udp\", "
		"\"hostPort\": \"5353\"}, {\"containerPort\": 80}],\n"
		"  \"env\": {\"Z\": 1.5, \"B\": true, \"A\": 42, \"E\": "
		"\"\"},\n"
		"  \"restart\": \"always\",\n"
		"  \"update\": {\"pull\": false, \"eager\": true, \"rolling\": "
		"true},\n"
		"  \"links\": {\"db\": \"database\"},\n"
		"  \"signal\": {\"proxy\": \"sighup\"},\n"
		"  \"user\": \"1000:1000\", \"readOnly\": true,\n"
		"  \"capAdd\": [\"cap_net_admin\"], \"capDrop\": \"ALL\",\n"
		"  \"securityOpt\": [\"no-new-privileges:true\", "
		"\"apparmor:docker-default\", \"seccomp=%s\"],\n"
		"  /* a block\n     comment */\n"
		"  \"tmpfs\": [\"/run:size=64m,mode=1777\", \"/tmp\"],\n"
		"  \"labels\": {\"com.example.team\": \"web\", \"a\": 1}\n"
		"}\n",
		path) > 0);
	profile_dir = dir; /* a path inside seccomp_dir */
	assert_loads(doc, strlen(doc), DOC_FILE, &r);
	profile_dir = NULL;
	const struct defn *d = &r.defs[0];
	assert_string_equal(d->name, "web.1");
	assert_string_equal(d->image, "localhost:5000/team/web_app:1.2-rc");
	assert_int_equal(d->cpu_shares, 512);
	assert_int_equal(d->memory, 536870912);
	assert_int_equal(d->entrypoint.n, 2);
	assert_int_equal(d->command.n, 5);
	assert_string_equal(d->command.v[0], "echo");
	assert_string_equal(d->command.v[1], "a b");
	assert_string_equal(d->command.v[2], "c\"d");
	assert_string_equal(d->command.v[3], "e f");
	assert_string_equal(d->command.v[4], "$HOME");
	assert_string_equal(d->network, "container:db");
	assert_string_equal(d->volumes[0].from, "data");
	assert_null(d->volumes[0].container_path);
	assert_int_equal(d->volumes[1].read_only, 1);
	assert_int_equal(d->ports[0].container_port, 53);
	assert_int_equal(d->ports[0].udp, 1);
	assert_int_equal(d->ports[0].host_port, 5353);
	assert_int_equal(d->ports[1].host_port, 0);
	assert_string_equal(d->env.v[0].key, "A");
	assert_string_equal(d->env.v[0].value, "42");
	assert_string_equal(d->env.v[1].value, "true");
	assert_string_equal(d->env.v[2].value, "");
	assert_string_equal(d->env.v[3].value, "1.5");
	assert_int_equal(d->restart, RESTART_ALWAYS);
	assert_int_equal(d->update_pull, 0);
	assert_int_equal(d->update_eager, 1);
	assert_int_equal(d->update_rolling, 1);
	assert_string_equal(kvlist_find(&d->links, "db")->value, "database");
	assert_string_equal(kvlist_find(&d->signals, "proxy")->value, "HUP");
	assert_string_equal(d->user, "1000:1000");
	assert_int_equal(d->read_only, 1);
	assert_string_equal(d->cap_add.v[0], "NET_ADMIN");
	assert_string_equal(d->cap_drop.v[0], "ALL");
	assert_int_equal(d->security_opt.n, 2);
	assert_string_equal(d->security_opt.v[0], "no-new-privileges");
	assert_string_equal(d->security_opt.v[1], "apparmor=docker-default");
	assert_string_equal(d->seccomp,
	    "{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	    "\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":"
	    "\"SCMP_ACT_ALLOW\"}]}");
	assert_string_equal(
	    kvlist_find(&d->tmpfs, "/run")->value, "size=64m,mode=1777");
	assert_string_equal(kvlist_find(&d->tmpfs, "/tmp")->value, "");
	assert_string_equal(d->labels.v[0].key, "a");
	assert_string_equal(d->labels.v[0].value, "1");
	assert_int_equal(r.profiles.n, 1);
	defs_result_free(&r);
	free(doc);
	unlink(path);
	rmdir(dir);
}

static void
test_seccomp_profiles(void **state)
{
	char dir[] = "/tmp/test_defs.XXXXXX", path[256], link[256], *doc;
	struct defs_result r;
	struct errlist e;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	profile_dir = dir;
	snprintf(path, sizeof(path), "%s/p.json", dir);
	f = fopen(path, "w");
	fputs("[\"not an object\"]", f);
	fclose(f);
	doc = B "\"securityOpt\": [\"seccomp=p\"]}";
	check_bad(
	    doc, strlen(doc), F, "securityOpt[0]", "is not a JSON object");
	f = fopen(path, "w");
	fputs("{}", f);
	fclose(f);
	check_bad(doc, strlen(doc), F, "securityOpt[0]",
	    "seccomp profile p is not a Docker seccomp profile: "
	    "defaultAction: is missing");
	f = fopen(path, "w");
	fputs("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"sycalls\": []}", f);
	fclose(f);
	check_bad(doc, strlen(doc), F, "securityOpt[0]",
	    "sycalls: unknown key; did you mean syscalls?");
	f = fopen(path, "w");
	fputc('{', f);
	for (int i = 0; i < MAX_SECCOMP_PROFILE_SIZE; i++)
		fputc(' ', f);
	fputc('}', f);
	fclose(f);
	check_bad(
	    doc, strlen(doc), F, "securityOpt[0]", "is larger than 131072");
	/* A link in seccomp_dir, even to a readable profile, is refused. */
	snprintf(link, sizeof(link), "%s/l.json", dir);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	doc = B "\"securityOpt\": [\"seccomp=l\"]}";
	check_bad(doc, strlen(doc), F, "securityOpt[0]",
	    "seccomp profile l is a symbolic link");
	/* By name, user-data may use one. */
	f = fopen(path, "w");
	fputs("{\"defaultAction\": \"SCMP_ACT_ERRNO\"}", f);
	fclose(f);
	doc = "{\"containers\": [" B "\"securityOpt\": [\"seccomp=p\"]}]}";
	assert_int_equal(parse_doc(doc, strlen(doc), U, &r, &e), 0);
	assert_string_equal(
	    r.defs[0].seccomp, "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}");
	defs_result_free(&r);
	errlist_free(&e);
	/* unconfined is kept as a word. */
	doc = B "\"securityOpt\": [\"seccomp:unconfined\"]}";
	assert_int_equal(parse_doc(doc, strlen(doc), F, &r, &e), 0);
	assert_string_equal(r.defs[0].seccomp, "unconfined");
	defs_result_free(&r);
	errlist_free(&e);
	profile_dir = NULL;
	unlink(link);
	unlink(path);
	rmdir(dir);
}

/* --- the shell-word splitter and sizes ----------------------------------- */

static void
split_is(const char *s, int n, ...)
{
	struct strlist l = { 0 };
	const char *err;
	va_list ap;

	if (shell_split(s, &l, &err) != 0)
		fail_msg("\"%s\": %s", s, err);
	assert_int_equal(l.n, n);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(l.v[i], va_arg(ap, const char *));
	va_end(ap);
	strlist_free(&l);
}

static void
split_fails(const char *s, const char *why)
{
	struct strlist l = { 0 };
	const char *err = NULL;

	assert_int_equal(shell_split(s, &l, &err), -1);
	assert_non_null(strstr(err, why));
	assert_int_equal(l.n, 0);
}

static void
test_shell_split(void **state)
{
	split_is("", 0);
	split_is("   \t\n ", 0);
	split_is("/bin/bash", 1, "/bin/bash");
	split_is("  a   b\tc\n", 3, "a", "b", "c");
	split_is("sh -c 'echo $HOME; ls'", 3, "sh", "-c", "echo $HOME; ls");
	split_is("echo \"a  b\" c", 3, "echo", "a  b", "c");
	split_is("a\\ b", 1, "a b");
	split_is("\"\\$x \\\" \\\\ \\n\"", 1, "$x \" \\ \\n");
	split_is("'it'\\''s'", 1, "it's");
	split_is("''", 1, "");
	split_is("a '' b", 3, "a", "", "b");
	split_is("x\"y\"'z'", 1, "xyz");
	split_is("a\\\nb", 1, "ab");
	split_is("$(rm -rf /) `id` *", 5, "$(rm", "-rf", "/)", "`id`", "*");
	split_fails("'abc", "unterminated single quote");
	split_fails("\"abc", "unterminated double quote");
	split_fails("abc\\", "backslash at the end");
}

static void
test_shell_split_glob_is_literal(void **state)
{
	split_is("ls * ?", 3, "ls", "*", "?");
	split_is("echo # not a comment", 5, "echo", "#", "not", "a", "comment");
}

static void
test_memory(void **state)
{
	int64_t v;

	assert_int_equal(parse_memory("2048m", &v), 0);
	assert_int_equal(v, 2048LL << 20);
	assert_int_equal(parse_memory("2G", &v), 0);
	assert_int_equal(v, 2LL << 30);
	assert_int_equal(parse_memory("512k", &v), 0);
	assert_int_equal(v, 512LL << 10);
	assert_int_equal(parse_memory("100b", &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(parse_memory("12345", &v), 0);
	assert_int_equal(v, 12345);
	assert_int_equal(parse_memory("", &v), -1);
	assert_int_equal(parse_memory("m", &v), -1);
	assert_int_equal(parse_memory("1mb", &v), -1);
	assert_int_equal(parse_memory("1.5g", &v), -1);
	assert_int_equal(parse_memory("9223372036854775807g", &v), -1);
	assert_int_equal(parse_memory("99999999999g", &v), -1);
}

/* update.rolling's forms: K hosts at once, 1 for true, 0 for false. */
static void
test_rolling_forms(void **state)
{
	static const struct {
		const char *rolling;
		int k;
	} forms[] = {
		{ "true", 1 },
		{ "false", 0 },
		{ "{\"maxParallel\": 1}", 1 },
		{ "{\"maxParallel\": 3}", 3 },
		{ "{\"maxParallel\": 64}", 64 },
	};
	struct defs_result r;
	char doc[256];

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(doc, sizeof(doc),
		    "{\"image\": \"busybox\", \"update\": {\"rolling\": %s}}",
		    forms[i].rolling);
		assert_loads(doc, strlen(doc), DOC_FILE, &r);
		assert_int_equal(r.defs[0].update_rolling, forms[i].k);
		defs_result_free(&r);
	}
}

static void
test_suggestions(void **state)
{
	assert_int_equal(edit_distance("portMapping", "portMappings"), 1);
	assert_int_equal(edit_distance("hostport", "hostPort"), 0);
	assert_int_equal(edit_distance("kitten", "sitting"), 3);
}

/* --- the whole state ------------------------------------------------------- */

static void
load_state(const char *doc, struct desired_state *st, struct errlist *e)
{
	struct defs_result r;

	desired_state_init(st);
	if (parse_doc(doc, strlen(doc), U, &r, e) != 0) {
		print_errors(e);
		fail();
	}
	for (size_t i = 0; i < r.n; i++)
		desired_state_add(st, &r.defs[i]);
	defs_result_free(&r);
}

static void
test_dependency_order(void **state)
{
	const char *doc = "{\"containers\": ["
			  "{\"name\": \"web\", \"image\": \"w\", \"links\": "
			  "{\"app\": \"app\"}},"
			  "{\"name\": \"app\", \"image\": \"a\", \"links\": "
			  "[\"db:database\"],"
			  " \"volumes\": [{\"from\": \"data\"}]},"
			  "{\"name\": \"db\", \"image\": \"d\", \"network\": "
			  "\"container:net\"},"
			  "{\"name\": \"net\", \"image\": \"n\"},"
			  "{\"name\": \"data\", \"image\": \"v\"},"
			  "{\"image\": \"zz\", \"signal\": {\"web\": \"HUP\"}},"
			  "{\"name\": \"alone\", \"image\": \"x\"}]}";
	/* Dependencies first; among the ready ones, identity order. */
	const char *want[] = { "alone", "data", "image:zz", "net", "db", "app",
		"web" };
	struct desired_state st;
	struct errlist e;

	load_state(doc, &st, &e);
	assert_int_equal(state_validate_and_order(&st, &e), 0);
	assert_int_equal(st.ndefs, 7);
	for (size_t i = 0; i < 7; i++) {
		char *id = defn_identity(&st.defs[i]);
		assert_string_equal(id, want[i]);
		free(id);
	}
	desired_state_free(&st);
	errlist_free(&e);
}

/*
 * The heap-based order at the largest size, against the definition of the
 * order done the slow way: repeatedly the smallest identity whose
 * dependencies are all placed.
 */
static void
test_dependency_order_large(void **state)
{
	enum { N = MAX_DEFINITIONS };
	static int dep[N][2], placed[N];
	static char want[N][16];
	struct desired_state st;
	struct errlist e;
	char name[16];

	desired_state_init(&st);
	errlist_init(&e);
	/* Added in reverse; each depends on up to two later names. */
	for (int i = N - 1; i >= 0; i--) {
		struct defn d;
		defn_init(&d);
		snprintf(name, sizeof(name), "n%03d", i);
		d.name = strdup(name);
		d.image = strdup("i:1");
		dep[i][0] = i + 1 < N && i % 3 != 0 ? i + 1 : -1;
		dep[i][1] = (i * 7 + 5) % N > i ? (i * 7 + 5) % N : -1;
		d.volumes = calloc(2, sizeof(*d.volumes));
		for (int k = 0; k < 2; k++)
			if (dep[i][k] >= 0) {
				snprintf(
				    name, sizeof(name), "n%03d", dep[i][k]);
				d.volumes[d.nvolumes++].from = strdup(name);
			}
		desired_state_add(&st, &d);
	}
	for (int out = 0; out < N; out++) {
		int u = 0;
		while (placed[u] || (dep[u][0] >= 0 && !placed[dep[u][0]]) ||
		    (dep[u][1] >= 0 && !placed[dep[u][1]]))
			u++;
		placed[u] = 1;
		snprintf(want[out], sizeof(want[out]), "n%03d", u);
	}
	assert_int_equal(state_validate_and_order(&st, &e), 0);
	assert_int_equal(st.ndefs, N);
	for (int i = 0; i < N; i++)
		assert_string_equal(st.defs[i].name, want[i]);
	desired_state_free(&st);
	errlist_free(&e);
}

static void
test_cycle_named_in_full(void **state)
{
	const char *doc =
	    "{\"containers\": ["
	    "{\"name\": \"aa\", \"image\": \"x\", \"links\": {\"bb\": \"b\"}},"
	    "{\"name\": \"bb\", \"image\": \"x\", \"volumes\": [{\"from\": "
	    "\"cc\"}]},"
	    "{\"name\": \"cc\", \"image\": \"x\", \"network\": "
	    "\"container:aa\"},"
	    "{\"name\": \"dd\", \"image\": \"x\", \"links\": {\"dd\": "
	    "\"self\"}}]}";
	struct desired_state st;
	struct errlist e;
	int abc = 0, dd = 0;

	load_state(doc, &st, &e);
	assert_true(state_validate_and_order(&st, &e) > 0);
	for (size_t i = 0; i < e.n; i++) {
		if (strstr(e.v[i].msg, "dependency cycle aa -> bb -> cc -> aa"))
			abc++;
		if (strstr(e.v[i].msg, "dependency cycle dd -> dd"))
			dd++;
	}
	if (abc != 1 || dd != 1)
		print_errors(&e);
	assert_int_equal(abc, 1);
	assert_int_equal(dd, 1);
	desired_state_free(&st);
	errlist_free(&e);
}

static void
test_undeclared_and_duplicates(void **state)
{
	const char *doc = "{\"containers\": ["
			  "{\"name\": \"aa\", \"image\": \"x\", \"links\": "
			  "{\"ghost\": \"g\"},"
			  " \"signal\": {\"phantom\": \"HUP\"}},"
			  "{\"name\": \"bb\", \"image\": \"x\", \"volumes\": "
			  "[{\"from\": \"nope\"}],"
			  " \"network\": \"container:void\"}]}";
	struct desired_state st;
	struct errlist e;

	load_state(doc, &st, &e);
	assert_int_equal(state_validate_and_order(&st, &e), 4);
	assert_true(has_error(&e, "links.ghost", "not a declared container"));
	assert_true(
	    has_error(&e, "signal.phantom", "not a declared container"));
	assert_true(has_error(&e, "volumes[0].from", "not a declared"));
	assert_true(has_error(&e, "network", "not a declared container"));
	desired_state_free(&st);
	errlist_free(&e);
	/* Two definitions of one identity in one state (two sources). */
	struct defn d1, d2;
	desired_state_init(&st);
	errlist_init(&e);
	defn_init(&d1);
	defn_init(&d2);
	d1.name = strdup("web");
	d1.image = strdup("a:1");
	d1.source = strdup("/etc/x/a.json");
	d2.name = strdup("web");
	d2.image = strdup("b:1");
	d2.source = strdup("user-data");
	desired_state_add(&st, &d1);
	desired_state_add(&st, &d2);
	assert_int_equal(state_validate_and_order(&st, &e), 1);
	assert_string_equal(e.v[0].where, "user-data");
	assert_non_null(strstr(e.v[0].msg, "also in /etc/x/a.json"));
	desired_state_free(&st);
	errlist_free(&e);
}

/* --- determinism ----------------------------------------------------------- */

static void
encode(const struct defn *d, struct buf *b)
{
	buf_init(b, 4 * 1024 * 1024);
	assert_int_equal(wire_encode_defn(d, 0, b), 0);
}

static void
test_canonical_determinism(void **state)
{
	const char *a = "{\"containers\": ["
			"{\"name\": \"yy\", \"image\": \"i\", \"env\": {\"B\": "
			"\"2\", \"A\": 1},"
			" \"labels\": {\"z\": \"1\", \"a\": \"2\"}, \"tmpfs\": "
			"{\"/b\": \"\","
			" \"/a\": \"size=1m\"}, \"links\": {\"xx\": \"xx\"}},"
			"{\"name\": \"xx\", \"image\": \"i:latest\"}]}";
	/* The same, written differently. */
	const char *b =
	    "{\"containers\": [\n"
	    "  {\"name\": \"xx\", \"image\": \"i\"}, // comment\n"
	    "  {\"image\": \"i:latest\", \"links\": [\"xx\"], \"name\": \"yy\","
	    " \"tmpfs\": [\"/a:size=1m\", \"/b\"], \"env\": {\"A\": \"1\","
	    " \"B\": 2}, \"labels\": {\"a\": \"2\", \"z\": 1}}]}";
	struct desired_state s1, s2, s3;
	struct errlist e;

	load_state(a, &s1, &e);
	errlist_free(&e);
	load_state(a, &s2, &e);
	errlist_free(&e);
	load_state(b, &s3, &e);
	assert_int_equal(state_validate_and_order(&s1, &e), 0);
	assert_int_equal(state_validate_and_order(&s2, &e), 0);
	assert_int_equal(state_validate_and_order(&s3, &e), 0);
	assert_int_equal(s1.ndefs, 2);
	assert_int_equal(s3.ndefs, 2);
	for (size_t i = 0; i < s1.ndefs; i++) {
		struct buf x, y, z;
		char h1[65], h3[65];
		encode(&s1.defs[i], &x);
		encode(&s2.defs[i], &y);
		encode(&s3.defs[i], &z);
		assert_int_equal(x.len, y.len);
		assert_memory_equal(x.p, y.p, x.len);
		assert_int_equal(x.len, z.len);
		assert_memory_equal(x.p, z.p, x.len);
		assert_int_equal(defn_hash(&s1.defs[i], h1), 0);
		assert_int_equal(defn_hash(&s3.defs[i], h3), 0);
		assert_string_equal(h1, h3);
		buf_free(&x);
		buf_free(&y);
		buf_free(&z);
	}
	desired_state_free(&s1);
	desired_state_free(&s2);
	desired_state_free(&s3);
	errlist_free(&e);
}

/* healthcheck, update's timings and stopTimeout, as the engine gets them. */
static void
test_health_and_stop(void **state)
{
	const char *doc =
	    "{\"name\": \"web\", \"image\": \"busybox\", "
	    "\"healthcheck\": {\"test\": \"wget -q -O- localhost || exit 1\", "
	    "\"interval\": \"2m\", \"timeout\": \"3s\", \"retries\": 3, "
	    "\"startPeriod\": \"1h\"}, \"stopTimeout\": 0, "
	    "\"update\": {\"monitor\": 30, \"deadline\": \"5m\", "
	    "\"rollback\": false}}";
	struct defs_result r, r2;
	struct defn back;
	struct buf b;
	char err[256], h1[65], h2[65];

	assert_loads(doc, strlen(doc), DOC_FILE, &r);
	const struct defn *d = &r.defs[0];
	assert_int_equal(d->health_test.n, 2);
	assert_string_equal(d->health_test.v[0], "CMD-SHELL");
	assert_string_equal(
	    d->health_test.v[1], "wget -q -O- localhost || exit 1");
	assert_int_equal(d->health_interval, 120);
	assert_int_equal(d->health_timeout, 3);
	assert_int_equal(d->health_retries, 3);
	assert_int_equal(d->health_start_period, 3600);
	assert_int_equal(d->stop_timeout, 0);
	assert_int_equal(d->update_monitor, 30);
	assert_int_equal(d->update_deadline, 300);
	assert_int_equal(d->update_rollback, 0);
	/* What the engine decodes is the same definition. */
	buf_init(&b, IMSG_MAX_DATA);
	assert_int_equal(wire_encode_defn(d, 1, &b), 0);
	assert_int_equal(
	    wire_decode_defn(b.p, b.len, &back, err, sizeof(err)), 0);
	assert_int_equal(back.health_test.n, 2);
	assert_string_equal(back.health_test.v[1], d->health_test.v[1]);
	assert_int_equal(back.health_start_period, 3600);
	assert_int_equal(back.stop_timeout, 0);
	assert_int_equal(back.update_deadline, 300);
	assert_int_equal(back.update_rollback, 0);
	assert_int_equal(defn_hash(d, h1), 0);
	assert_int_equal(defn_hash(&back, h2), 0);
	assert_string_equal(h1, h2);
	defn_free(&back);
	buf_free(&b);
	defs_result_free(&r);

	/* Absent and written at their defaults: the same bytes. */
	const char *plain = "{\"image\": \"busybox\"}";
	const char *dflt = "{\"image\": \"busybox\", \"stopTimeout\": \"10s\", "
			   "\"healthcheck\": {}, \"update\": {\"monitor\": 10, "
			   "\"deadline\": \"2m\", \"rollback\": true}}";
	assert_loads(plain, strlen(plain), DOC_FILE, &r);
	assert_loads(dflt, strlen(dflt), DOC_FILE, &r2);
	assert_int_equal(r.defs[0].stop_timeout, DOCKER_STOP_TIMEOUT_S);
	assert_int_equal(r.defs[0].update_monitor, MONITOR_DEFAULT_S);
	assert_int_equal(r.defs[0].update_deadline, DEADLINE_DEFAULT_S);
	assert_int_equal(r.defs[0].update_rollback, 1);
	assert_int_equal(defn_hash(&r.defs[0], h1), 0);
	assert_int_equal(defn_hash(&r2.defs[0], h2), 0);
	assert_string_equal(h1, h2);
	defs_result_free(&r);
	defs_result_free(&r2);

	/* An array test is kept as written; NONE alone turns it off. */
	const char *arr = "{\"image\": \"busybox\", \"healthcheck\": "
			  "{\"test\": [\"CMD\", \"/bin/check\", \"-q\"]}}";
	assert_loads(arr, strlen(arr), DOC_FILE, &r);
	assert_int_equal(r.defs[0].health_test.n, 3);
	assert_string_equal(r.defs[0].health_test.v[2], "-q");
	defs_result_free(&r);
	const char *none = "{\"image\": \"busybox\", \"healthcheck\": "
			   "{\"test\": [\"NONE\"]}}";
	assert_loads(none, strlen(none), DOC_FILE, &r);
	assert_int_equal(r.defs[0].health_test.n, 1);
	defs_result_free(&r);
}

/* The engine's decoder refuses a new row's default sent on the wire. */
static void
test_default_not_on_wire(void **state)
{
	/* image "busybox:1", then tag T_STOP_TIMEOUT = 10 (its default). */
	unsigned char msg[64] = { T_IMAGE, 0, 9, 0, 0, 0 };
	size_t n = 6;
	struct defn d;
	char err[256];

	memcpy(msg + n, "busybox:1", 9);
	n += 9;
	msg[n++] = T_STOP_TIMEOUT;
	msg[n++] = 0;
	msg[n++] = 8;
	msg[n++] = 0;
	msg[n++] = 0;
	msg[n++] = 0;
	memset(msg + n, 0, 8);
	msg[n] = 10;
	assert_int_equal(
	    wire_decode_defn(msg, n + 8, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "stopTimeout: encodes its default 10"));
	msg[n] = 1; /* stopTimeout 1: fine */
	assert_int_equal(wire_decode_defn(msg, n + 8, &d, err, sizeof(err)), 0);
	assert_int_equal(d.stop_timeout, 1);
	defn_free(&d);
	msg[n] = 0x11; /* 3601 s: over MAX_STOP_TIMEOUT_S */
	msg[n + 1] = 0x0e;
	assert_int_equal(
	    wire_decode_defn(msg, n + 8, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "3601 is not from 0 to 3600"));
}

/* What the engine decodes passes the same validation. */
static void
test_validate_canonical_struct(void **state)
{
	struct defn d;
	struct errlist e;

	defn_init(&d);
	errlist_init(&e);
	d.image = strdup("busybox"); /* no tag: not canonical */
	kvlist_push(&d.env, "B", "1");
	kvlist_push(&d.env, "A", "1"); /* unsorted: not canonical */
	strlist_push(&d.cap_add, "cap_net_admin");
	d.seccomp = strdup("[1]");
	d.restart = 7;
	assert_true(defn_validate(&d, "engine", "", &e) >= 5);
	assert_true(has_error(&e, "image", "has no tag"));
	assert_true(has_error(&e, "env", "not sorted"));
	assert_true(has_error(&e, "capAdd[0]", "not a capability"));
	assert_true(has_error(&e, "securityOpt", "not a JSON object"));
	assert_true(has_error(&e, "restart", "expected always"));
	defn_free(&d);
	errlist_free(&e);
}

static void
test_predicates(void **state)
{
	assert_false(valid_container_name("a")); /* Docker wants two */
	assert_true(valid_container_name("ab"));
	assert_true(valid_container_name("web_1.x-y"));
	assert_false(valid_container_name(""));
	assert_false(valid_container_name("_a"));
	assert_false(valid_container_name("a/b"));
	assert_true(valid_image_ref("busybox"));
	assert_true(valid_image_ref("library/busybox:1.36"));
	assert_true(valid_image_ref("registry.example.com:5000/a/b__c/d-e:v1"));
	assert_true(valid_image_ref("localhost/x"));
	assert_true(valid_image_ref("127.0.0.1:5000/busy:1"));
	assert_true(valid_image_ref("x@sha256:"
				    "0123456789abcdef0123456789abcdef0123456789"
				    "abcdef0123456789abcdef"));
	assert_true(valid_image_ref("x:1@sha256:"
				    "0123456789abcdef0123456789abcdef0123456789"
				    "abcdef0123456789abcdef"));
	assert_false(valid_image_ref("x@sha256:0123"));
	assert_false(valid_image_ref("UPPER"));
	assert_false(valid_image_ref("a//b"));
	assert_false(valid_image_ref("a/b/"));
	assert_false(valid_image_ref("a..b"));
	assert_false(valid_image_ref("a:b:c"));
	assert_false(valid_image_ref("a:-tag"));
	assert_true(valid_abs_path("/"));
	assert_true(valid_abs_path("/a/..b/c.."));
	assert_false(valid_abs_path("a"));
	assert_false(valid_abs_path("/a/.."));
	assert_false(valid_abs_path("/../a"));
	assert_false(valid_abs_path("/a\n"));
	assert_true(valid_utf8("caf\xc3\xa9", 5));
	assert_false(valid_utf8("\xed\xa0\x80", 3)); /* a surrogate */
	assert_false(valid_utf8("\xf4\x90\x80\x80", 4));
	assert_false(valid_utf8("\xe0\x80\xaf", 3)); /* overlong */
	assert_false(valid_utf8("a\0b", 3));
	assert_true(valid_env_key("PATH"));
	assert_true(valid_env_key("spring.profiles"));
	assert_false(valid_env_key("A=B"));
	assert_false(valid_env_key(""));
	assert_true(valid_capability("NET_ADMIN"));
	assert_true(valid_capability("cap_sys_admin"));
	assert_true(valid_capability("ALL"));
	assert_false(valid_capability("CAP_"));
	assert_false(valid_capability("NET_ADMINS"));
	assert_true(valid_signal_name("HUP"));
	assert_true(valid_signal_name("SIGUSR1"));
	assert_false(valid_signal_name("SIGFOO"));
	assert_true(valid_label_key("com.example.x"));
	assert_false(valid_label_key("dockerup.hash"));
	assert_false(valid_label_key("Dockerup.x"));
	assert_false(valid_label_key(".x"));
	assert_true(valid_json_nesting("[[\"[[[[\"]]", 10, 2));
	assert_false(valid_json_nesting("[[[]]]", 6, 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_registry),
		cmocka_unit_test(test_sample_dockerup),
		cmocka_unit_test(test_readme_examples),
		cmocka_unit_test(test_readme_userdata_example),
		cmocka_unit_test(test_readme_values),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_no_secrets_in_errors),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_seccomp_profiles),
		cmocka_unit_test(test_health_and_stop),
		cmocka_unit_test(test_default_not_on_wire),
		cmocka_unit_test(test_shell_split),
		cmocka_unit_test(test_shell_split_glob_is_literal),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_suggestions),
		cmocka_unit_test(test_rolling_forms),
		cmocka_unit_test(test_dependency_order),
		cmocka_unit_test(test_dependency_order_large),
		cmocka_unit_test(test_cycle_named_in_full),
		cmocka_unit_test(test_undeclared_and_duplicates),
		cmocka_unit_test(test_canonical_determinism),
		cmocka_unit_test(test_validate_canonical_struct),
		cmocka_unit_test(test_predicates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
