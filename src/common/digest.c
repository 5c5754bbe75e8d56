#include "digest.h"

#include <nettle/sha2.h>
#include <stdint.h>

void
sha256(const void *p, size_t n, unsigned char md[SHA256_LEN])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, n, n ? (const uint8_t *)p : (const uint8_t *)"");
	sha256_digest(&c, SHA256_LEN, md);
}

void
sha256_hex(const void *p, size_t n, char out[2 * SHA256_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_LEN];

	sha256(p, n, md);
	for (size_t i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * SHA256_LEN] = '\0';
}
