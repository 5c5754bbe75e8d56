/* The binary encoding between fetcher and engine: round trips, canonical
 * hashing, and the decoder's refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bounds.h"
#include "defn.h"
#include "imsg.h"
#include "settings.h"
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
	d->has_command = 1;
	strlist_push(&d->command, "/bin/sleep");
	strlist_push(&d->command, "100000");
	d->privileged = 1;
	d->network = strdup("bridge");
	v = calloc(2, sizeof(*v));
	v[0].container_path = strdup("/data");
	v[0].host_path = strdup("/mnt/data");
	v[0].read_only = 1;
	v[1].from = strdup("backup");
	d->volumes = v;
	d->nvolumes = 2;
	d->ports = calloc(1, sizeof(*d->ports));
	d->ports[0].container_port = 8080;
	d->ports[0].host_port = 80;
	d->nports = 1;
	kvlist_push(&d->env, "API_KEY", "XXX123");
	kvlist_push(&d->env, "HOME", "/data");
	d->restart = RESTART_ALWAYS;
	d->update_pull = 0;
	d->update_eager = 1;
	kvlist_push(&d->links, "db", "database");
	kvlist_push(&d->signals, "proxy", "HUP");
	d->user = strdup("1000:1000");
	d->read_only = 1;
	strlist_push(&d->cap_drop, "ALL");
	strlist_push(&d->cap_add, "NET_BIND_SERVICE");
	strlist_push(&d->security_opt, "no-new-privileges");
	d->seccomp = strdup("{\"defaultAction\":\"SCMP_ACT_ERRNO\"}");
	kvlist_push(&d->tmpfs, "/run", "rw,size=1m");
	kvlist_push(&d->labels, "team", "infra");
	d->source = strdup("/etc/dockerup/containers.d/web.json");
}

static void
encode(const struct defn *d, struct buf *b)
{
	buf_init(b, IMSG_MAX_DATA);
	assert_int_equal(wire_encode_defn(d, 1, b), 0);
}

static void
test_roundtrip_is_identity(void **state)
{
	struct defn d, back;
	struct buf a, b;
	char err[256];

	full_defn(&d);
	encode(&d, &a);
	assert_int_equal(
	    wire_decode_defn(a.p, a.len, &back, err, sizeof(err)), 0);
	assert_string_equal(back.name, "web");
	assert_int_equal(back.memory, 2048LL * 1024 * 1024);
	assert_int_equal(back.nvolumes, 2);
	assert_string_equal(back.volumes[1].from, "backup");
	assert_null(back.volumes[1].container_path);
	assert_int_equal(back.volumes[0].read_only, 1);
	assert_int_equal(back.ports[0].host_port, 80);
	assert_int_equal(back.update_pull, 0);
	assert_int_equal(back.restart, RESTART_ALWAYS);
	assert_string_equal(back.source, d.source);
	encode(&back, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	buf_free(&a);
	buf_free(&b);
	defn_free(&d);
	defn_free(&back);
}

static void
test_minimal_defaults(void **state)
{
	struct defn d, back;
	struct buf a;
	char err[256];

	defn_init(&d);
	d.image = strdup("busybox:latest");
	encode(&d, &a);
	assert_int_equal(
	    wire_decode_defn(a.p, a.len, &back, err, sizeof(err)), 0);
	assert_null(back.name);
	assert_int_equal(back.update_pull, 1);
	assert_int_equal(back.restart, RESTART_ON_FAILURE);
	buf_free(&a);
	defn_free(&d);
	defn_free(&back);
}

static void
test_hash_stable_and_sensitive(void **state)
{
	struct defn d;
	char h1[65], h2[65], h3[65];

	full_defn(&d);
	assert_int_equal(defn_hash(&d, h1), 0);
	free(d.source);
	d.source = strdup("user-data"); /* where it came from is not identity */
	assert_int_equal(defn_hash(&d, h2), 0);
	assert_string_equal(h1, h2);
	free(d.env.v[1].value);
	d.env.v[1].value = strdup("/other");
	assert_int_equal(defn_hash(&d, h3), 0);
	assert_string_not_equal(h1, h3);
	assert_int_equal(strlen(h1), 64);
	defn_free(&d);
}

