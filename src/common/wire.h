#ifndef DOCKERUP_WIRE_H
#define DOCKERUP_WIRE_H

/*
 * The binary encoding of what crosses between processes.  The engine never
 * parses JSON from the fetcher: a desired state crosses as
 *   IMSG_STATE_BEGIN  struct wire_state_begin
 *   IMSG_SOURCE       one per source (encoded source_status)
 *   IMSG_DEFN         one per definition (encoded struct defn)
 *   IMSG_STATE_END    struct wire_state_end
 * A definition is a sequence of fields, each
 *   u16 tag, u32 length, length bytes
 * little-endian.  Strings carry no NUL and must be valid UTF-8; integers
 * are fixed-width.  Tags appear in ascending order (repeatable tags for
 * list items), so an encoding is canonical: equal definitions give equal
 * bytes, and defn_hash() is the SHA-256 of those bytes.  The decoder is
 * bounded by the message size and the limits in limits.h and rejects
 * unknown tags, duplicates of single-valued tags and out-of-order tags.
 */
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"
#include "defn.h"
#include "errlist.h"
#include "settings.h"

#define WIRE_VERSION 1

/*
 * Any definition the fetcher accepts fits in one message (wire.c asserts
 * it): its document's bytes, its seccomp profile, its source path, and for
 * each field or list item at most WIRE_ITEM_OVERHEAD bytes of framing and
 * of growth when a JSON number becomes text.  WIRE_MAX_ITEMS bounds the
 * items of every repeatable row of the field table (test_fields checks).
 */
#define WIRE_MAX_ITEMS                                                         \
	(MAX_ENV + MAX_VOLUMES + MAX_PORTS + 9 * MAX_LIST_ITEMS +              \
	    MAX_HEALTH_TEST_ITEMS + 32)
#define WIRE_ITEM_OVERHEAD 40

struct wire_state_begin {
	uint32_t version;
	uint32_t ndefs;
	uint32_t nsources;
	uint32_t complete;
	uint32_t fetch_status; /* fetch_load()'s result: 0, 1 or 2 */
};

struct wire_state_end {
	uint32_t ndefs;
};

struct wire_ack {
	uint32_t accepted; /* 1 accepted, 0 rejected */
	uint32_t ndefs;
};

struct wire_run_done {
	int32_t exit_code; /* 0, 1 or 2 as documented for a run */
};

/* Why a run failed, for the fetcher's back-off in server mode. */
enum run_cause {
	RUN_CAUSE_NONE = 0,     /* it did not fail */
	RUN_CAUSE_OTHER,        /* a container or a definition: no back-off */
	RUN_CAUSE_ENGINE,       /* the Docker engine did not answer */
	RUN_CAUSE_REGISTRY,     /* a registry failed a pull or a check */
	RUN_CAUSE_RATE_LIMITED, /* a registry answered 429 */
	RUN_CAUSE_MAX
};

/* IMSG_RUN_RESULT, engine -> fetcher, after each run. */
struct wire_run_result {
	int32_t exit_code;
	uint32_t cause;                   /* enum run_cause */
	char where[RUN_RESULT_WHERE_MAX]; /* endpoint or registry; NUL-ended */
};

/*
 * Self-upgrade handover files (src/engine/selfup.h): the engine reads
 * them, the parent writes them.  An empty text removes the file.
 */
enum wire_self_file {
	SELF_FILE_NONE = 0,
	SELF_FILE_READY,  /* a new instance's container ID */
	SELF_FILE_OLD,    /* the ID of the instance handing over */
	SELF_FILE_FAILED, /* "<hash> <image ID> <time>" */
};
#define WIRE_SELF_TEXT_MAX 192

/* The file's name in <cache>/handover, or NULL when f is not a file. */
const char *wire_self_file_name(enum wire_self_file f);

struct wire_self_write {
	uint32_t file;                 /* enum wire_self_file */
	char text[WIRE_SELF_TEXT_MAX]; /* NUL-terminated */
};

struct wire_self_id {
	char id[65]; /* 64 hex digits and a NUL */
};

/* Encodes d (with_source 0: without its source) into out; -1 on
   overflow. */
int wire_encode_defn(const struct defn *d, int with_source, struct buf *out);
/* Decodes into d (initialized by the call); -1 with err set on any fault. */
int wire_decode_defn(const unsigned char *p, size_t len, struct defn *d,
    char *err, size_t errlen);
int wire_encode_source(const struct source_status *s, struct buf *out);
int wire_decode_source(const unsigned char *p, size_t len,
    struct source_status *s, char *err, size_t errlen);
int wire_encode_settings(const struct settings *s, struct buf *out);
int wire_decode_settings(const unsigned char *p, size_t len, struct settings *s,
    char *err, size_t errlen);

/*
 * A source's last good contents, fetcher -> parent (IMSG_LASTGOOD_PUT) to
 * be kept in the root-only cache, and back at a fetcher's start
 * (IMSG_LASTGOOD).  The parent only stores the bytes; the fetcher decodes
 * them again and validates the document like a fresh one.
 */
#define WIRE_USERDATA_SOURCE "user-data" /* user-data's source name */

enum wire_lastgood_form {
	WIRE_LG_FILE = 1, /* a confdir file */
	WIRE_LG_USERDATA, /* EC2 user-data */
	WIRE_LG_ETCD,     /* a key in etcd: "etcd:KEY" */
};

struct wire_lastgood {
	char *name;    /* the source: a file path or "user-data" */
	uint32_t form; /* enum wire_lastgood_form */
	int64_t since; /* unix time these contents were first good, > 0 */
	char *text;    /* the document, NUL-terminated */
	size_t len;
	struct kvlist profiles; /* seccomp profile path -> contents, sorted */
};

