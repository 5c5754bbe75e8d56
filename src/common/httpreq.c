/* One libcurl handle for a metadata service or etcd (httpreq.h). */
#include "httpreq.h"

#include "log.h"

static size_t
append_cb(char *p, size_t size, size_t n, void *arg)
{
	/* Too large: 0 makes curl stop with CURLE_WRITE_ERROR. */
	return buf_append(arg, p, size * n) == -1 ? 0 : size * n;
}

CURL *
http_handle(const struct http_setup *hs)
{
	CURL *h;

	buf_reset(hs->answer);
	if ((h = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	curl_easy_setopt(h, CURLOPT_URL, hs->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs->headers);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, hs->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, hs->connect_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*"); /* never via a proxy */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(
	    h, CURLOPT_PROTOCOLS_STR, hs->https ? "http,https" : "http");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | (hs->https ? CURLPROTO_HTTPS : 0)));
#endif
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, hs->answer);
	return h;
}