/* Appends a raw field. */
static void
field(struct buf *b, uint16_t tag, const void *data, uint32_t len)
{
	buf_put_u16(b, tag);
	buf_put_u32(b, len);
	buf_append(b, data, len);
}

static void
expect_reject(struct buf *b, const char *needle)
{
	struct defn d;
	char err[256];

	assert_int_equal(
	    wire_decode_defn(b->p, b->len, &d, err, sizeof(err)), -1);
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
	buf_free(b);
}

/* Tags as wire.c numbers them: 1 name, 2 image, 5 has_entrypoint, 13 env. */
static void
test_rejects_hostile_input(void **state)
{
	struct buf b;
	unsigned char one = 1, two = 2;

	buf_init(&b, IMSG_MAX_DATA);
	buf_put_u16(&b, 2);
	expect_reject(&b, "truncated field header");

	buf_init(&b, IMSG_MAX_DATA);
	buf_put_u16(&b, 2);
	buf_put_u32(&b, 1000);
	buf_append(&b, "abc", 3);
	expect_reject(&b, "exceeds the message");

	buf_init(&b, IMSG_MAX_DATA);
	field(&b, 2, "img:1", 5);
	field(&b, 999, "x", 1);
	expect_reject(&b, "unknown field tag 999");

	buf_init(&b, IMSG_MAX_DATA);
	field(&b, 2, "img:1", 5);
	field(&b, 1, "web", 3);
	expect_reject(&b, "out of order");

	buf_init(&b, IMSG_MAX_DATA);
	field(&b, 2, "img:1", 5);
	field(&b, 2, "img:2", 5);
	expect_reject(&b, "out of order or repeated");

	buf_init(&b, IMSG_MAX_DATA);
	field(&b, 1, "w\0b", 3);
	field(&b, 2, "img:1", 5);
	expect_reject(&b, "NUL");

	buf_init(&b, IMSG_MAX_DATA);
	field(&b, 1, "w\xff", 2);
	field(&b, 2, "img:1", 5);
	expect_reject(&b, "UTF-8");

	buf_init(&b, IMSG_MAX_DATA);
	field(&b, 2, "img:1", 5);
	field(&b, 5, &two, 1);
	expect_reject(&b, "flag field");

	buf_init(&b, IMSG_MAX_DATA);
	field(&b, 1, "web", 3);
	expect_reject(&b, "without an image");

	buf_init(&b, IMSG_MAX_DATA);
	field(&b, 2, "img:1", 5);
	field(&b, 6, "/bin/sh", 7); /* entrypoint item without its flag */
	expect_reject(&b, "presence flag");

	buf_init(&b, IMSG_MAX_DATA);
	field(&b, 2, "img:1", 5);
	for (int i = 0; i <= MAX_ENV; i++) {
		unsigned char kv[8] = { 1, 0, 0, 0, 'K', 'v' };
		field(&b, 13, kv, 6);
	}
	expect_reject(&b, "more than");

	buf_init(&b, IMSG_MAX_DATA);
	char *longname = malloc(MAX_NAME_LEN + 1);
	memset(longname, 'a', MAX_NAME_LEN + 1);
	field(&b, 1, longname, MAX_NAME_LEN + 1);
	field(&b, 2, "img:1", 5);
	free(longname);
	expect_reject(&b, "exceeds");
	(void)one;
}

static void
test_settings_roundtrip(void **state)
{
	struct settings s, back;
	struct buf b;
	char err[256];

	settings_init(&s);
	free(s.cache);
	s.cache = strdup("/tmp/cache");
	s.interval = 7;
	s.mode = MODE_SERVER;
	s.aws = 1;
	free(s.seccomp_dir);
	s.seccomp_dir = strdup("/etc/profiles");
	s.seccomp_allow_permissive = 1;
	buf_init(&b, IMSG_MAX_DATA);
	assert_int_equal(wire_encode_settings(&s, &b), 0);
	assert_int_equal(
	    wire_decode_settings(b.p, b.len, &back, err, sizeof(err)), 0);
	assert_string_equal(back.cache, "/tmp/cache");
	assert_int_equal(back.interval, 7);
	assert_int_equal(back.mode, MODE_SERVER);
	assert_int_equal(back.aws, 1);
	assert_string_equal(back.remote, s.remote);
	assert_string_equal(back.seccomp_dir, "/etc/profiles");
	assert_int_equal(back.seccomp_allow_permissive, 1);
	settings_free(&back);
	/* Truncated by one byte: refused. */
	assert_int_equal(
	    wire_decode_settings(b.p, b.len - 1, &back, err, sizeof(err)), -1);
	settings_free(&s);
	buf_free(&b);
}

