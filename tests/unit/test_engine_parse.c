/* The engine's parsers of what the Docker engine and the host say: API
 * version negotiation, error bodies, image references, the container and
 * image lists, and dockerup's own container ID from /proc/self. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "bounds.h"
#include "buf.h"
#include "ctrops.h"
#include "docker.h"
#include "imageref.h"
#include "observe.h"

static void
test_api_version(void **state)
{
	char out[16], err[256];
	unsigned ma, mi;

	assert_int_equal(docker_parse_api_version("1.41", &ma, &mi), 0);
	assert_int_equal(ma, 1);
	assert_int_equal(mi, 41);
	assert_int_equal(docker_parse_api_version("1.", &ma, &mi), -1);
	assert_int_equal(docker_parse_api_version("v1.41", &ma, &mi), -1);
	assert_int_equal(docker_parse_api_version("1.41x", &ma, &mi), -1);
	assert_int_equal(docker_parse_api_version(NULL, &ma, &mi), -1);

	/* Debian 12's engine: its own version. */
	assert_int_equal(docker_choose_api_version(
			     "1.41", out, sizeof(out), err, sizeof(err)),
	    0);
	assert_string_equal(out, "1.41");
	/* A current engine that refuses old versions: its own, too. */
	assert_int_equal(docker_choose_api_version(
			     "1.47", out, sizeof(out), err, sizeof(err)),
	    0);
	assert_string_equal(out, "1.47");
	/* A newer engine than we know: the newest we know. */
	assert_int_equal(docker_choose_api_version(
			     "1.99", out, sizeof(out), err, sizeof(err)),
	    0);
	snprintf(err, sizeof(err), "%d.%d", DOCKER_API_NEWEST_MAJOR,
	    DOCKER_API_NEWEST_MINOR);
	assert_string_equal(out, err);
	assert_int_equal(docker_choose_api_version(
			     "2.0", out, sizeof(out), err, sizeof(err)),
	    0);
	/* Too old, or nonsense: refused, saying why. */
	assert_int_equal(docker_choose_api_version(
			     "1.29", out, sizeof(out), err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "1.29"));
	assert_non_null(strstr(err, "1.30"));
	assert_int_equal(
	    docker_choose_api_version(NULL, out, sizeof(out), err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "(none)"));
}

static void
error_of(const char *body, const char *want)
{
	struct buf b;
	char out[256];

	buf_init(&b, 4096);
	buf_append_str(&b, body);
	docker_error_text(&b, out, sizeof(out));
	assert_string_equal(out, want);
	buf_free(&b);
}

static void
test_error_text(void **state)
{
	error_of("{\"message\":\"Conflict. The container name \\\"/web\\\" is "
		 "already in use\"}\n",
	    "Conflict. The container name \"/web\" is already in use");
	error_of("page not found\n", "page not found");
	error_of("", "(no message)");
}

static void
ref_is(const char *ref, const char *reg, const char *fam, const char *tag,
    const char *dig, const char *local)
{
	struct imageref r;
	char *l;

	assert_int_equal(imageref_parse(ref, &r), 0);
	assert_string_equal(r.registry, reg);
	assert_string_equal(r.familiar, fam);
	if (tag)
		assert_string_equal(r.tag, tag);
	else
		assert_null(r.tag);
	if (dig)
		assert_string_equal(r.digest, dig);
	else
		assert_null(r.digest);
	l = imageref_local_name(&r);
	assert_string_equal(l, local);
	free(l);
	imageref_free(&r);
}

static void
test_imageref(void **state)
{
	ref_is("busybox", "docker.io", "busybox", "latest", NULL,
	    "busybox:latest");
	ref_is("docker.io/library/busybox:1.36", "docker.io", "busybox", "1.36",
	    NULL, "busybox:1.36");
	ref_is("barchart/dockerup:latest", "docker.io", "barchart/dockerup",
	    "latest", NULL, "barchart/dockerup:latest");
	ref_is("127.0.0.1:5000/app:1", "127.0.0.1:5000", "127.0.0.1:5000/app",
	    "1", NULL, "127.0.0.1:5000/app:1");
	ref_is("localhost/a/b", "localhost", "localhost/a/b", "latest", NULL,
	    "localhost/a/b:latest");
	ref_is("reg.example:5000/team/app@sha256:abcd", "reg.example:5000",
	    "reg.example:5000/team/app", NULL, "sha256:abcd",
	    "reg.example:5000/team/app@sha256:abcd");
	/* A port is not a tag. */
	ref_is("reg.example:5000/app", "reg.example:5000",
	    "reg.example:5000/app", "latest", NULL,
	    "reg.example:5000/app:latest");
}

