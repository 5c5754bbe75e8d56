/*
 * libcurl loaded at run time, and a forwarder for each function dockerup
 * calls (see curlso.h for why).
 */
#define CURL_DISABLE_TYPECHECK /* we define curl_easy_setopt() itself */
#include "curlso.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

/*
 * The functions with a fixed argument list: X(name, return type,
 * parameters, arguments); XV for those returning nothing.
 */
#define CURLSO_FIXED(X, XV)                                                    \
	X(curl_global_init, CURLcode, (long flags), (flags))                   \
	XV(curl_global_cleanup, (void), ())                                    \
	X(curl_easy_init, CURL *, (void), ())                                  \
	XV(curl_easy_cleanup, (CURL * c), (c))                                 \
	XV(curl_easy_reset, (CURL * c), (c))                                   \
	X(curl_easy_perform, CURLcode, (CURL * c), (c))                        \
	X(curl_easy_strerror, const char *, (CURLcode e), (e))                 \
	X(curl_easy_escape, char *, (CURL * c, const char *s, int n),          \
	    (c, s, n))                                                         \
	XV(curl_free, (void *p), (p))                                          \
	X(curl_slist_append, struct curl_slist *,                              \
	    (struct curl_slist * l, const char *s), (l, s))                    \
	XV(curl_slist_free_all, (struct curl_slist * l), (l))                  \
	X(curl_multi_init, CURLM *, (void), ())                                \
	X(curl_multi_cleanup, CURLMcode, (CURLM * m), (m))                     \
	X(curl_multi_add_handle, CURLMcode, (CURLM * m, CURL * c), (m, c))     \
	X(curl_multi_remove_handle, CURLMcode, (CURLM * m, CURL * c), (m, c))  \
	X(curl_multi_perform, CURLMcode, (CURLM * m, int *running),            \
	    (m, running))                                                      \
	X(curl_multi_poll, CURLMcode,                                          \
	    (CURLM * m, struct curl_waitfd fds[], unsigned int nfds,           \
		int timeout_ms, int *ret),                                     \
	    (m, fds, nfds, timeout_ms, ret))                                   \
	X(curl_multi_info_read, CURLMsg *, (CURLM * m, int *left), (m, left))

/*
 * The variadic ones, each taking a handle, an option and one argument:
 * X(name, return type, handle type, option type, how the argument is
 * passed on: PASS_BY_OPTION or PASS_POINTER, defined below).
 */
#define CURLSO_VARIADIC(X)                                                     \
	X(curl_easy_setopt, CURLcode, CURL *, CURLoption, PASS_BY_OPTION)      \
	X(curl_easy_getinfo, CURLcode, CURL *, CURLINFO, PASS_POINTER)         \
	X(curl_multi_setopt, CURLMcode, CURLM *, CURLMoption, PASS_BY_OPTION)

/* The loaded library's functions; all NULL until curlso_load(). */
#define FIELD(name, ret, params, args)          ret(*name) params;
#define FIELDV(name, params, args)              void(*name) params;
#define FIELD_VA(name, ret, htype, otype, pass) ret (*name)(htype, otype, ...);
static struct {
	CURLSO_FIXED(FIELD, FIELDV)
	CURLSO_VARIADIC(FIELD_VA)
} fn;
#undef FIELD
#undef FIELDV
#undef FIELD_VA

static void *handle;
static int loaded;

/* A call before the library was loaded: a bug in dockerup. */
static void
missing(const char *name)
{
	fatalx("%s called before libcurl was loaded", name);
}

int
curlso_load(char *err, size_t errlen)
{
	void *h;
	const char *bad = NULL;

	if (loaded)
		return 0;
	/* The uid, so that a test can tell it was loaded after the drop. */
	log_debug(
	    "loading %s as uid %lu", CURLSO_SONAME, (unsigned long)geteuid());
	if ((h = handle) == NULL &&
	    (h = dlopen(CURLSO_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen,
		    "cannot load %s (%s); expected "
		    "libcurl 7.66 or later (Debian: apt-get install libcurl4)",
		    CURLSO_SONAME, dlerror());
		return -1;
	}
	handle = h;
#define LOAD(name, ...)                                                        \
	if (bad == NULL && (*(void **)&fn.name = dlsym(h, #name)) == NULL)     \
		bad = #name;
#define LOADV(name, ...) LOAD(name)
	CURLSO_FIXED(LOAD, LOADV)
	CURLSO_VARIADIC(LOAD)
#undef LOAD
#undef LOADV
	if (bad != NULL) {
		snprintf(err, errlen,
		    "%s has no %s(); expected libcurl 7.66 "
		    "or later",
		    CURLSO_SONAME, bad);
		return -1;
	}
	if (fn.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl's initialization failed");
		return -1;
	}
	loaded = 1;
	return 0;
}

int
curlso_loaded(void)
{
	return loaded;
}

/* The forwarders of the fixed-argument functions. */
#define FORWARD(name, ret, params, args)                                       \
	ret name params                                                        \
	{                                                                      \
		if (fn.name == NULL)                                           \
			missing(#name);                                        \
		return fn.name args;                                           \
	}
#define FORWARDV(name, params, args)                                           \
	void name params                                                       \
	{                                                                      \
		if (fn.name == NULL)                                           \
			missing(#name);                                        \
		fn.name args;                                                  \
	}
CURLSO_FIXED(FORWARD, FORWARDV)
#undef FORWARD
#undef FORWARDV

/*
 * An option's one argument, whose type libcurl derives from the option's
 * number (CURLOPTTYPE_*, shared by easy and multi options): long, object
 * pointer, function pointer, curl_off_t or (from 40000) a blob pointer.
 */
typedef void (*any_fn)(void);

#define PASS_BY_OPTION(f, h, opt, ap)                                          \
	((opt) < CURLOPTTYPE_OBJECTPOINT ? (f)((h), (opt), va_arg(ap, long))   \
		: (opt) < CURLOPTTYPE_FUNCTIONPOINT                            \
		? (f)((h), (opt), va_arg(ap, void *))                          \
		: (opt) < CURLOPTTYPE_OFF_T                                    \
		? (f)((h), (opt), va_arg(ap, any_fn))                          \
		: (opt) < CURLOPTTYPE_BLOB                                     \
		? (f)((h), (opt), va_arg(ap, curl_off_t))                      \
		: (f)((h), (opt), va_arg(ap, void *)))

/* Every CURLINFO_* takes a pointer to where the answer goes. */
#define PASS_POINTER(f, h, opt, ap) (f)((h), (opt), va_arg(ap, void *))

/* The forwarders of the variadic functions. */
#define FORWARD_VA(name, ret, htype, otype, pass)                              \
	ret name(htype h, otype opt, ...)                                      \
	{                                                                      \
		va_list ap;                                                    \
		ret r;                                                         \
                                                                               \
		if (fn.name == NULL)                                           \
			missing(#name);                                        \
		va_start(ap, opt);                                             \
		r = pass(fn.name, h, opt, ap);                                 \
		va_end(ap);                                                    \
		return r;                                                      \
	}
CURLSO_VARIADIC(FORWARD_VA)
#undef FORWARD_VA
