/*
 * The canonical encoding and the hashes of known definitions, pinned.
 *
 * A container's dockerup.hash label is SHA-256(defn_hash || image ID),
 * and defn_hash is the SHA-256 of the canonical wire encoding.  A new
 * dockerup that encoded an unchanged definition differently would replace
 * every managed container on every host at its first run: the hash is a
 * compatibility promise (README, "Reconciling").  The v1 values were
 * computed by dockerup 0.1.0 (and the fields added by issue #16 when
 * added) over every field but the source, and must never change: since
 * 2026-12-03 the identity hash leaves update.* and signal out (a change
 * of them replaces nothing), and a container labelled with the v1 hash
 * still matches (spec_wants()).  The identity hash of a definition
 * without them is its v1 hash.  When this test fails, the change to the
 * encoding is the bug, not the pinned value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "defs.h"
#include "defn.h"
#include "errlist.h"
#include "fetch.h"
#include "imsg.h"
#include "wire.h"
#include "engine/spec.h"

#include "testdata.h"

/* The image ID every spec hash below is computed with. */
#define GOLDEN_IMAGE_ID                                                        \
	"sha256:"                                                              \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct golden {
	const char *file; /* under tests/data/golden */
	const char *defn_hash_v1;
	const char *spec_hash_v1;
	/* Since 2026-12-03, without update.* and signal; NULL: v1's. */
	const char *defn_hash;
	const char *spec_hash;
};

static const struct golden pinned[] = {
	{ "minimal.json",
	    "52c5c67ea69f8b84db46ff3b0665bb184e17adac501b9b0ffb71d1fd6130a423",
	    "6d2c43a5938c6e0e34612b99ad2541e869283261fbae84f307f3968ace92435"
	    "3",
	    NULL, NULL },
	{ "original-registry.json",
	    "e35175185fe81ef0b562ff836a3851364e7eeffca4554c3507245fc0c09c74f8",
	    "4c8e8478517259c8b18704b81c1cf7833709c71f2bd248c67bddf7609884afa"
	    "7",
	    NULL, NULL },
	{ "every-field.json",
	    "8f5f1226b66ae5ea6614a7c9fb77145e2b4f7558dc031d2bbfc8d46ac20869da",
	    "fe3205c3c4fd43cd56289396f9ef347455cf0ef0569c035e06ae463e4bff3b6"
	    "d",
	    "1f6a21a6995a1afec7c6d165f344f1ba77a17a6eea3befcdb6cf73da5d242ee5",
	    "23d677e86804e9a1161dea0340a14a8fbc6cbd9daeaae7b50b2a967dcd6e0a7"
	    "7" },
	/* Issue #16's fields (tags after T_SOURCE), pinned when added. */
	{ "health-stop.json",
	    "30665c29442043193e5be9f37e17a109df92af9bc2cc7f3e3c10c76120d6478b",
	    "bdee1e2f07e5626fd3b30f38cca82362030bb948d26b8c7da64d06a7e65242b"
	    "f",
	    "8d9a585c0517eff646fd73bc22d175556963de32ddc7e70643794e22c0388486",
	    "a910ea52d61b2b53031719216f0c9cdec5a7074ad763e76f44212120bb53e0a"
	    "6" },
};

/* The whole canonical encoding of minimal.json, in hex. */
/* Tag 2 (image), length 14, "busybox:latest". */
static const char minimal_encoding[] =
    "02000e00000062757379626f783a6c6174657374";

static void
load_one(const char *file, struct defs_result *r)
{
	char rel[256];
	size_t len = 0;
	struct errlist e;
	char *doc;

	snprintf(rel, sizeof(rel), "golden/%s", file);
	doc = test_data_file(rel, &len);
	defs_result_init(r);
	errlist_init(&e);
	if (defs_parse(file, doc, len, DOC_FILE, &direct_file_ops, r, &e) !=
	    0) {
		char line[1400];
		for (size_t i = 0; i < e.n; i++)
			print_message("  %s\n",
			    cfgerr_format(&e.v[i], line, sizeof(line)));
		fail_msg("%s: does not load", file);
	}
	errlist_free(&e);
	free(doc);
	assert_int_equal(r->n, 1);
}

static void
test_pinned_hashes(void **state)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		const struct golden *g = &pinned[i];
		const char *want_dh =
		    g->defn_hash ? g->defn_hash : g->defn_hash_v1;
		const char *want_sh =
		    g->spec_hash ? g->spec_hash : g->spec_hash_v1;
		struct defs_result r;
		char dh[65], sh[65], dv1[65], wh[65], sv1[65];
		int has_v1;

		load_one(g->file, &r);
		assert_int_equal(defn_hash(&r.defs[0], dh), 0);
		assert_int_equal(spec_hash(&r.defs[0], GOLDEN_IMAGE_ID, sh), 0);
		assert_int_equal(defn_hash_v1(&r.defs[0], dv1), 0);
		assert_int_equal(
		    spec_wants(&r.defs[0], GOLDEN_IMAGE_ID, wh, sv1), 0);
		/* spec_wants() gives the older label only where it differs. */
		has_v1 = sv1[0] != '\0';
		if (strcmp(dv1, g->defn_hash_v1) != 0 ||
		    (has_v1 && strcmp(sv1, g->spec_hash_v1) != 0) ||
		    (!has_v1 && strcmp(sh, g->spec_hash_v1) != 0) ||
		    has_v1 != (g->spec_hash != NULL) ||
		    strcmp(dh, want_dh) != 0 || strcmp(sh, want_sh) != 0 ||
		    strcmp(wh, sh) != 0) {
			print_message("%s: defn_hash %s (pinned %s), "
				      "spec_hash %s (pinned %s; spec_wants "
				      "%s), defn_hash_v1 %s (pinned %s), "
				      "v1 label %s (pinned %s)\n",
			    g->file, dh, want_dh, sh, want_sh, wh, dv1,
			    g->defn_hash_v1, has_v1 ? sv1 : "-",
			    g->spec_hash_v1);
			bad++;
		}
		defs_result_free(&r);
	}
	if (bad)
		fail_msg("%d definitions hash differently than pinned: "
			 "upgrading would replace their containers",
		    bad);
}

static void
test_pinned_encoding(void **state)
{
	struct defs_result r;
	struct buf b;
	char *hex;

	load_one("minimal.json", &r);
	buf_init(&b, IMSG_MAX_DATA);
	assert_int_equal(wire_encode_defn(&r.defs[0], 0, &b), 0);
	hex = calloc(1, b.len * 2 + 1);
	assert_non_null(hex);
	for (size_t i = 0; i < b.len; i++)
		sprintf(hex + 2 * i, "%02x", b.p[i]);
	if (strcmp(hex, minimal_encoding) != 0)
		fail_msg("minimal.json encodes as %s; pinned %s", hex,
		    minimal_encoding);
	free(hex);
	buf_free(&b);
	defs_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pinned_hashes),
		cmocka_unit_test(test_pinned_encoding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
