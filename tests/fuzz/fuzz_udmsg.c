/*
 * libFuzzer target: what the user-data loader sends the fetcher (a
 * definition with its prefix, a problem) and a file message as the
 * fetcher relays it.  The loader parses what the network sends, so its
 * bytes come from another trust domain.  The first byte picks the
 * decoder; what decodes must encode back to the same bytes (the encodings
 * are canonical), anything else is rejected without a crash, leak or
 * undefined behaviour.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same_or_abort(const struct buf *b, const uint8_t *p, size_t len)
{
	if (b->len != len || (len > 0 && memcmp(b->p, p, len) != 0))
		abort(); /* decode . encode must be the identity */
}

static void
ud_defn(const uint8_t *p, size_t len)
{
	struct defn d;
	struct buf b;
	char err[256], *prefix;

	if (wire_decode_ud_defn(p, len, &prefix, &d, err, sizeof(err)) == -1)
		return;
	buf_init(&b, IMSG_MAX_DATA);
	if (wire_encode_ud_defn(prefix, &d, &b) != 0)
		abort();
	same_or_abort(&b, p, len);
	buf_free(&b);
	free(prefix);
	defn_free(&d);
}

static void
cfgerr(const uint8_t *p, size_t len)
{
	struct cfgerr e = { NULL, NULL, NULL };
	struct buf b;
	char err[256];

	if (wire_decode_cfgerr(p, len, &e.field, &e.msg, err, sizeof(err)) ==
	    -1)
		return;
	buf_init(&b, IMSG_MAX_DATA);
	if (wire_encode_cfgerr(&e, &b) != 0)
		abort();
	same_or_abort(&b, p, len);
	buf_free(&b);
	free(e.field);
	free(e.msg);
}

static void
file(const uint8_t *p, size_t len)
{
	struct wire_file f;
	struct buf b;

	if (wire_decode_file(p, len, &f) == -1)
		return;
	buf_init(&b, IMSG_MAX_DATA);
	if (wire_encode_file(&f, &b) != 0)
		abort();
	same_or_abort(&b, p, len);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > IMSG_MAX_DATA)
		return 0;
	switch (data[0] % 3) {
	case 0:
		ud_defn(data + 1, size - 1);
		break;
	case 1:
		cfgerr(data + 1, size - 1);
		break;
	case 2:
		file(data + 1, size - 1);
		break;
	}
	return 0;
}
