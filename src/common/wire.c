/*
 * The binary encoding of definitions, sources and settings (see wire.h).
 * The decoder is the engine's first line of defence against a compromised
 * fetcher: every length is checked against what is left of the message
 * and against limits.h before anything is copied.
 */
#include "wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "bounds.h"
#include "digest.h"
#include "fields.h"
#include "log.h"
#include "validate.h"
#include "xalloc.h"

_Static_assert(MAX_DOCUMENT_SIZE + MAX_SECCOMP_PROFILE_SIZE + MAX_PATH_LEN +
	    WIRE_MAX_ITEMS * WIRE_ITEM_OVERHEAD <=
	IMSG_MAX_DATA,
    "a definition the fetcher accepts must fit in one message");

/* ---- encoding ---- */

static int
put_field(struct buf *b, uint16_t tag, const void *data, size_t len)
{
	if (len > UINT32_MAX)
		return -1;
	if (buf_put_u16(b, tag) == -1 || buf_put_u32(b, (uint32_t)len) == -1)
		return -1;
	return buf_append(b, data, len);
}

static int
put_str(struct buf *b, uint16_t tag, const char *s)
{
	if (s == NULL)
		return 0;
	return put_field(b, tag, s, strlen(s));
}

static int
put_flag(struct buf *b, uint16_t tag, int v)
{
	uint8_t one = 1;

	return v ? put_field(b, tag, &one, 1) : 0;
}

/* An integer, 0 included. */
static int
put_int(struct buf *b, uint16_t tag, int64_t v)
{
	struct buf tmp;
	int r;

	buf_init(&tmp, 8);
	r = buf_put_u64(&tmp, (uint64_t)v);
	if (r == 0)
		r = put_field(b, tag, tmp.p, tmp.len);
	buf_free(&tmp);
	return r;
}

static int
put_i64(struct buf *b, uint16_t tag, int64_t v)
{
	return v == 0 ? 0 : put_int(b, tag, v);
}

static int
put_strlist(struct buf *b, uint16_t tag, const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (put_str(b, tag, l->v[i]) == -1)
			return -1;
	return 0;
}

/* A pair of strings in one field: u32 klen, key, value (the rest). */
static int
put_kv(struct buf *b, uint16_t tag, const char *k, const char *v)
{
	size_t kl = strlen(k), vl = strlen(v);

	if (buf_put_u16(b, tag) == -1 ||
	    buf_put_u32(b, (uint32_t)(4 + kl + vl)) == -1 ||
	    buf_put_u32(b, (uint32_t)kl) == -1 || buf_append(b, k, kl) == -1)
		return -1;
	return buf_append(b, v, vl);
}

static int
put_kvlist(struct buf *b, uint16_t tag, const struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (put_kv(b, tag, l->v[i].key, l->v[i].value) == -1)
			return -1;
	return 0;
}

/* A volume: u8 flags (1 ro, 2 container, 4 host, 8 from), then the
 * present strings, each u32 length + bytes. */
static int
put_volume(struct buf *b, const struct volume *v)
{
	struct buf tmp;
	const char *parts[3] = { v->container_path, v->host_path, v->from };
	uint8_t flags =
	    (uint8_t)((v->read_only ? 1 : 0) | (v->container_path ? 2 : 0) |
		(v->host_path ? 4 : 0) | (v->from ? 8 : 0));
	int r = 0;

	buf_init(&tmp, IMSG_MAX_DATA);
	r |= buf_put_u8(&tmp, flags);
	for (int i = 0; i < 3 && r == 0; i++) {
		if (parts[i] == NULL)
			continue;
		r |= buf_put_u32(&tmp, (uint32_t)strlen(parts[i]));
		r |= buf_append_str(&tmp, parts[i]);
	}
	if (r == 0)
		r = put_field(b, T_VOLUME, tmp.p, tmp.len);
	buf_free(&tmp);
	return r;
}

static int
put_port(struct buf *b, const struct port *p)
{
	unsigned char x[5] = {
		(unsigned char)p->container_port,
		(unsigned char)(p->container_port >> 8),
		(unsigned char)p->host_port,
		(unsigned char)(p->host_port >> 8),
		(unsigned char)(p->udp ? 1 : 0),
	};

	return put_field(b, T_PORT, x, sizeof(x));
}

/* The members of struct defn that a row describes. */
#define AT(d, f, type) ((type *)(void *)((char *)(d) + (f)->off))
#define COUNT(d, f)    (*(size_t *)(void *)((char *)(d) + (f)->count_off))

