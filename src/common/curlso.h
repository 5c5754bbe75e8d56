/*
 * libcurl, loaded at run time by the processes that use it.
 *
 * Debian's libcurl pulls in about 30 libraries (OpenSSL, GnuTLS, Kerberos,
 * LDAP, ...).  Mapping and relocating them costs each process that links
 * them about 7 MiB of resident memory and 7 ms of start-up, before a single
 * request (measured on Debian 12: a program that only links -lcurl starts
 * at 7.0 MiB RSS against 1.0 MiB without).  dockerup is one binary run as
 * three processes, and only the engine always needs libcurl: the parent
 * never does, the fetcher only when it reads EC2 user-data.  So the binary
 * does not link libcurl; curlso_load() opens it (by its soname, as the
 * dynamic linker would have) before the process's seccomp filter, and
 * curlso.c defines each curl_* function dockerup calls as a forwarder to
 * the loaded library's own.  The rest of the code calls libcurl as usual.
 *
 * Calling a curl_* function before curlso_load() succeeded is a bug: the
 * forwarder aborts with a message naming the function.
 */
#ifndef DOCKERUP_CURLSO_H
#define DOCKERUP_CURLSO_H

#include <stddef.h>

/* The library opened: Debian's libcurl4 package (libcurl with OpenSSL). */
#define CURLSO_SONAME "libcurl.so.4"

/*
 * Opens libcurl and resolves every function dockerup uses, then runs
 * curl_global_init().  Idempotent.  0, or -1 with a message in err that
 * says which library or symbol is missing.
 */
int curlso_load(char *err, size_t errlen);

/* Whether curlso_load() has succeeded in this process. */
int curlso_loaded(void);

#endif
