#ifndef DOCKERUP_SPEC_H
#define DOCKERUP_SPEC_H

/*
 * The container a definition asks for, as the body of
 * POST /containers/create, and the labels that tie it to its definition.
 */
#include <cjson/cJSON.h>

#include "defn.h"
#include "digest.h" /* sha256_hex(), which spec hashes are */

#define LABEL_ID       "dockerup.id"      /* defn_identity() */
#define LABEL_HASH     "dockerup.hash"    /* spec_hash() */
#define LABEL_MANAGED  "dockerup.managed" /* "1" on every container we make */
#define LABEL_SOURCE   "dockerup.source"  /* file path or "user-data" */
#define LABEL_FIELDS   "dockerup.fields"  /* spec_field_hashes() */
/* "name=ID ..." : the container each link named when it was made. */
#define LABEL_LINKS    "dockerup.links"
/*
 * "ID running" or "ID stopped": on a replacement, the container it
 * replaces and whether that one ran, so that a run finds an update a
 * killed or stopped dockerup left in its health gate (resume.h).
 */
#define LABEL_REPLACES "dockerup.replaces"

/* The name a named container takes while its replacement comes up. */
#define OLD_NAME_INFIX "-dockerup-old-"

struct spec_ctx {
	const char *identity;     /* defn_identity(d) */
	const char *hash;         /* spec_hash(d, image ID) */
	const char *network_mode; /* d->network with container:NAME resolved
	                             to container:ID; NULL: engine default */
	const char *fields;       /* spec_field_hashes(d), or NULL */
	const char *links;        /* LABEL_LINKS' value, or NULL */
	const char *replaces;     /* LABEL_REPLACES' value, or NULL */
	/* Volumes carried over from the container replaced ("NAME:/path"
	   binds); not part of the definition, so in no hash. */
	const struct strlist *carried;
};

/* NULL when out of memory.  The caller deletes the tree. */
cJSON *spec_create_body(const struct defn *d, const struct spec_ctx *c);

/*
 * Hex SHA-256 over defn_hash(d) followed by the image ID: a container
 * carrying it was made from this definition and this image.
 */
int spec_hash(const struct defn *d, const char *image_id, char out[65]);
/*
 * The labels a container of d with image_id may carry: want, spec_hash(),
 * and want_v1, the same over defn_hash_v1(d), which dockerup up to
 * 2026-12-02 gave it; want_v1 is "" when the two are equal (d sets no
 * update.* field and no signal).  0, or -1 on error.
 */
int spec_wants(const struct defn *d, const char *image_id, char want[65],
    char want_v1[65]);
/*
 * Whether a container's label names the wanted hash: want, or want_v1
 * when that is not "" (NULL: none).  0 when label or want is NULL.
 */
int spec_hash_matches(const char *label, const char *want, const char *want_v1);

/*
 * "cpu=1a2b3c4d env=..." : a short hash of each field of the original
 * format, so that a plan can say which fields changed.  The caller frees
 * it; NULL when out of memory.
 */
char *spec_field_hashes(const struct defn *d);
/*
 * The names of the fields whose hashes differ between two such strings,
 * comma-separated, into out ("" when none or when old is NULL).
 */
void spec_fields_changed(
    const char *old, const char *now, char *out, size_t outlen);

#endif
