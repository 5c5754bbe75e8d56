/*
 * libFuzzer target: a user-data body as the metadata service could
 * answer it (gzip or not, JSON or not) through decoding and parsing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "defs.h"
#include "errlist.h"
#include "userdata.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct defs_result r;
	struct errlist e;
	struct buf text;
	char err[512];

	buf_init(&text, MAX_DOCUMENT_SIZE);
	switch (userdata_decode(data, size, &text, err, sizeof(err))) {
	case UD_JSON:
		if (text.len > MAX_DOCUMENT_SIZE)
			abort();
		defs_result_init(&r);
		errlist_init(&e);
		if ((defs_parse("user-data", text.p ? (char *)text.p : "",
			 text.len, DOC_USERDATA, NULL, &r, &e) == 0) !=
		    (e.n == 0))
			abort();
		defs_result_free(&r);
		errlist_free(&e);
		break;
	case UD_NOT_JSON:
		(void)userdata_describe(text.p, text.len);
		break;
	case UD_EMPTY:
		break;
	case UD_BAD:
		if (err[0] == '\0')
			abort();
		break;
	}
	buf_free(&text);
	return 0;
}