/* Valid IDs: what the engine takes from Docker is checked (observe.h). */
#define HEX64(c) c c c c c c c c c c c c c c c c
#define HEX64_A  HEX64("aaaa")
#define HEX64_B  HEX64("bbbb")
#define HEX64_C  HEX64("cccc")
#define HEX64_1  HEX64("1111")
#define HEX64_2  HEX64("2222")
#define HEX64_3  HEX64("3333")

static const char containers_json[] =
    "[{\"Id\":\"" HEX64_A "\",\"Names\":[\"/web/db\",\"/db\"],\"ImageID\":"
    "\"sha256:" HEX64_1 "\",\"State\":\"running\",\"Created\":100,"
    "\"Labels\":{\"dockerup.id\":\"db\",\"dockerup.hash\":\"h1\","
    "\"dockerup.managed\":\"1\",\"dockerup.links\":\"x=" HEX64_3 "\"},"
    "\"HostConfig\":{\"NetworkMode\":\"default\"},\"Mounts\":["
    "{\"Type\":\"volume\",\"Name\":\"" HEX64_3 "\",\"Destination\":"
    "\"/storage\"},{\"Type\":\"tmpfs\",\"Destination\":\"/tmp\"},"
    "{\"Type\":\"bind\",\"Source\":\"/srv/conf\",\"Destination\":"
    "\"/conf\"}]},"
    "{\"Id\":\"" HEX64_B "\",\"Names\":[\"/other\"],\"State\":\"exited\","
    "\"Labels\":{\"dockerup.replaces\":\"" HEX64_3 " running\"}},"
    "{\"Id\":\"" HEX64_C "\",\"Names\":null,\"Labels\":null}]";

