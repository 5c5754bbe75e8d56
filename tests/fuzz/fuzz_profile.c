/*
 * libFuzzer target: the seccomp profile check the engine runs on the
 * content it receives from the fetcher.  Any bytes are accepted or
 * refused with a message; an accepted profile is a JSON object with a
 * defaultAction, and one that restricts nothing is accepted only when
 * permissive profiles are allowed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bounds.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[600], *s;
	cJSON *j;
	int strict, lax;

	if (size > MAX_SECCOMP_PROFILE_SIZE + 1)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	strict = profile_check(s, 0, err, sizeof(err));
	if (strict == -1 && err[0] == '\0')
		abort(); /* a refusal always says why */
	lax = profile_check(s, 1, err, sizeof(err));
	if (strict == 0 && lax != 0)
		abort(); /* allowing more never refuses more */
	if (lax == 0) {
		j = cJSON_Parse(s);
		if (j == NULL || !cJSON_IsObject(j) ||
		    !cJSON_IsString(
			cJSON_GetObjectItemCaseSensitive(j, "defaultAction")))
			abort();
		cJSON_Delete(j);
	}
	free(s);
	return 0;
}
