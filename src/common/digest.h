/*
 * SHA-256, as dockerup uses it: definition and body fingerprints, never
 * for secrets or signatures.  Nettle's, which costs a process 0.3 MiB of
 * resident memory where OpenSSL's libcrypto costs 3.6 MiB (measured on
 * Debian 12 with a program that hashes one byte).
 */
#ifndef DOCKERUP_DIGEST_H
#define DOCKERUP_DIGEST_H

#include <stddef.h>

#define SHA256_LEN 32 /* bytes of a digest; twice that in hex */

void sha256(const void *p, size_t n, unsigned char md[SHA256_LEN]);
/* The digest in lowercase hex, NUL-terminated. */
void sha256_hex(const void *p, size_t n, char out[2 * SHA256_LEN + 1]);

#endif
