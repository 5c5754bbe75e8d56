/*
 * libFuzzer target: a last good copy as the parent sends it back to the
 * fetcher (and as the parent checks it before it keeps one).  Any bytes
 * must either decode into a copy that encodes back to the same bytes (the
 * encoding is canonical) and then be validated again like a fresh
 * document, or be rejected without a crash, leak or undefined behaviour.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "lastgood.h"
#include "log.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sink_put(void *ctx, const unsigned char *p, size_t len)
{
}

static void
sink_del(void *ctx, const char *name)
{
}

static const struct lastgood_sink sink = { sink_put, sink_del, NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_lastgood w;
	struct lastgood_set set;
	const char *why;
	char err[256];

	if (size > IMSG_MAX_DATA)
		return 0;
	log_init("fuzz", 0);
	if (wire_decode_lastgood(data, size, &w, err, sizeof(err)) == 0) {
		struct buf b;

		buf_init(&b, IMSG_MAX_DATA);
		if (wire_encode_lastgood(&w, &b) != 0 || b.len != size ||
		    memcmp(b.p, data, size) != 0)
			abort(); /* decode . encode must be the identity */
		buf_free(&b);
		wire_lastgood_free(&w);
	}
	lastgood_init(&set, &sink);
	if (lastgood_restore(&set, data, size, &why) == 0 &&
	    lastgood_find(&set, set.v[0].name) != &set.v[0])
		abort();
	lastgood_free(&set);
	return 0;
}