static int
put_row(struct buf *out, const struct defn *d, const struct field_desc *f)
{
	uint16_t tag = (uint16_t)f->tag;
	int r = 0;

	switch (f->kind) {
	case FK_STRING:
		return put_str(out, tag, *AT(d, f, char *const));
	case FK_INT:
	case FK_SECONDS: {
		int64_t v = *AT(d, f, const int64_t);
		return v == f->def ? 0 : put_int(out, tag, v);
	}
	case FK_FLAG:
		return put_flag(out, tag, *AT(d, f, const int));
	case FK_NOT_FLAG:
		return put_flag(out, tag, !*AT(d, f, const int));
	case FK_LIST:
		return put_strlist(out, tag, AT(d, f, const struct strlist));
	case FK_MAP:
		return put_kvlist(out, tag, AT(d, f, const struct kvlist));
	case FK_VOLUMES:
		for (size_t i = 0; i < d->nvolumes && r == 0; i++)
			r = put_volume(out, &d->volumes[i]);
		return r;
	case FK_PORTS:
		for (size_t i = 0; i < d->nports && r == 0; i++)
			r = put_port(out, &d->ports[i]);
		return r;
	case FK_ROLLING: {
		uint8_t v = (uint8_t)*AT(d, f, const int);
		return v == 0 ? 0 : put_field(out, tag, &v, 1);
	}
	case FK_RESTART: {
		uint8_t v = (uint8_t)d->restart;
		return v == RESTART_ON_FAILURE ? 0 : put_field(out, tag, &v, 1);
	}
	}
	return -1;
}

/* Encodes the rows whose hash class (fields.h) is in classes, a mask of
   1 << enum field_hash. */
static int
encode_rows(const struct defn *d, unsigned int classes, struct buf *out)
{
	for (unsigned int t = T_NONE + 1; t < T_DEFN_MAX; t++) {
		const struct field_desc *f = field_by_tag(t);
		if ((classes & 1u << f->hash) != 0 && put_row(out, d, f) == -1)
			return -1;
	}
	return 0;
}

#define ROWS_V1 (1u << HASH_IDENTITY | 1u << HASH_V1_ONLY)

int
wire_encode_defn(const struct defn *d, int with_source, struct buf *out)
{
	return encode_rows(
	    d, ROWS_V1 | (with_source ? 1u << HASH_NEVER : 0), out);
}

/* SHA-256 of the rows a hash covers: identity, or v1's (fields.h). */
static int
hash_rows(const struct defn *d, int v1, char out[65])
{
	struct buf b;
	int r;

	buf_init(&b, IMSG_MAX_DATA);
	r = encode_rows(d, v1 ? ROWS_V1 : 1u << HASH_IDENTITY, &b);
	if (r == 0)
		sha256_hex(b.p, b.len, out);
	buf_free(&b);
	return r;
}

int
defn_hash(const struct defn *d, char out[65])
{
	return hash_rows(d, 0, out);
}

int
defn_hash_v1(const struct defn *d, char out[65])
{
	return hash_rows(d, 1, out);
}

/* ---- decoding ---- */

struct reader {
	const unsigned char *p;
	size_t len;
	size_t off;
	char *err;
	size_t errlen;
};

