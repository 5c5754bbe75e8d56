/*
 * libFuzzer target: the settings file parser.  Any bytes either parse or
 * are reported with FILE:LINE; the result always holds valid values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "settings_parse.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s;
	struct errlist e;
	uint64_t set = size > 0 ? data[0] : 0;

	settings_init(&s);
	errlist_init(&e);
	if (settings_parse_file(
		&s, "fuzz.conf", (const char *)data, size, &set, &e) == 0 &&
	    e.n != 0)
		abort();
	/* Whatever was accepted is in range and well formed. */
	if (s.interval < 1 || s.interval > 86400 || s.lock_wait < 0 ||
	    s.ready_timeout < 1 || !valid_abs_path(s.confdir) ||
	    !valid_abs_path(s.cache) ||
	    (strncmp(s.remote, "unix:///", 8) != 0 &&
		strncmp(s.remote, "tcp://", 6) != 0))
		abort();
	for (size_t i = 0; i < e.n; i++)
		if (strncmp(e.v[i].where, "fuzz.conf", 9) != 0)
			abort();
	settings_free(&s);
	errlist_free(&e);
	return 0;
}
