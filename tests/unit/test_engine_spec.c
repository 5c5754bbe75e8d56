/* The engine's create body (every definition field's mapping) and the
 * hash label that ties a container to its definition and image. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "carry.h"
#include "defn.h"
#include "spec.h"
#include "wire.h"

static void
full_defn(struct defn *d)
{
	struct volume *v;

	defn_init(d);
	d->name = strdup("web");
	d->image = strdup("127.0.0.1:5000/app:1");
	d->cpu_shares = 10;
	d->memory = 2048LL * 1024 * 1024;
	d->has_entrypoint = 1;
	strlist_push(&d->entrypoint, "/bin/sh");
	strlist_push(&d->entrypoint, "-c");
	d->has_command = 1;
	strlist_push(&d->command, "sleep 1000");
	d->privileged = 1;
	d->network = strdup("container:db");
	v = calloc(4, sizeof(*v));
	v[0].container_path = strdup("/data");
	v[0].host_path = strdup("/mnt/data");
	v[1].container_path = strdup("/etc/passwd");
	v[1].host_path = strdup("/etc/passwd");
	v[1].read_only = 1;
	v[2].container_path = strdup("/storage");
	v[3].from = strdup("backup");
	d->volumes = v;
	d->nvolumes = 4;
	d->ports = calloc(3, sizeof(*d->ports));
	d->ports[0].container_port = 8080;
	d->ports[0].host_port = 80;
	d->ports[1].container_port = 8080;
	d->ports[1].host_port = 8080;
	d->ports[2].container_port = 53;
	d->ports[2].udp = 1;
	d->nports = 3;
	kvlist_push(&d->env, "API_KEY", "XXX123");
	kvlist_push(&d->env, "HOME", "/data");
	d->restart = RESTART_NEVER;
	kvlist_push(&d->links, "db", "database");
	d->user = strdup("1000:1000");
	d->read_only = 1;
	strlist_push(&d->cap_drop, "ALL");
	strlist_push(&d->cap_add, "NET_BIND_SERVICE");
	strlist_push(&d->security_opt, "no-new-privileges");
	d->seccomp = strdup("{ \"defaultAction\" : \"SCMP_ACT_ERRNO\" }");
	kvlist_push(&d->tmpfs, "/run", "rw,size=1m");
	kvlist_push(&d->labels, "team", "infra");
	d->source = strdup("/etc/dockerup/containers.d/web.json");
}

static cJSON *
body_of(const struct defn *d, const char *net)
{
	struct spec_ctx c = {
		.identity = "web", .hash = "abc", .network_mode = net
	};
	cJSON *b = spec_create_body(d, &c);

	assert_non_null(b);
	return b;
}

static const cJSON *
get(const cJSON *o, const char *path)
{
	char buf[256], *save = NULL, *k;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && o;
	     k = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, k);
	return o;
}

/* The array at path, printed compactly, for exact comparison. */
static void
assert_json(const cJSON *o, const char *path, const char *want)
{
	const cJSON *v = get(o, path);
	char *s;

	assert_non_null(v);
	s = cJSON_PrintUnformatted(v);
	assert_string_equal(s, want);
	free(s);
}

