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

#include "buf.h"
#include "defn.h"
#include "settings.h"

#define WIRE_VERSION 1

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
	uint32_t accepted;   /* 1 accepted, 0 rejected */
	uint32_t ndefs;
};

struct wire_run_done {
	int32_t exit_code;   /* 0, 1 or 2 as documented for a run */
};

/* Encodes d (without its source) into out; -1 on overflow. */
int wire_encode_defn(const struct defn *d, int with_source, struct buf *out);
/* Decodes into d (initialized by the call); -1 with err set on any fault. */
int wire_decode_defn(const unsigned char *p, size_t len, struct defn *d,
    char *err, size_t errlen);
int wire_encode_source(const struct source_status *s, struct buf *out);
int wire_decode_source(const unsigned char *p, size_t len,
    struct source_status *s, char *err, size_t errlen);
int wire_encode_settings(const struct settings *s, struct buf *out);
int wire_decode_settings(const unsigned char *p, size_t len,
    struct settings *s, char *err, size_t errlen);

/* Hex SHA-256 of the canonical encoding (without source): 64 chars + NUL. */
int defn_hash(const struct defn *d, char out[65]);

#endif