void wire_lastgood_free(struct wire_lastgood *lg);
/* -1 when it does not fit or a field is out of bounds. */
int wire_encode_lastgood(const struct wire_lastgood *lg, struct buf *out);
/* Decodes into lg (initialized by the call); -1 with err set on any fault. */
int wire_decode_lastgood(const unsigned char *p, size_t len,
    struct wire_lastgood *lg, char *err, size_t errlen);

/*
 * The user-data loader (src/fetcher/udproc.c) parses what the network
 * sends in its own process and answers the fetcher with these: a
 * definition with its field path prefix ("containers[2]"), and a problem
 * (its field and message; where is always user-data).  The fetcher
 * decodes them as strictly as the engine decodes the fetcher.
 */
#define WIRE_PREFIX_MAX 64 /* "containers[511]" and room to spare */

struct wire_ud_end {
	uint32_t invalid;     /* 0/1: the source is invalid (exit 2) */
	uint32_t unreachable; /* 0/1: the source is unreachable (exit 1) */
	uint32_t complete;    /* 0/1: its definitions are all known */
};

int wire_encode_ud_defn(
    const char *prefix, const struct defn *d, struct buf *out);
/* *prefix (owned by the caller) and d (initialized by the call). */
int wire_decode_ud_defn(const unsigned char *p, size_t len, char **prefix,
    struct defn *d, char *err, size_t errlen);
int wire_encode_cfgerr(const struct cfgerr *e, struct buf *out);
/* *field (may stay NULL) and *msg, owned by the caller. */
int wire_decode_cfgerr(const unsigned char *p, size_t len, char **field,
    char **msg, char *err, size_t errlen);

/*
 * A file the parent read for a child (IMSG_FILE, or IMSG_FILE_ERR with
 * err set): u32 errno, u32 name length, the name, then the file's bytes.
 * Decoded in place: name and data point into the message.
 */
struct wire_file {
	int err;
	const char *name; /* not NUL-terminated */
	size_t namelen;
	const unsigned char *data;
	size_t len;
};

int wire_encode_file(const struct wire_file *f, struct buf *out);
int wire_decode_file(const unsigned char *p, size_t len, struct wire_file *f);

/*
 * Rolling updates (issue #17): the engine asks its fetcher's loader for
 * one of a definition's update.rolling slots in the fleet group before it
 * replaces its container, and says when the replacement settled.  The
 * fetcher passes each message on after checking it with these; every
 * receiver checks it again.  Fixed-size: text fields are NUL-terminated
 * printable ASCII, a hash is 64 lowercase hex digits.
 */
#define WIRE_IDENT_MAX (MAX_IMAGE_LEN + 8) /* defn_identity(), with NUL */

enum slot_result {
	SLOT_GRANTED = 1, /* a slot is ours until SLOT_DONE */
	SLOT_BUSY,        /* all K slots are held by other hosts */
	SLOT_HELD_FAILED, /* the group's failed/ key holds this update */
	SLOT_UNREACHABLE, /* etcd did not answer (or waits out a back-off) */
	SLOT_RELEASED,    /* the answer to a SLOT_DONE: it was done */
	SLOT_RESULT_MAX
};

enum slot_outcome {
	SLOT_PASSED = 1,   /* the replacement passed its health gate */
	SLOT_ROLLED_BACK,  /* it was rolled back: failed/ is written first */
	SLOT_NOT_REPLACED, /* nothing was replaced (an error, a lost answer) */
	SLOT_OUTCOME_MAX
};

struct wire_slot_ask {
	uint32_t seq;          /* the answer carries it back */
	uint32_t max_parallel; /* K: 1..MAX_ROLLING_PARALLEL */
	char ident[WIRE_IDENT_MAX];
	char hash[65]; /* spec_hash(): the definition with its image ID */
};

struct wire_slot_answer {
	uint32_t seq;
	uint32_t result;           /* enum slot_result */
	char why[MAX_ROLLING_WHY]; /* who holds it, why it failed; or "" */
};

struct wire_slot_done {
	uint32_t seq;     /* answered with SLOT_RELEASED and this seq */
	uint32_t outcome; /* enum slot_outcome */
	char ident[WIRE_IDENT_MAX];
	char hash[65];
	char why[MAX_ROLLING_WHY]; /* SLOT_ROLLED_BACK: what failed */
};

/* Each: 0 when every field is in form, -1 with err set. */
int wire_check_slot_ask(
    const struct wire_slot_ask *a, char *err, size_t errlen);
int wire_check_slot_answer(
    const struct wire_slot_answer *a, char *err, size_t errlen);
int wire_check_slot_done(
    const struct wire_slot_done *d, char *err, size_t errlen);
/*
 * IMSG_FLEET_HOST: a u32 seq (answered with SLOT_RELEASED and it, once
 * published), then this host's status for the fleet, a JSON object of at
 * most MAX_FLEET_HOST_VALUE bytes (no NUL).  1 when in form.
 */
#define WIRE_FLEET_HOST_SEQ 4
int wire_check_fleet_host(const unsigned char *p, size_t len);

/*
 * Hex SHA-256 (64 chars + NUL) of the canonical encoding of the rows that
 * make a container's identity (fields.h, enum field_hash): without the
 * source, the update.* fields and signal.
 */
int defn_hash(const struct defn *d, char out[65]);
/*
 * The same with update.* and signal, as dockerup up to 2026-12-02 hashed
 * every definition: equal to defn_hash() unless d sets one of them.  Also
 * what tells whether anything at all changed (engine.c).
 */
int defn_hash_v1(const struct defn *d, char out[65]);

#endif