static void
test_every_field(void **state)
{
	struct defn d;
	cJSON *b;

	full_defn(&d);
	b = body_of(&d, "container:0123");
	assert_json(b, "Image", "\"127.0.0.1:5000/app:1\"");
	assert_json(b, "Entrypoint", "[\"/bin/sh\",\"-c\"]");
	assert_json(b, "Cmd", "[\"sleep 1000\"]");
	assert_json(b, "User", "\"1000:1000\"");
	assert_json(b, "Env",
	    "[\"API_KEY=XXX123\",\"HOME=/data\","
	    "\"DOCKER_IMAGE=127.0.0.1:5000/app:1\"]");
	assert_json(b, "Labels",
	    "{\"team\":\"infra\",\"dockerup.id\":\"web\","
	    "\"dockerup.hash\":\"abc\",\"dockerup.managed\":\"1\","
	    "\"dockerup.source\":\"/etc/dockerup/containers.d/web.json\"}");
	assert_json(b, "ExposedPorts", "{\"8080/tcp\":{},\"53/udp\":{}}");
	assert_json(b, "Volumes", "{\"/storage\":{}}");
	assert_json(b, "HostConfig.CpuShares", "10");
	assert_json(b, "HostConfig.Memory", "2147483648");
	assert_json(b, "HostConfig.Privileged", "true");
	assert_json(b, "HostConfig.ReadonlyRootfs", "true");
	assert_json(b, "HostConfig.NetworkMode", "\"container:0123\"");
	assert_json(b, "HostConfig.RestartPolicy", "{\"Name\":\"no\"}");
	assert_json(b, "HostConfig.CapAdd", "[\"NET_BIND_SERVICE\"]");
	assert_json(b, "HostConfig.CapDrop", "[\"ALL\"]");
	assert_json(b, "HostConfig.SecurityOpt",
	    "[\"no-new-privileges\","
	    "\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ERRNO\\\"}\"]");
	assert_json(b, "HostConfig.Links", "[\"db:database\"]");
	assert_json(b, "HostConfig.Tmpfs", "{\"/run\":\"rw,size=1m\"}");
	assert_json(b, "HostConfig.Binds",
	    "[\"/mnt/data:/data\","
	    "\"/etc/passwd:/etc/passwd:ro\"]");
	assert_json(b, "HostConfig.VolumesFrom", "[\"backup\"]");
	assert_json(b, "HostConfig.PortBindings",
	    "{\"8080/tcp\":["
	    "{\"HostIp\":\"\",\"HostPort\":\"80\"},"
	    "{\"HostIp\":\"\",\"HostPort\":\"8080\"}],"
	    "\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}");
	cJSON_Delete(b);
	defn_free(&d);
}

/* What is not set is not sent: the engine's defaults apply. */
static void
test_minimal(void **state)
{
	struct defn d;
	cJSON *b;

	defn_init(&d);
	d.image = strdup("busybox:latest");
	b = body_of(&d, NULL);
	assert_null(get(b, "Entrypoint"));
	assert_null(get(b, "Cmd"));
	assert_null(get(b, "User"));
	assert_null(get(b, "ExposedPorts"));
	assert_null(get(b, "Volumes"));
	assert_null(get(b, "HostConfig.NetworkMode"));
	assert_null(get(b, "HostConfig.CpuShares"));
	assert_null(get(b, "HostConfig.Memory"));
	assert_null(get(b, "HostConfig.Privileged"));
	assert_null(get(b, "HostConfig.SecurityOpt"));
	assert_null(get(b, "HostConfig.Binds"));
	assert_json(b, "Env", "[\"DOCKER_IMAGE=busybox:latest\"]");
	/* on-failure is the original's default. */
	assert_json(b, "HostConfig.RestartPolicy", "{\"Name\":\"on-failure\"}");
	/* No health check of its own: the image's counts; Docker's 10 s. */
	assert_null(get(b, "Healthcheck"));
	assert_null(get(b, "StopTimeout"));
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(get(b, "Labels"), LABEL_ID)
		->valuestring,
	    "web");
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(get(b, "Labels"), LABEL_MANAGED)
		->valuestring,
	    "1");
	cJSON_Delete(b);
	defn_free(&d);
}

static void
test_restart_and_overrides(void **state)
{
	struct defn d;
	cJSON *b;

	defn_init(&d);
	d.image = strdup("busybox:latest");
	d.restart = RESTART_ALWAYS;
	d.has_command = 1; /* an empty command is still an override */
	d.seccomp = strdup("unconfined");
	kvlist_push(&d.env, "DOCKER_IMAGE", "mine");
	b = body_of(&d, "host");
	assert_json(b, "HostConfig.RestartPolicy", "{\"Name\":\"always\"}");
	assert_json(b, "Cmd", "[]");
	assert_json(b, "HostConfig.SecurityOpt", "[\"seccomp=unconfined\"]");
	assert_json(b, "HostConfig.NetworkMode", "\"host\"");
	/* The operator's DOCKER_IMAGE is kept, not doubled. */
	assert_json(b, "Env", "[\"DOCKER_IMAGE=mine\"]");
	cJSON_Delete(b);
	defn_free(&d);
}

