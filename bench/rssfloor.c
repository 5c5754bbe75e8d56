/*
 * The resident-memory floor of a dockerup process that uses libcurl: peak
 * RSS of this process at its start (the binary's own libraries), after
 * curlso_load() (libcurl and its libraries mapped, curl_global_init()
 * run, as the engine does before its sandbox), and after one request
 * (curl_easy_perform() to a closed local port: the connection code
 * touched).  Prints a markdown table for the benchmark report.
 */
#include <stdio.h>
#include <sys/resource.h>

#include <curl/curl.h>

#include "curlso.h"
#include "log.h"

static double
peak_mib(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		fatal("getrusage");
	return ru.ru_maxrss / 1024.0;
}

int
main(void)
{
	char err[512];
	double start, loaded, used;
	CURL *c;

	start = peak_mib();
	if (curlso_load(err, sizeof(err)) == -1)
		fatalx("%s", err);
	loaded = peak_mib();
	if ((c = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	curl_easy_setopt(c, CURLOPT_URL, "http://127.0.0.1:9/");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 2L);
	(void)curl_easy_perform(c);
	curl_easy_cleanup(c);
	used = peak_mib();
	printf("| point | peak RSS MiB |\n|---|---|\n");
	printf("| dockerup's binary started (libc, cJSON, libseccomp, "
	       "libcap-ng, nettle, zlib) | %.1f |\n",
	    start);
	printf(
	    "| + %s loaded and initialized | %.1f |\n", CURLSO_SONAME, loaded);
	printf("| + one HTTP request | %.1f |\n", used);
	return 0;
}
