/*
 * libFuzzer target: the engine's decoder of what the fetcher sends.  Any
 * bytes must either decode into a definition that encodes back to the
 * same bytes (the encoding is canonical) or be rejected without a crash,
 * leak or undefined behaviour.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "defn.h"
#include "errlist.h"
#include "imsg.h"
#include "validate.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct defn d;
	struct source_status s;
	struct settings st;
	char err[256];

	if (size > IMSG_MAX_DATA)
		return 0;
	if (wire_decode_defn(data, size, &d, err, sizeof(err)) == 0) {
		struct buf b;
		struct errlist errs;

		buf_init(&b, IMSG_MAX_DATA);
		if (wire_encode_defn(&d, 1, &b) != 0 || b.len != size ||
		    memcmp(b.p, data, size) != 0)
			abort(); /* decode . encode must be the identity */
		buf_free(&b);
		errlist_init(&errs);
		defn_validate(&d, "fuzz", "", &errs);
		errlist_free(&errs);
		defn_free(&d);
	}
	if (wire_decode_source(data, size, &s, err, sizeof(err)) == 0) {
		free(s.name);
		free(s.error);
	}
	if (wire_decode_settings(data, size, &st, err, sizeof(err)) == 0)
		settings_free(&st);
	return 0;
}