/* Settings bytes out of shape: refused, with the reason. */
static void
expect_settings_reject(struct buf *b, const char *needle)
{
	struct settings s;
	char err[256];

	assert_int_equal(
	    wire_decode_settings(b->p, b->len, &s, err, sizeof(err)), -1);
	if (strstr(err, needle) == NULL)
		fail_msg("expected \"%s\", got \"%s\"", needle, err);
	buf_free(b);
}

static void
test_settings_rejects(void **state)
{
	unsigned char ints[4 * 64] = { 0 };
	size_t nints = 0;
	struct buf b;

	for (size_t i = 0; i < settings_count; i++)
		nints += !setting_is_string(&settings_table[i]);
	/* Strings only: no integers. */
	buf_init(&b, IMSG_MAX_DATA);
	field(&b, 2, "/c", 2);
	expect_settings_reject(&b, "no integers");
	/* The integers one short. */
	buf_init(&b, IMSG_MAX_DATA);
	field(&b, SETTINGS_TAG_INTS, ints, (uint32_t)(4 * nints - 4));
	expect_settings_reject(&b, "bad settings integers");
	/* All zero: mode 0 (and interval 0) are out of range. */
	buf_init(&b, IMSG_MAX_DATA);
	field(&b, SETTINGS_TAG_INTS, ints, (uint32_t)(4 * nints));
	expect_settings_reject(&b, "expected");
	/* A tag no row has, a tag out of order. */
	buf_init(&b, IMSG_MAX_DATA);
	field(&b, SETTINGS_TAG_INTS + 40, "x", 1);
	expect_settings_reject(&b, "unknown or out of order");
	buf_init(&b, IMSG_MAX_DATA);
	field(&b, 3, "/d", 2);
	field(&b, 2, "/c", 2);
	expect_settings_reject(&b, "unknown or out of order");
}

static void
test_source_roundtrip(void **state)
{
	struct source_status s = { "user-data", SOURCE_STALE, "timed out", 17 };
	struct source_status back;
	struct buf b;
	char err[256];

	buf_init(&b, IMSG_MAX_DATA);
	assert_int_equal(wire_encode_source(&s, &b), 0);
	assert_int_equal(
	    wire_decode_source(b.p, b.len, &back, err, sizeof(err)), 0);
	assert_string_equal(back.name, "user-data");
	assert_int_equal(back.health, SOURCE_STALE);
	assert_string_equal(back.error, "timed out");
	assert_int_equal(back.good_since, 17);
	free(back.name);
	free(back.error);
	b.p[6 + 9 + 6] = 9; /* health out of range */
	assert_int_equal(
	    wire_decode_source(b.p, b.len, &back, err, sizeof(err)), -1);
	buf_free(&b);
}

