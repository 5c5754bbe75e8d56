#ifndef DOCKERUP_HTTPREQ_H
#define DOCKERUP_HTTPREQ_H

/*
 * One libcurl handle set up the way every request dockerup makes to a
 * metadata service or to etcd is: never through a proxy, no redirect,
 * only the protocols allowed, bounded in time, the answer appended to a
 * bounded buf (a larger answer ends the transfer with CURLE_WRITE_ERROR).
 * The caller adds what is its own (method, body, TLS), performs it and
 * cleans it up.
 */
#include <curl/curl.h>

#include "buf.h"

struct http_setup {
	const char *url;
	struct curl_slist *headers; /* may be NULL */
	int https;                  /* https:// allowed besides http:// */
	long timeout_ms;            /* the whole request */
	long connect_ms;            /* its connection */
	struct buf *answer;         /* reset here, then filled */
};

/* Never NULL: a handle libcurl cannot make is fatal. */
CURL *http_handle(const struct http_setup *hs);

#endif