static void
test_containers(void **state)
{
	struct ctr_list l;
	char err[256];

	assert_int_equal(observe_parse_containers(containers_json,
			     strlen(containers_json), &l, err, sizeof(err)),
	    0);
	assert_int_equal(l.n, 3);
	/* The link name "/web/db" is not the container's name. */
	assert_string_equal(l.v[0].name, "db");
	assert_string_equal(l.v[0].label_id, "db");
	assert_string_equal(l.v[0].label_hash, "h1");
	assert_string_equal(l.v[0].network_mode, "default");
	assert_int_equal(l.v[0].managed, 1);
	assert_int_equal(l.v[0].created, 100);
	assert_true(ctr_running(&l.v[0]));
	assert_string_equal(l.v[1].name, "other");
	assert_null(l.v[1].label_id);
	assert_int_equal(l.v[1].managed, 0);
	assert_false(ctr_running(&l.v[1]));
	assert_string_equal(l.v[2].name, "");
	assert_string_equal(l.v[2].state, "unknown");
	/* Volumes and binds; a tmpfs is no mount point to follow. */
	assert_int_equal(l.v[0].mounts.n, 2);
	assert_string_equal(l.v[0].mounts.v[0].dest, "/storage");
	assert_string_equal(l.v[0].mounts.v[0].name, HEX64_3);
	assert_null(l.v[0].mounts.v[0].source);
	assert_true(volume_anonymous(l.v[0].mounts.v[0].name));
	assert_string_equal(l.v[0].mounts.v[1].source, "/srv/conf");
	assert_null(l.v[0].mounts.v[1].name);
	assert_ptr_equal(
	    mounts_at(&l.v[0].mounts, "/conf"), &l.v[0].mounts.v[1]);
	assert_null(mounts_at(&l.v[0].mounts, "/tmp"));
	assert_false(volume_anonymous("named"));
	assert_string_equal(l.v[0].label_links, "x=" HEX64_3);
	assert_int_equal(l.v[1].mounts.n, 0);
	/* dockerup.replaces: the container replaced, and whether it ran. */
	assert_string_equal(l.v[0].replaces, "");
	assert_string_equal(l.v[1].replaces, HEX64_3);
	assert_int_equal(l.v[1].replaces_ran, 1);
	ctr_list_free(&l);
	/* A value out of form names no container. */
	{
		static const char *const bad[] = {
			HEX64_3 " maybe",
			HEX64_3,
			"x" HEX64_3 " running",
			"../../x running",
		};
		char json[512];
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(json, sizeof(json),
			    "[{\"Id\":\"" HEX64_B "\",\"Names\":[\"/o\"],"
			    "\"Labels\":{\"dockerup.replaces\":\"%s\"}}]",
			    bad[i]);
			assert_int_equal(
			    observe_parse_containers(
				json, strlen(json), &l, err, sizeof(err)),
			    0);
			assert_string_equal(l.v[0].replaces, "");
			ctr_list_free(&l);
		}
	}

	assert_int_equal(
	    observe_parse_containers("{}", 2, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/containers/json"));
	assert_int_equal(observe_parse_containers(
			     "[{\"Names\":[]}]", 14, &l, err, sizeof(err)),
	    -1);
}

static const char images_json[] =
    "[{\"Id\":\"sha256:" HEX64_1 "\",\"RepoTags\":[\"127.0.0.1:5000/app:1\","
    "\"busybox:latest\"],\"RepoDigests\":[\"127.0.0.1:5000/app@sha256:d1\"]},"
    "{\"Id\":\"sha256:" HEX64_2 "\",\"RepoTags\":[\"<none>:<none>\"],"
    "\"RepoDigests\":[\"<none>@<none>\"]},"
    "{\"Id\":\"sha256:" HEX64_3 "\",\"RepoTags\":null,\"RepoDigests\":"
    "[\"reg.example/x@sha256:d3\"]}]";

static void
test_images(void **state)
{
	struct img_list l;
	struct imageref r;
	const struct img *i;
	char err[256];

	assert_int_equal(observe_parse_images(images_json, strlen(images_json),
			     &l, err, sizeof(err)),
	    0);
	assert_int_equal(l.n, 3);
	assert_false(img_dangling(&l.v[0]));
	assert_true(img_dangling(&l.v[1]));
	assert_true(img_dangling(&l.v[2]));

	imageref_parse("docker.io/library/busybox", &r);
	i = img_find(&l, &r);
	assert_non_null(i);
	assert_string_equal(i->id, "sha256:" HEX64_1);
	imageref_free(&r);

	imageref_parse("127.0.0.1:5000/app:1", &r);
	i = img_find(&l, &r);
	assert_non_null(i);
	assert_true(img_has_digest(i, &r, "sha256:d1"));
	assert_false(img_has_digest(i, &r, "sha256:d2"));
	imageref_free(&r);

	imageref_parse("127.0.0.1:5000/app:2", &r);
	assert_null(img_find(&l, &r));
	imageref_free(&r);

	/* A digest reference matches RepoDigests. */
	imageref_parse("reg.example/x@sha256:d3", &r);
	i = img_find(&l, &r);
	assert_non_null(i);
	assert_string_equal(i->id, "sha256:" HEX64_3);
	imageref_free(&r);
	img_list_free(&l);
}

/* What a hostile or broken endpoint returns is checked (observe.h). */
static void
test_docker_ids(void **state)
{
	assert_true(docker_id_valid(HEX64_A));
	assert_false(docker_id_valid(HEX64("AAAA")));
	assert_false(docker_id_valid(HEX64_A "a"));
	assert_false(docker_id_valid("aaa"));
	assert_false(
	    docker_id_valid("x/../../../v1.41/containers/create?name=owned"));
	assert_false(docker_id_valid(NULL));
	assert_true(docker_image_id_valid("sha256:" HEX64_1));
	assert_false(docker_image_id_valid(HEX64_1));
	assert_false(docker_image_id_valid("sha512:" HEX64_1));
	assert_false(docker_image_id_valid("sha256:" HEX64_1 "/../x"));
	assert_true(docker_name_valid("web-1.a_b"));
	assert_true(docker_name_valid("9"));
	assert_false(docker_name_valid(""));
	assert_false(docker_name_valid("-web"));
	assert_false(docker_name_valid("a b"));
	assert_false(docker_name_valid("a\nb"));
	assert_false(docker_name_valid("a?name=x"));
	assert_false(docker_name_valid("\xc3\xa9t\xc3\xa9"));
}

static void
test_docker_numbers(void **state)
{
	const double zero = 0.0;

	assert_int_equal(docker_num_in(100, 0, DOCKER_NUM_MAX, -1), 100);
	assert_int_equal(docker_num_in(1.0 / zero, 0, DOCKER_NUM_MAX, -1), -1);
	assert_int_equal(docker_num_in(-1.0 / zero, 0, DOCKER_NUM_MAX, -1), -1);
	assert_int_equal(docker_num_in(zero / zero, 0, DOCKER_NUM_MAX, -1), -1);
	assert_int_equal(docker_num_in(-5, 0, DOCKER_NUM_MAX, -1), -1);
	assert_int_equal(docker_num_in(1e19, 0, DOCKER_NUM_MAX, -1), -1);
	assert_int_equal(docker_num_in(9.3e18, 0, DOCKER_NUM_MAX, -1), -1);
	assert_int_equal(
	    docker_num_in(9007199254740992.0, 0, DOCKER_NUM_MAX, -1),
	    DOCKER_NUM_MAX);
}

/* One hostile entry refuses the whole list, and says where and what. */
static void
refused(const char *json, const char *want)
{
	struct ctr_list l;
	char err[512];

	assert_int_equal(
	    observe_parse_containers(json, strlen(json), &l, err, sizeof(err)),
	    -1);
	if (strstr(err, want) == NULL)
		fail_msg("%s: got \"%s\", wanted \"%s\"", json, err, want);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
}

static void
test_hostile_containers(void **state)
{
	struct ctr_list l;
	struct img_list il;
	char err[512];
	/* Numbers out of range are not converted: no undefined behaviour. */
	static const char *const created[] = { "1e400", "-1e400", "1e19", "-5",
		"9223372036854775807", "-9223372036854775809" };

	refused("[{\"Id\":\"x/../../../v1.41/containers/create?name=owned\","
		"\"Names\":[\"/a\"]}]",
	    "entry 0: Id \"x/../../../v1.41/containers/create?name=owned\": "
	    "expected a container ID, 64 lowercase hex digits");
	refused("[{\"Id\":\"" HEX64_A "\"},{\"Names\":[\"/b\"]}]",
	    "entry 1: Id \"\": expected a container ID");
	refused("[{\"Id\":\"" HEX64_A "\",\"ImageID\":\"sha256:../x\"}]",
	    "entry 0: ImageID \"sha256:../x\": expected an image ID");
	refused("[{\"Id\":\"" HEX64_A "\",\"Names\":[\"/a?b\"]}]",
	    "entry 0: Names \"a?b\": expected a container name");
	refused("[{\"Id\":\"" HEX64_A "\",\"Names\":[\"/a\\nb\"]}]",
	    "entry 0: Names \"a\nb\"");
	for (size_t i = 0; i < sizeof(created) / sizeof(*created); i++) {
		char json[256];
		snprintf(json, sizeof(json),
		    "[{\"Id\":\"" HEX64_A "\",\"Created\":%s}]", created[i]);
		assert_int_equal(observe_parse_containers(
				     json, strlen(json), &l, err, sizeof(err)),
		    0);
		assert_int_equal(l.v[0].created, 0);
		ctr_list_free(&l);
	}
	refused("[{\"Id\":\"" HEX64_A "\",\"Mounts\":[{\"Type\":\"volume\","
		"\"Name\":\"v\",\"Destination\":\"data\"}]}]",
	    "entry 0: Mounts \"" HEX64_A "\": expected Destination: an "
	    "absolute path");
	refused("[{\"Id\":\"" HEX64_A "\",\"Mounts\":[{\"Type\":\"volume\","
		"\"Name\":\"v\",\"Destination\":\"/a:/b\"}]}]",
	    "expected Destination: an absolute path of at most 1024 bytes "
	    "without ':' or ','");
	refused("[{\"Id\":\"" HEX64_A "\",\"Mounts\":[{\"Type\":\"volume\","
		"\"Name\":\"../x\",\"Destination\":\"/d\"}]}]",
	    "expected Name: a volume name");
	refused("[{\"Id\":\"" HEX64_A "\",\"Mounts\":[{\"Type\":\"bind\","
		"\"Destination\":\"/d\"}]}]",
	    "expected Source: a string");
	assert_int_equal(observe_parse_images("[{\"Id\":\"sha256:1\"}]", 19,
			     &il, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err,
	    "GET /images/json: entry 0: Id \"sha256:1\": expected an image "
	    "ID"));
	assert_int_equal(
	    observe_parse_images("[{}]", 4, &il, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "entry 0: Id \"(none)\""));
}

/* GET /containers/ID/json, parsed apart from the call (ctrops.h). */
static void
test_inspect(void **state)
{
	struct ctr_state st;
	char *ports = NULL;
	cJSON *j = cJSON_Parse("{\"State\":{\"Running\":false,\"Restarting\":"
			       "true,\"ExitCode\":137},\"HostConfig\":{"
			       "\"PortBindings\":{\"80/tcp\":[{\"HostPort\":"
			       "\"8080\"}],\"53\":[{\"HostPort\":\"53\"}]}}}");

	assert_int_equal(inspect_state(j, &st), 0);
	assert_false(st.running);
	assert_true(st.restarting);
	assert_int_equal(st.exit_code, 137);
	assert_false(st.never_started); /* no StartedAt: not known */
	assert_int_equal(inspect_ports(j, &ports), 0);
	assert_string_equal(ports, " 8080/tcp 53/tcp ");
	free(ports);
	cJSON_Delete(j);
	/* Out of range: not converted; PortBindings not an object: none. */
	j = cJSON_Parse("{\"State\":{\"ExitCode\":1e400},\"HostConfig\":{"
			"\"PortBindings\":[[{\"HostPort\":\"1\"}]]}}");
	assert_int_equal(inspect_state(j, &st), 0);
	assert_int_equal(st.exit_code, -1);
	assert_int_equal(inspect_ports(j, &ports), 0);
	assert_string_equal(ports, " ");
	free(ports);
	cJSON_Delete(j);
	assert_int_equal(inspect_state(NULL, &st), -1);
	/* Created and never run, then run once. */
	j = cJSON_Parse("{\"State\":{\"Status\":\"created\",\"StartedAt\":"
			"\"0001-01-01T00:00:00Z\"}}");
	assert_int_equal(inspect_state(j, &st), 0);
	assert_true(st.never_started);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"State\":{\"Status\":\"exited\",\"StartedAt\":"
			"\"2026-12-02T15:39:12.123456789Z\"}}");
	assert_int_equal(inspect_state(j, &st), 0);
	assert_false(st.never_started);
	/* 2026-12-02T15:39:12Z is 1796225952 s after the epoch. */
	assert_true(
	    st.started_at > 1796225952.12 && st.started_at < 1796225952.13);
	cJSON_Delete(j);
	/* Docker's times, and what is not one. */
	assert_true(docker_time("1970-01-01T00:00:01Z") == 1.0);
	assert_true(docker_time("2026-12-02T15:39:12.5Z") == 1796225952.5);
	assert_true(docker_time("2026-12-02T15:39:12+01:00") == 0);
	assert_true(docker_time("2026-13-02T15:39:12Z") == 0);
	assert_true(docker_time("0001-01-01T00:00:00Z") == 0);
	assert_true(docker_time("yesterday") == 0);
	assert_true(docker_time(NULL) == 0);
	j = cJSON_Parse("{\"State\":{\"StartedAt\":0}}");
	assert_int_equal(inspect_state(j, &st), 0);
	assert_false(st.never_started);
	cJSON_Delete(j);
}

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
test_selfid(void **state)
{
	char id[65];
	static const char v1[] = "12:pids:/docker/" ID64 "\n"
				 "11:memory:/docker/" ID64 "\n";
	static const char v2[] = "0::/system.slice/docker-" ID64 ".scope\n";
	static const char ns[] = "0::/\n";
	static const char mi_ctr[] =
	    "600 590 0:50 / / rw,relatime - overlay overlay rw\n"
	    "612 590 8:1 /var/lib/docker/containers/" ID64 "/hostname "
	    "/etc/hostname rw,relatime - ext4 /dev/sda1 rw\n";
	/* On a host: another container's shm is not us. */
	static const char mi_host[] =
	    "40 30 0:60 / /var/lib/docker/containers/" ID64 "/mounts/shm "
	    "rw - tmpfs shm rw\n";

	assert_int_equal(selfid_parse_cgroup(v1, strlen(v1), id), 0);
	assert_string_equal(id, ID64);
	assert_int_equal(selfid_parse_cgroup(v2, strlen(v2), id), 0);
	assert_string_equal(id, ID64);
	assert_int_equal(selfid_parse_cgroup(ns, strlen(ns), id), -1);
	assert_int_equal(selfid_parse_mountinfo(mi_ctr, strlen(mi_ctr), id), 0);
	assert_string_equal(id, ID64);
	assert_int_equal(
	    selfid_parse_mountinfo(mi_host, strlen(mi_host), id), -1);
	/* 63 digits are not an ID, nor are 65. */
	char text[128];
	snprintf(text, sizeof(text), "0::/docker/%.63s\n", ID64);
	assert_int_equal(selfid_parse_cgroup(text, strlen(text), id), -1);
	snprintf(text, sizeof(text), "0::/docker/%sa\n", ID64);
	assert_int_equal(selfid_parse_cgroup(text, strlen(text), id), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_version),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_imageref),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_images),
		cmocka_unit_test(test_docker_ids),
		cmocka_unit_test(test_docker_numbers),
		cmocka_unit_test(test_hostile_containers),
		cmocka_unit_test(test_inspect),
		cmocka_unit_test(test_selfid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