static void
test_hash(void **state)
{
	struct defn a, b;
	char h1[65], h2[65], h3[65], h4[65];

	full_defn(&a);
	full_defn(&b);
	assert_int_equal(spec_hash(&a, "sha256:1111", h1), 0);
	assert_int_equal(spec_hash(&b, "sha256:1111", h2), 0);
	assert_int_equal(strlen(h1), 64);
	assert_string_equal(h1, h2);
	/* Another image: another hash. */
	assert_int_equal(spec_hash(&a, "sha256:2222", h3), 0);
	assert_string_not_equal(h1, h3);
	/* Any field: another hash; the source is not part of it. */
	kvlist_push(&b.env, "ZZ", "1");
	assert_int_equal(spec_hash(&b, "sha256:1111", h4), 0);
	assert_string_not_equal(h1, h4);
	free(a.source);
	a.source = strdup("user-data");
	assert_int_equal(spec_hash(&a, "sha256:1111", h3), 0);
	assert_string_equal(h1, h3);
	defn_free(&a);
	defn_free(&b);
}

/* SHA-256 of defn_hash's 64 hex digits followed by the image ID. */
static void
test_hash_definition(void **state)
{
	struct defn d;
	char dh[65], cat[256], want[65], got[65];

	full_defn(&d);
	assert_int_equal(defn_hash(&d, dh), 0);
	snprintf(cat, sizeof(cat), "%ssha256:abcd", dh);
	sha256_hex(cat, strlen(cat), want);
	assert_int_equal(spec_hash(&d, "sha256:abcd", got), 0);
	assert_string_equal(got, want);
	sha256_hex("abc", 3, got);
	assert_string_equal(got,
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	defn_free(&d);
}

/* healthcheck in nanoseconds, a 0 left to the image; stopTimeout. */
static void
test_healthcheck_and_stop_timeout(void **state)
{
	struct defn d;
	cJSON *b;

	defn_init(&d);
	d.image = strdup("busybox:latest");
	strlist_push(&d.health_test, "CMD-SHELL");
	strlist_push(&d.health_test, "test -e /tmp/ok");
	d.health_interval = 5;
	d.health_retries = 3;
	d.health_start_period = 86400;
	d.stop_timeout = 1;
	b = body_of(&d, NULL);
	assert_json(b, "Healthcheck",
	    "{\"Test\":[\"CMD-SHELL\",\"test -e /tmp/ok\"],"
	    "\"Interval\":5000000000,\"Retries\":3,"
	    "\"StartPeriod\":86400000000000}");
	assert_json(b, "StopTimeout", "1");
	cJSON_Delete(b);

	/* Options alone: the image's test with the definition's timing. */
	strlist_free(&d.health_test);
	d.health_interval = d.health_retries = d.health_start_period = 0;
	d.health_timeout = 2;
	d.stop_timeout = 0; /* SIGKILL at once: sent, not Docker's 10 */
	b = body_of(&d, NULL);
	assert_json(b, "Healthcheck", "{\"Timeout\":2000000000}");
	assert_json(b, "StopTimeout", "0");
	cJSON_Delete(b);

	/* The image's health check off. */
	d.health_timeout = 0;
	strlist_push(&d.health_test, "NONE");
	b = body_of(&d, NULL);
	assert_json(b, "Healthcheck", "{\"Test\":[\"NONE\"]}");
	cJSON_Delete(b);
	defn_free(&d);
}

/* Which fields changed, by name, as the plan shows them. */
static void
test_fields_changed(void **state)
{
	struct defn a, b;
	char *fa, *fb, out[256];

	full_defn(&a);
	full_defn(&b);
	fa = spec_field_hashes(&a);
	fb = spec_field_hashes(&b);
	assert_non_null(fa);
	assert_string_equal(fa, fb);
	assert_non_null(strstr(fa, "portMappings="));
	assert_non_null(strstr(fa, "signal="));
	spec_fields_changed(fa, fb, out, sizeof(out));
	assert_string_equal(out, "");
	free(fb);

	kvlist_push(&b.env, "ZZ", "1");
	b.ports[0].host_port = 81;
	b.update_eager = 1;
	free(b.source);
	b.source = strdup("user-data"); /* not a field of the definition */
	fb = spec_field_hashes(&b);
	spec_fields_changed(fa, fb, out, sizeof(out));
	assert_string_equal(out, "portMappings, env, update");
	/* Without the old container's label: nothing to name. */
	spec_fields_changed(NULL, fb, out, sizeof(out));
	assert_string_equal(out, "");
	/* healthcheck and stopTimeout: named only when set, either side. */
	free(fb);
	fb = spec_field_hashes(&b);
	assert_null(strstr(fb, "healthcheck="));
	assert_null(strstr(fb, "stopTimeout="));
	b.stop_timeout = 1;
	strlist_push(&b.health_test, "NONE");
	char *fc = spec_field_hashes(&b);
	assert_non_null(strstr(fc, "healthcheck="));
	assert_non_null(strstr(fc, "stopTimeout="));
	spec_fields_changed(fb, fc, out, sizeof(out));
	assert_string_equal(out, "healthcheck, stopTimeout");
	spec_fields_changed(fc, fb, out, sizeof(out));
	assert_string_equal(out, "healthcheck, stopTimeout");
	free(fc);
	/* update's new members change its hash only when not default. */
	b.update_monitor = 60;
	fc = spec_field_hashes(&b);
	spec_fields_changed(fb, fc, out, sizeof(out));
	assert_string_equal(out, "update, healthcheck, stopTimeout");
	free(fc);
	/* A field the old label did not know counts as changed. */
	spec_fields_changed(
	    "image=00000000", "image=00000000 cpu=11111111", out, sizeof(out));
	assert_string_equal(out, "cpu");
	free(fa);
	free(fb);
	defn_free(&a);
	defn_free(&b);
}

#define VOL(c)                                                                 \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
	    c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define VOL_A VOL("a")
#define VOL_B VOL("b")
#define VOL_C VOL("c")

/*
 * Volumes carried over: anonymous ones only, at paths the definition or
 * the image still declares, never one of a container it takes volumes
 * from (nor one standing where such a container's stands).
 */
static void
test_carry_binds(void **state)
{
	struct mount old_v[] = {
		{ .dest = "/storage", .name = VOL_A },
		{ .dest = "/conf", .source = "/srv/conf" },
		{ .dest = "/named", .name = "myvol" },
		{ .dest = "/imgvol", .name = VOL_B },
		{ .dest = "/gone", .name = VOL_C },
	};
	struct mounts old = { old_v, 5 };
	struct mount from_v[] = { { .dest = "/imgvol", .name = VOL("d") } };
	struct mounts from = { from_v, 1 };
	const struct mounts *shared[] = { &from };
	struct strlist image = { 0 }, out = { 0 };
	struct volume vols[3] = {
		{ .container_path = "/storage" },
		{ .container_path = "/conf", .host_path = "/srv/conf" },
		{ .container_path = "/named" },
	};
	struct defn d;

	defn_init(&d);
	d.volumes = vols;
	d.nvolumes = 3;
	carry_binds(&d, &old, NULL, NULL, 0, &out);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0], VOL_A ":/storage");
	strlist_free(&out);

	strlist_push(&image, "/imgvol");
	carry_binds(&d, &old, &image, NULL, 0, &out);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.v[1], VOL_B ":/imgvol");
	strlist_free(&out);

	/* /imgvol comes from the container it takes volumes from. */
	carry_binds(&d, &old, &image, shared, 1, &out);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0], VOL_A ":/storage");
	strlist_free(&out);
	/* ...and so does VOL_A, shared under another path. */
	from_v[0] = (struct mount){ .dest = "/s", .name = VOL_A };
	carry_binds(&d, &old, NULL, shared, 1, &out);
	assert_int_equal(out.n, 0);
	strlist_free(&out);
	strlist_free(&image);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_carry_binds),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_restart_and_overrides),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_hash_definition),
		cmocka_unit_test(test_healthcheck_and_stop_timeout),
		cmocka_unit_test(test_fields_changed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
