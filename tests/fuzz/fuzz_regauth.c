/*
 * libFuzzer target: registry credentials files (src/engine/regauth.c),
 * config.json or a legacy .dockercfg, which the engine reads from a path
 * an operator names (possibly one a non-root account can write).  Any
 * bytes must be refused or parsed into entries whose X-Registry-Auth
 * header can be built, without a crash, leak or undefined behaviour; a
 * refused file leaves no entry behind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const registries[] = { "docker.io", "127.0.0.1:5000",
	"https://index.docker.io/v1/", "registry-1.docker.io", "" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct regauth ra;
	char err[512], *copy;
	size_t n;

	regauth_init(&ra);
	if (regauth_parse(
		&ra, (const char *)data, size, "fuzz", err, sizeof(err)) == 0) {
		for (size_t i = 0; i < ra.n; i++) {
			char *h;
			int e;
			if (ra.v[i].server == NULL)
				abort();
			h = regauth_header(&ra, ra.v[i].server, &e);
			regauth_header_free(h);
		}
		for (size_t i = 0; i < sizeof(registries) / sizeof(*registries);
		     i++) {
			int e;
			regauth_header_free(
			    regauth_header(&ra, registries[i], &e));
		}
		regauth_free(&ra);
	} else if (ra.v != NULL || ra.n != 0)
		abort(); /* a refused file leaves nothing behind */
	if ((copy = strndup((const char *)data, size)) != NULL) {
		char *key = regauth_server_key(copy);
		char *dec = base64_decode(copy, &n);
		free(key);
		free(dec);
		free(copy);
	}
	return 0;
}