static int rfail(struct reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
rfail(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	errno = EBADMSG;
	return -1;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Reads the next field header; its payload is [*data, *data + *dlen). */
static int
next_field(
    struct reader *r, uint16_t *tag, const unsigned char **data, size_t *dlen)
{
	if (r->len - r->off < 6)
		return rfail(r, "truncated field header at offset %zu", r->off);
	*tag = (uint16_t)(r->p[r->off] | r->p[r->off + 1] << 8);
	uint32_t l = le32(r->p + r->off + 2);
	r->off += 6;
	if (l > r->len - r->off)
		return rfail(
		    r, "field %u: length %u exceeds the message", *tag, l);
	*data = r->p + r->off;
	*dlen = l;
	r->off += l;
	return 0;
}

static int
dup_str(struct reader *r, const unsigned char *data, size_t len, size_t max,
    char **out)
{
	if (len > max)
		return rfail(r, "string of %zu bytes exceeds %zu", len, max);
	if (memchr(data, '\0', len) != NULL)
		return rfail(r, "string contains a NUL byte");
	if (!valid_utf8((const char *)data, len))
		return rfail(r, "string is not valid UTF-8");
	*out = xstrndup((const char *)data, len);
	return 0;
}

static int
get_flag(struct reader *r, const unsigned char *data, size_t len, int *v)
{
	if (len != 1 || data[0] != 1)
		return rfail(r, "flag field must be one byte 1");
	*v = 1;
	return 0;
}

static int
get_i64(struct reader *r, const unsigned char *data, size_t len, int64_t *v)
{
	if (len != 8)
		return rfail(r, "integer field must be 8 bytes, not %zu", len);
	*v = (int64_t)le64(data);
	if (*v == 0)
		return rfail(r, "integer field encodes the default 0");
	return 0;
}

static int
get_kv(struct reader *r, const unsigned char *data, size_t len,
    struct kvlist *l, const struct field_desc *f)
{
	char *k = NULL, *v = NULL;

	if (l->n >= f->max_items)
		return rfail(r, "more than %zu entries", f->max_items);
	if (len < 4)
		return rfail(r, "truncated pair");
	uint32_t kl = le32(data);
	if (kl > len - 4)
		return rfail(r, "pair key length %u exceeds the field", kl);
	if (dup_str(r, data + 4, kl, f->max_len, &k) == -1 ||
	    dup_str(r, data + 4 + kl, len - 4 - kl, f->max_len, &v) == -1) {
		free(k);
		return -1;
	}
	kvlist_push(l, k, v);
	free(k);
	free(v);
	return 0;
}

static int
get_strlist(struct reader *r, const unsigned char *data, size_t len,
    struct strlist *l, const struct field_desc *f)
{
	char *s;

	if (l->n >= f->max_items)
		return rfail(r, "more than %zu list items", f->max_items);
	if (dup_str(r, data, len, f->max_len, &s) == -1)
		return -1;
	strlist_push(l, s);
	free(s);
	return 0;
}

static int
get_volume(
    struct reader *r, const unsigned char *data, size_t len, struct defn *d)
{
	struct reader sub = { data, len, 0, r->err, r->errlen };
	struct volume v = { 0 };
	char **parts[3] = { &v.container_path, &v.host_path, &v.from };

	const struct field_desc *f = field_by_tag(T_VOLUME);

	if (d->nvolumes >= f->max_items)
		return rfail(r, "more than %zu volumes", f->max_items);
	if (len < 1 || (data[0] & ~0x0fu) != 0)
		return rfail(r, "bad volume flags");
	v.read_only = data[0] & 1;
	sub.off = 1;
	for (int i = 0; i < 3; i++) {
		if (!(data[0] & (2 << i)))
			continue;
		if (sub.len - sub.off < 4)
			goto bad;
		uint32_t l = le32(sub.p + sub.off);
		sub.off += 4;
		if (l > sub.len - sub.off ||
		    dup_str(&sub, sub.p + sub.off, l, f->max_len, parts[i]) ==
			-1)
			goto bad;
		sub.off += l;
	}
	if (sub.off != sub.len)
		goto bad;
	d->volumes =
	    xreallocarray(d->volumes, d->nvolumes + 1, sizeof(*d->volumes));
	d->volumes[d->nvolumes++] = v;
	return 0;
bad:
	free(v.container_path);
	free(v.host_path);
	free(v.from);
	if (r->err[0] == '\0')
		rfail(r, "malformed volume");
	return -1;
}

static int
get_port(
    struct reader *r, const unsigned char *data, size_t len, struct defn *d)
{
	struct port *np;

	if (d->nports >= field_by_tag(T_PORT)->max_items)
		return rfail(
		    r, "more than %zu ports", field_by_tag(T_PORT)->max_items);
	if (len != 5 || data[4] > 1)
		return rfail(r, "malformed port");
	np = d->ports =
	    xreallocarray(d->ports, d->nports + 1, sizeof(*d->ports));
	np[d->nports].container_port = (uint16_t)(data[0] | data[1] << 8);
	np[d->nports].host_port = (uint16_t)(data[2] | data[3] << 8);
	np[d->nports].udp = data[4];
	d->nports++;
	return 0;
}

/* A row's integer: 8 bytes, not its default (never sent), in range. */
static int
get_row_int(struct reader *r, const struct field_desc *f,
    const unsigned char *p, size_t n, int64_t *v)
{
	if (n != 8)
		return rfail(r,
		    "%s%s%s: integer field must be 8 bytes, not %zu", f->key,
		    f->member ? "." : "", f->member ? f->member : "", n);
	*v = (int64_t)le64(p);
	if (*v == f->def)
		return rfail(r, "%s%s%s: encodes its default %lld", f->key,
		    f->member ? "." : "", f->member ? f->member : "",
		    (long long)f->def);
	if (*v < f->min || *v > f->max)
		return rfail(r, "%s%s%s: %lld is not from %lld to %lld", f->key,
		    f->member ? "." : "", f->member ? f->member : "",
		    (long long)*v, (long long)f->min, (long long)f->max);
	return 0;
}

static int
decode_defn_field(struct reader *r, const struct field_desc *f,
    const unsigned char *p, size_t n, struct defn *d)
{
	int flag = 0;

	switch (f->kind) {
	case FK_STRING:
		return dup_str(r, p, n, f->max_len, AT(d, f, char *));
	case FK_INT:
	case FK_SECONDS:
		return get_row_int(r, f, p, n, AT(d, f, int64_t));
	case FK_FLAG:
		return get_flag(r, p, n, AT(d, f, int));
	case FK_NOT_FLAG:
		if (get_flag(r, p, n, &flag) == -1)
			return -1;
		*AT(d, f, int) = 0;
		return 0;
	case FK_LIST:
		return get_strlist(r, p, n, AT(d, f, struct strlist), f);
	case FK_MAP:
		return get_kv(r, p, n, AT(d, f, struct kvlist), f);
	case FK_VOLUMES:
		return get_volume(r, p, n, d);
	case FK_PORTS:
		return get_port(r, p, n, d);
	case FK_ROLLING:
		if (n != 1 || p[0] < f->min || p[0] > f->max)
			return rfail(r, "%s.%s: %u is not from %lld to %lld",
			    f->key, f->member, n == 1 ? p[0] : 0,
			    (long long)f->min, (long long)f->max);
		*AT(d, f, int) = p[0];
		return 0;
	case FK_RESTART:
		if (n != 1 || p[0] == RESTART_ON_FAILURE ||
		    p[0] > RESTART_NEVER)
			return rfail(r, "bad restart policy");
		d->restart = (enum restart_policy)p[0];
		return 0;
	}
	return rfail(r, "field %u of an unknown kind", f->tag);
}

int
wire_decode_defn(const unsigned char *p, size_t len, struct defn *d, char *err,
    size_t errlen)
{
	struct reader r = { p, len, 0, err, errlen };
	uint16_t tag, last = T_NONE;
	const unsigned char *data;
	size_t dlen;

	err[0] = '\0';
	defn_init(d);
	while (r.off < r.len) {
		if (next_field(&r, &tag, &data, &dlen) == -1)
			goto fail;
		const struct field_desc *f = field_by_tag(tag);
		if (f == NULL) {
			rfail(&r, "unknown field tag %u", tag);
			goto fail;
		}
		if (tag < last || (tag == last && !field_repeatable(f))) {
			rfail(&r, "field %u out of order or repeated", tag);
			goto fail;
		}
		last = tag;
		if (decode_defn_field(&r, f, data, dlen, d) == -1)
			goto fail;
	}
	if (d->image == NULL) {
		rfail(&r, "definition without an image");
		goto fail;
	}
	/* A list without its presence flag would not encode back the same. */
	if ((d->entrypoint.n && !d->has_entrypoint) ||
	    (d->command.n && !d->has_command)) {
		rfail(&r, "argument list without its presence flag");
		goto fail;
	}
	return 0;
fail:
	defn_free(d);
	return -1;
}

/* ---- sources ---- */

enum source_tag { S_NONE = 0, S_NAME, S_HEALTH, S_ERROR, S_GOOD_SINCE, S_MAX };

int
wire_encode_source(const struct source_status *s, struct buf *out)
{
	uint8_t h = (uint8_t)s->health;
	int r = 0;

	r |= put_str(out, S_NAME, s->name);
	r |= put_field(out, S_HEALTH, &h, 1);
	r |= put_str(out, S_ERROR, s->error);
	r |= put_i64(out, S_GOOD_SINCE, s->good_since);
	return r == 0 ? 0 : -1;
}

int
wire_decode_source(const unsigned char *p, size_t len, struct source_status *s,
    char *err, size_t errlen)
{
	struct reader r = { p, len, 0, err, errlen };
	uint16_t tag, last = S_NONE;
	const unsigned char *data;
	size_t dlen;
	int rc = 0;

	err[0] = '\0';
	memset(s, 0, sizeof(*s));
	while (rc == 0 && r.off < r.len) {
		if (next_field(&r, &tag, &data, &dlen) == -1)
			break;
		if (tag <= last || tag >= S_MAX) {
			rc = rfail(
			    &r, "source field %u unknown or out of order", tag);
			break;
		}
		last = tag;
		switch (tag) {
		case S_NAME:
			rc = dup_str(&r, data, dlen, MAX_PATH_LEN, &s->name);
			break;
		case S_HEALTH:
			if (dlen != 1 || data[0] < SOURCE_OK ||
			    data[0] > SOURCE_UNREACHABLE)
				rc = rfail(&r, "bad source health");
			else
				s->health = (enum source_health)data[0];
			break;
		case S_ERROR:
			rc = dup_str(&r, data, dlen, MAX_STRING_LEN, &s->error);
			break;
		case S_GOOD_SINCE:
			rc = get_i64(&r, data, dlen, &s->good_since);
			break;
		}
	}
	if (rc == 0 && r.err[0] == '\0' && (s->name == NULL || s->health == 0))
		rc = rfail(&r, "source without name or health");
	if (r.err[0] != '\0') {
		free(s->name);
		free(s->error);
		memset(s, 0, sizeof(*s));
		return -1;
	}
	return 0;
}

/* ---- settings (parent -> children) ---- */

/*
 * Each row of settings_table (settings.h) crosses: a string as a field of
 * its own tag, the integers in one SETTINGS_TAG_INTS field of 4 bytes
 * each, in slot order.  Tags ascend, as in a definition.
 */

/* The string row of a tag, or NULL. */
static const struct setting_desc *
settings_row_of_tag(unsigned int tag)
{
	for (size_t i = 0; i < settings_count; i++)
		if (setting_is_string(&settings_table[i]) &&
		    settings_table[i].wire == tag)
			return &settings_table[i];
	return NULL;
}

/* The integer row of a slot, or NULL. */
static const struct setting_desc *
settings_row_of_slot(unsigned int slot)
{
	for (size_t i = 0; i < settings_count; i++)
		if (!setting_is_string(&settings_table[i]) &&
		    settings_table[i].wire == slot)
			return &settings_table[i];
	return NULL;
}

/* How many integers, and the highest tag in use. */
static void
settings_wire_shape(size_t *nints, unsigned int *max_tag)
{
	*nints = 0;
	*max_tag = SETTINGS_TAG_INTS;
	for (size_t i = 0; i < settings_count; i++) {
		if (!setting_is_string(&settings_table[i]))
			(*nints)++;
		else if (settings_table[i].wire > *max_tag)
			*max_tag = settings_table[i].wire;
	}
}

static int
put_settings_ints(struct buf *out, struct settings *s, size_t nints)
{
	struct buf ints;
	int r = 0;

	buf_init(&ints, 4 * nints);
	for (size_t i = 0; i < nints; i++) {
		const struct setting_desc *d = settings_row_of_slot(i);
		if (d == NULL)
			fatalx("settings: no integer in slot %zu", i);
		r |= buf_put_u32(&ints, (uint32_t)*setting_int(s, d));
	}
	if (r == 0)
		r = put_field(out, SETTINGS_TAG_INTS, ints.p, ints.len);
	buf_free(&ints);
	return r;
}

int
wire_encode_settings(const struct settings *cs, struct buf *out)
{
	struct settings *s = (struct settings *)(uintptr_t)cs;
	const struct setting_desc *d;
	unsigned int max_tag;
	size_t nints;
	int r = 0;

	settings_wire_shape(&nints, &max_tag);
	for (unsigned int t = 1; t <= max_tag; t++) {
		if (t == SETTINGS_TAG_INTS)
			r |= put_settings_ints(out, s, nints);
		else if ((d = settings_row_of_tag(t)) != NULL)
			r |= put_str(out, (uint16_t)t, *setting_str(s, d));
	}
	return r == 0 ? 0 : -1;
}

static int
get_settings_ints(struct reader *r, const unsigned char *data, size_t dlen,
    struct settings *s, size_t nints)
{
	int min, max;

	if (dlen != 4 * nints)
		return rfail(r, "bad settings integers");
	for (size_t i = 0; i < nints; i++) {
		const struct setting_desc *d = settings_row_of_slot(i);
		int v = (int)le32(data + 4 * i);
		setting_int_range(d, &min, &max);
		if (v < min || v > max)
			return rfail(r, "setting %s is %d; expected %d to %d",
			    d->key       ? d->key
				: d->opt ? d->opt
					 : "in slot 0",
			    v, min, max);
		*setting_int(s, d) = v;
	}
	return 0;
}

int
wire_decode_settings(const unsigned char *p, size_t len, struct settings *s,
    char *err, size_t errlen)
{
	struct reader r = { p, len, 0, err, errlen };
	uint16_t tag, last = 0;
	const unsigned char *data;
	const struct setting_desc *d = NULL;
	unsigned int max_tag;
	size_t dlen, nints;
	int ints = 0;

	err[0] = '\0';
	settings_init(s);
	settings_wire_shape(&nints, &max_tag);
	while (r.off < r.len) {
		if (next_field(&r, &tag, &data, &dlen) == -1)
			goto fail;
		if (tag <= last || tag > max_tag ||
		    (tag != SETTINGS_TAG_INTS &&
			(d = settings_row_of_tag(tag)) == NULL)) {
			rfail(&r, "settings field %u unknown or out of order",
			    tag);
			goto fail;
		}
		last = tag;
		if (tag == SETTINGS_TAG_INTS) {
			if (get_settings_ints(&r, data, dlen, s, nints) == -1)
				goto fail;
			ints = 1;
			continue;
		}
		char **dst = setting_str(s, d);
		free(*dst);
		*dst = NULL;
		/* a path, or a policy list: one settings line at most */
		if (dup_str(&r, data, dlen, MAX_SETTINGS_LINE, dst) == -1)
			goto fail;
	}
	if (!ints) {
		rfail(&r, "incomplete settings: no integers");
		goto fail;
	}
	/* A string with a default is never unset. */
	for (size_t i = 0; i < settings_count; i++)
		if (settings_table[i].def != NULL &&
		    *setting_str(s, &settings_table[i]) == NULL) {
			rfail(&r, "incomplete settings: no %s",
			    settings_table[i].key ? settings_table[i].key
						  : settings_table[i].opt);
			goto fail;
		}
	return 0;
fail:
	settings_free(s);
	return -1;
}

const char *
wire_self_file_name(enum wire_self_file f)
{
	static const char *const names[] = {
		[SELF_FILE_READY] = "ready",
		[SELF_FILE_OLD] = "old",
		[SELF_FILE_FAILED] = "failed",
	};

	return f > SELF_FILE_NONE && f <= SELF_FILE_FAILED ? names[f] : NULL;
}

/* ---- last good contents (fetcher <-> parent) ---- */

enum lastgood_tag {
	LG_NONE = 0,
	LG_NAME,
	LG_FORM,
	LG_SINCE,
	LG_DOCUMENT,
	LG_PROFILE, /* repeated, ascending by path */
	LG_MAX
};

void
wire_lastgood_free(struct wire_lastgood *lg)
{
	free(lg->name);
	if (lg->text != NULL)
		explicit_bzero(lg->text, lg->len);
	free(lg->text);
	kvlist_free_wiped(&lg->profiles);
	memset(lg, 0, sizeof(*lg));
}

int
wire_encode_lastgood(const struct wire_lastgood *lg, struct buf *out)
{
	uint8_t form = (uint8_t)lg->form;
	int r = 0;

	if (lg->name == NULL || lg->text == NULL || lg->len != strlen(lg->text))
		return -1;
	r |= put_str(out, LG_NAME, lg->name);
	r |= put_field(out, LG_FORM, &form, 1);
	r |= put_i64(out, LG_SINCE, lg->since);
	r |= put_field(out, LG_DOCUMENT, lg->text, lg->len);
	r |= put_kvlist(out, LG_PROFILE, &lg->profiles);
	return r == 0 ? 0 : -1;
}

/* A profile: u32 path length, path, contents (the rest). */
static int
get_profile(
    struct reader *r, const unsigned char *data, size_t len, struct kvlist *l)
{
	char *k = NULL, *v = NULL;
	int rc;

	if (l->n >= MAX_DEFINITIONS)
		return rfail(r, "more than %d profiles", MAX_DEFINITIONS);
	if (len < 4 || le32(data) > len - 4)
		return rfail(r, "truncated profile");
	uint32_t kl = le32(data);
	if (dup_str(r, data + 4, kl, MAX_PATH_LEN, &k) == -1 ||
	    dup_str(r, data + 4 + kl, len - 4 - kl, MAX_SECCOMP_PROFILE_SIZE,
		&v) == -1) {
		free(k);
		return -1;
	}
	if (l->n > 0 && strcmp(l->v[l->n - 1].key, k) >= 0)
		rc = rfail(r, "profiles out of order or repeated");
	else {
		kvlist_push(l, k, v);
		rc = 0;
	}
	free(k);
	explicit_bzero(v, strlen(v));
	free(v);
	return rc;
}

static int
get_lastgood_field(struct reader *r, uint16_t tag, const unsigned char *data,
    size_t dlen, struct wire_lastgood *lg)
{
	switch (tag) {
	case LG_NAME:
		return dup_str(r, data, dlen, MAX_PATH_LEN, &lg->name);
	case LG_FORM:
		if (dlen != 1 ||
		    (data[0] != WIRE_LG_FILE && data[0] != WIRE_LG_USERDATA &&
			data[0] != WIRE_LG_ETCD))
			return rfail(r, "bad last good form");
		lg->form = data[0];
		return 0;
	case LG_SINCE:
		if (get_i64(r, data, dlen, &lg->since) == -1)
			return -1;
		return lg->since > 0 ? 0 : rfail(r, "negative time");
	case LG_DOCUMENT:
		if (dup_str(r, data, dlen, MAX_DOCUMENT_SIZE, &lg->text) == -1)
			return -1;
		lg->len = dlen;
		return 0;
	case LG_PROFILE:
		return get_profile(r, data, dlen, &lg->profiles);
	}
	return rfail(r, "last good field %u unknown", tag);
}

int
wire_decode_lastgood(const unsigned char *p, size_t len,
    struct wire_lastgood *lg, char *err, size_t errlen)
{
	struct reader r = { p, len, 0, err, errlen };
	uint16_t tag, last = LG_NONE;
	const unsigned char *data;
	size_t dlen;

	err[0] = '\0';
	memset(lg, 0, sizeof(*lg));
	while (r.off < r.len) {
		if (next_field(&r, &tag, &data, &dlen) == -1)
			goto fail;
		if (tag < last || tag >= LG_MAX || tag == LG_NONE ||
		    (tag == last && tag != LG_PROFILE)) {
			rfail(&r,
			    "last good field %u unknown, repeated or out "
			    "of order",
			    tag);
			goto fail;
		}
		last = tag;
		if (get_lastgood_field(&r, tag, data, dlen, lg) == -1)
			goto fail;
	}
	if (lg->name == NULL || lg->form == 0 || lg->since == 0 ||
	    lg->text == NULL) {
		rfail(&r, "incomplete last good copy");
		goto fail;
	}
	return 0;
fail:
	wire_lastgood_free(lg);
	return -1;
}

/* ---- the user-data loader's answers (loader -> fetcher) ---- */

enum ud_defn_tag { UD_NONE = 0, UD_PREFIX, UD_DEFN, UD_MAX };

int
wire_encode_ud_defn(const char *prefix, const struct defn *d, struct buf *out)
{
	struct buf inner;
	int r;

	if (strlen(prefix) > WIRE_PREFIX_MAX)
		return -1;
	buf_init(&inner, IMSG_MAX_DATA);
	r = wire_encode_defn(d, 0, &inner);
	if (r == 0)
		r = put_str(out, UD_PREFIX, prefix);
	if (r == 0)
		r = put_field(out, UD_DEFN, inner.p, inner.len);
	buf_free(&inner);
	return r;
}

int
wire_decode_ud_defn(const unsigned char *p, size_t len, char **prefix,
    struct defn *d, char *err, size_t errlen)
{
	struct reader r = { p, len, 0, err, errlen };
	const unsigned char *data;
	size_t dlen;
	uint16_t tag;

	err[0] = '\0';
	*prefix = NULL;
	if (next_field(&r, &tag, &data, &dlen) == -1)
		return -1;
	if (tag != UD_PREFIX) {
		rfail(&r, "user-data definition without its prefix");
		return -1;
	}
	if (dup_str(&r, data, dlen, WIRE_PREFIX_MAX, prefix) == -1)
		return -1;
	if (next_field(&r, &tag, &data, &dlen) == -1 || tag != UD_DEFN ||
	    r.off != r.len) {
		if (r.err[0] == '\0')
			rfail(&r,
			    "user-data definition: one encoded "
			    "definition expected after the prefix");
		goto fail;
	}
	if (wire_decode_defn(data, dlen, d, err, errlen) == -1)
		goto fail;
	if (d->source != NULL) {
		/* The fetcher names it; a loader that does is refused. */
		snprintf(err, errlen,
		    "a user-data definition names its own "
		    "source");
		defn_free(d);
		goto fail;
	}
	return 0;
fail:
	free(*prefix);
	*prefix = NULL;
	return -1;
}

enum cfgerr_tag { CE_NONE = 0, CE_FIELD, CE_MSG, CE_MAX };

int
wire_encode_cfgerr(const struct cfgerr *e, struct buf *out)
{
	int r = 0;

	r |= put_str(out, CE_FIELD, e->field);
	r |= put_str(out, CE_MSG, e->msg);
	return r == 0 ? 0 : -1;
}

int
wire_decode_cfgerr(const unsigned char *p, size_t len, char **field, char **msg,
    char *err, size_t errlen)
{
	struct reader r = { p, len, 0, err, errlen };
	uint16_t tag, last = CE_NONE;
	const unsigned char *data;
	size_t dlen;
	int rc = 0;

	err[0] = '\0';
	*field = *msg = NULL;
	while (rc == 0 && r.off < r.len) {
		if (next_field(&r, &tag, &data, &dlen) == -1)
			break;
		if (tag <= last || tag >= CE_MAX) {
			rc = rfail(
			    &r, "error field %u unknown or out of order", tag);
			break;
		}
		last = tag;
		rc = dup_str(&r, data, dlen, MAX_STRING_LEN,
		    tag == CE_FIELD ? field : msg);
	}
	if (r.err[0] == '\0' && *msg == NULL)
		rfail(&r, "error without a message");
	if (r.err[0] != '\0') {
		free(*field);
		free(*msg);
		*field = *msg = NULL;
		return -1;
	}
	return 0;
}

/* ---- files the parent read (IMSG_FILE, IMSG_FILE_ERR) ---- */

int
wire_encode_file(const struct wire_file *f, struct buf *out)
{
	if (buf_put_u32(out, (uint32_t)f->err) == -1 ||
	    buf_put_u32(out, (uint32_t)f->namelen) == -1 ||
	    buf_append(out, f->name, f->namelen) == -1 ||
	    (f->len > 0 && buf_append(out, f->data, f->len) == -1))
		return -1;
	return 0;
}

int
wire_decode_file(const unsigned char *p, size_t len, struct wire_file *f)
{
	uint32_t e, nl;

	if (len < 8)
		return -1;
	memcpy(&e, p, 4);
	memcpy(&nl, p + 4, 4);
	if (nl > len - 8 || e > INT32_MAX)
		return -1;
	f->err = (int)e;
	f->name = (const char *)p + 8;
	f->namelen = nl;
	f->data = p + 8 + nl;
	f->len = len - 8 - nl;
	return 0;
}

/* ---- rolling updates ---- */

/* A NUL-terminated printable text in a field of n bytes. */
static int
text_ok(const char *t, size_t n, int empty_ok)
{
	const char *end = memchr(t, '\0', n);

	if (end == NULL || (end == t && !empty_ok))
		return 0;
	for (const char *p = t; p < end; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return 0;
	return 1;
}

static int
hash_ok(const char h[65])
{
	return h[64] == '\0' && strlen(h) == 64 &&
	    strspn(h, "0123456789abcdef") == 64;
}

static int __attribute__((format(printf, 3, 4)))
slot_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
wire_check_slot_ask(const struct wire_slot_ask *a, char *err, size_t errlen)
{
	if (a->max_parallel < 1 || a->max_parallel > MAX_ROLLING_PARALLEL)
		return slot_fail(err, errlen,
		    "slot ask: max_parallel %u is not from 1 to %d",
		    a->max_parallel, MAX_ROLLING_PARALLEL);
	if (!text_ok(a->ident, sizeof(a->ident), 0))
		return slot_fail(err, errlen, "slot ask: bad identity");
	if (!hash_ok(a->hash))
		return slot_fail(err, errlen, "slot ask: bad hash");
	return 0;
}

int
wire_check_slot_answer(
    const struct wire_slot_answer *a, char *err, size_t errlen)
{
	if (a->result < SLOT_GRANTED || a->result >= SLOT_RESULT_MAX)
		return slot_fail(
		    err, errlen, "slot answer: result %u unknown", a->result);
	if (!text_ok(a->why, sizeof(a->why), 1))
		return slot_fail(err, errlen, "slot answer: bad text");
	return 0;
}

int
wire_check_slot_done(const struct wire_slot_done *d, char *err, size_t errlen)
{
	if (d->outcome < SLOT_PASSED || d->outcome >= SLOT_OUTCOME_MAX)
		return slot_fail(
		    err, errlen, "slot done: outcome %u unknown", d->outcome);
	if (!text_ok(d->ident, sizeof(d->ident), 0))
		return slot_fail(err, errlen, "slot done: bad identity");
	if (!hash_ok(d->hash))
		return slot_fail(err, errlen, "slot done: bad hash");
	if (!text_ok(d->why, sizeof(d->why), 1))
		return slot_fail(err, errlen, "slot done: bad text");
	return 0;
}

int
wire_check_fleet_host(const unsigned char *p, size_t len)
{
	if (len < WIRE_FLEET_HOST_SEQ + 2 ||
	    len > WIRE_FLEET_HOST_SEQ + MAX_FLEET_HOST_VALUE)
		return 0;
	p += WIRE_FLEET_HOST_SEQ;
	len -= WIRE_FLEET_HOST_SEQ;
	return p[0] == '{' && p[len - 1] == '}' && memchr(p, '\0', len) == NULL;
}