/* The rolling-update messages: every field checked. */
static void
test_slot_messages(void **state)
{
	struct wire_slot_answer an;
	struct wire_slot_done d;
	struct wire_slot_ask a;
	unsigned char host[64];
	char err[128];

	memset(&a, 0, sizeof(a));
	a.max_parallel = 2;
	strcpy(a.ident, "web");
	memset(a.hash, 'a', 64);
	assert_int_equal(wire_check_slot_ask(&a, err, sizeof(err)), 0);
	a.max_parallel = 0;
	assert_int_equal(wire_check_slot_ask(&a, err, sizeof(err)), -1);
	a.max_parallel = MAX_ROLLING_PARALLEL + 1;
	assert_int_equal(wire_check_slot_ask(&a, err, sizeof(err)), -1);
	a.max_parallel = MAX_ROLLING_PARALLEL;
	a.hash[3] = 'G'; /* not lowercase hex */
	assert_int_equal(wire_check_slot_ask(&a, err, sizeof(err)), -1);
	a.hash[3] = 'a';
	a.ident[0] = '\0'; /* empty */
	assert_int_equal(wire_check_slot_ask(&a, err, sizeof(err)), -1);
	memset(a.ident, 'x', sizeof(a.ident)); /* no NUL */
	assert_int_equal(wire_check_slot_ask(&a, err, sizeof(err)), -1);
	strcpy(a.ident, "we\nb"); /* a control character */
	assert_int_equal(wire_check_slot_ask(&a, err, sizeof(err)), -1);

	memset(&an, 0, sizeof(an));
	an.result = SLOT_BUSY;
	strcpy(an.why, "all 1 slot is held: by h2");
	assert_int_equal(wire_check_slot_answer(&an, err, sizeof(err)), 0);
	an.result = 0;
	assert_int_equal(wire_check_slot_answer(&an, err, sizeof(err)), -1);
	an.result = SLOT_RESULT_MAX;
	assert_int_equal(wire_check_slot_answer(&an, err, sizeof(err)), -1);
	an.result = SLOT_RELEASED;
	memset(an.why, 'y', sizeof(an.why));
	assert_int_equal(wire_check_slot_answer(&an, err, sizeof(err)), -1);

	memset(&d, 0, sizeof(d));
	d.outcome = SLOT_ROLLED_BACK;
	strcpy(d.ident, "image:busybox");
	memset(d.hash, '0', 64);
	strcpy(d.why, "exited with status 3 after 0.1 s");
	assert_int_equal(wire_check_slot_done(&d, err, sizeof(err)), 0);
	d.outcome = SLOT_OUTCOME_MAX;
	assert_int_equal(wire_check_slot_done(&d, err, sizeof(err)), -1);
	d.outcome = SLOT_PASSED;
	d.why[4] = '\x7f';
	assert_int_equal(wire_check_slot_done(&d, err, sizeof(err)), -1);

	memset(host, 0, sizeof(host));
	memcpy(host + WIRE_FLEET_HOST_SEQ, "{\"host\":\"h\"}", 12);
	assert_true(wire_check_fleet_host(host, WIRE_FLEET_HOST_SEQ + 12));
	assert_false(wire_check_fleet_host(host, WIRE_FLEET_HOST_SEQ + 11));
	assert_false(wire_check_fleet_host(host, 3));
	host[WIRE_FLEET_HOST_SEQ + 3] = '\0';
	assert_false(wire_check_fleet_host(host, WIRE_FLEET_HOST_SEQ + 12));
	assert_false(wire_check_fleet_host(
	    host, WIRE_FLEET_HOST_SEQ + MAX_FLEET_HOST_VALUE + 1));
}

/* update.rolling: K 1 encodes as the flag of 0.1.0 did; K travels. */
static void
test_rolling_encoding(void **state)
{
	struct defn d, back;
	struct buf b;
	char err[256];

	defn_init(&d);
	d.image = strdup("busybox");
	d.update_rolling = 1;
	buf_init(&b, IMSG_MAX_DATA);
	assert_int_equal(wire_encode_defn(&d, 0, &b), 0);
	/* tag T_UPDATE_ROLLING, length 1, byte 1 */
	assert_int_equal(b.len, 6 + 7 + 7);
	assert_int_equal(b.p[b.len - 1], 1);
	d.update_rolling = 5;
	buf_reset(&b);
	assert_int_equal(wire_encode_defn(&d, 0, &b), 0);
	assert_int_equal(
	    wire_decode_defn(b.p, b.len, &back, err, sizeof(err)), 0);
	assert_int_equal(back.update_rolling, 5);
	defn_free(&back);
	b.p[b.len - 1] = MAX_ROLLING_PARALLEL + 1;
	assert_int_equal(
	    wire_decode_defn(b.p, b.len, &back, err, sizeof(err)), -1);
	b.p[b.len - 1] = 0;
	assert_int_equal(
	    wire_decode_defn(b.p, b.len, &back, err, sizeof(err)), -1);
	buf_free(&b);
	defn_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_messages),
		cmocka_unit_test(test_rolling_encoding),
		cmocka_unit_test(test_roundtrip_is_identity),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_hash_stable_and_sensitive),
		cmocka_unit_test(test_rejects_hostile_input),
		cmocka_unit_test(test_settings_roundtrip),
		cmocka_unit_test(test_settings_rejects),
		cmocka_unit_test(test_source_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
