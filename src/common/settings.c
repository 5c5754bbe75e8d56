/*
 * Settings: the command line, the original's key=value settings file,
 * DOCKER_HOST for the endpoint, defaults; in that order of precedence.
 */
#include "settings.h"
#include "suggest.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "log.h"
#include "validate.h"

enum vtype {
	V_PATH,
	V_STR_NAME,
	V_REMOTE,
	V_URL,
	V_BOOL,
	V_INT,
	V_ENUM,
	V_CAPS,  /* comma-separated capability names */
	V_PATHS, /* comma-separated absolute paths */
	V_HOSTS, /* comma-separated registry hosts, HOST[:PORT] */
};

/* One setting, as a file key and a long option. */
struct setting_desc {
	const char *key; /* file key, '_' form */
	enum settings_key sk;
	enum vtype type;
	int min, max; /* V_INT bounds */
};

static const struct setting_desc descs[] = {
	{ "cache", SK_CACHE, V_PATH, 0, 0 },
	{ "confdir", SK_CONFDIR, V_PATH, 0, 0 },
	{ "remote", SK_REMOTE, V_REMOTE, 0, 0 },
	{ "aws", SK_AWS, V_BOOL, 0, 0 },
	{ "imds", SK_IMDS, V_URL, 0, 0 },
	{ "imds_v1", SK_IMDS_V1, V_BOOL, 0, 0 },
	{ "pull", SK_PULL, V_BOOL, 0, 0 },
	{ "server", SK_MODE, V_BOOL, 0, 0 },
	{ "interval", SK_INTERVAL, V_INT, 1, 86400 },
	{ "user", SK_USER, V_STR_NAME, 0, 0 },
	{ "verbose", SK_VERBOSE, V_BOOL, 0, 0 },
	{ "registry_auth", SK_REGISTRY_AUTH, V_PATH, 0, 0 },
	{ "orphans", SK_ORPHANS, V_ENUM, 0, 0 },
	{ "ready_timeout", SK_READY_TIMEOUT, V_INT, 1, 3600 },
	{ "self_id", SK_SELF_ID, V_STR_NAME, 0, 0 },
	{ "seccomp", SK_SECCOMP, V_ENUM, 0, 0 },
	{ "lock_wait", SK_LOCK_WAIT, V_INT, 0, 3600 },
	{ "log_format", SK_LOG_FORMAT, V_ENUM, 0, 0 },
	{ "syslog", SK_SYSLOG, V_BOOL, 0, 0 },
	{ "metrics_file", SK_METRICS_FILE, V_PATH, 0, 0 },
	{ "seccomp_dir", SK_SECCOMP_DIR, V_PATH, 0, 0 },
	{ "seccomp_allow_permissive", SK_SECCOMP_ALLOW_PERMISSIVE, V_BOOL, 0,
	    0 },
	{ "status_group", SK_STATUS_GROUP, V_STR_NAME, 0, 0 },
	{ "allow_insecure_tcp", SK_ALLOW_INSECURE_TCP, V_BOOL, 0, 0 },
	/* The trust policy of remote sources: settings file only. */
	{ "userdata_allow_privileged", SK_UD_PRIVILEGED, V_BOOL, 0, 0 },
	{ "userdata_allow_host_network", SK_UD_HOST_NETWORK, V_BOOL, 0, 0 },
	{ "userdata_allow_unconfined", SK_UD_UNCONFINED, V_BOOL, 0, 0 },
	{ "userdata_require_digest", SK_UD_REQUIRE_DIGEST, V_BOOL, 0, 0 },
	{ "userdata_cap_add", SK_UD_CAP_ADD, V_CAPS, 0, 0 },
	{ "userdata_host_paths", SK_UD_HOST_PATHS, V_PATHS, 0, 0 },
	{ "userdata_registries", SK_UD_REGISTRIES, V_HOSTS, 0, 0 },
};

#define NDESCS (sizeof(descs) / sizeof(descs[0]))

/* Options of the command line only, refused in the settings file. */
static const char *const cmdline_only[] = {
	"config",
	"no_aws",
	"no_pull",
	"dry_run",
	"check",
	"help",
	"version",
	"format",
	"confirm_removals",
};

enum long_only {
	OPT_CACHE = 256,
	OPT_CONFDIR,
	OPT_REMOTE,
	OPT_AWS,
	OPT_NO_AWS,
	OPT_IMDS,
	OPT_IMDS_V1,
	OPT_PULL,
	OPT_NO_PULL,
	OPT_SERVER,
	OPT_INTERVAL,
	OPT_USER,
	OPT_DRY_RUN,
	OPT_CHECK,
	OPT_VERSION,
	OPT_REGISTRY_AUTH,
	OPT_ORPHANS,
	OPT_READY_TIMEOUT,
	OPT_LOCK_WAIT,
	OPT_SECCOMP,
	OPT_SELF_ID,
	OPT_LOG_FORMAT,
	OPT_SYSLOG,
	OPT_METRICS_FILE,
	OPT_FORMAT,
	OPT_SECCOMP_DIR,
	OPT_SECCOMP_ALLOW_PERMISSIVE,
	OPT_CONFIRM_REMOVALS,
	OPT_STATUS_GROUP,
	OPT_ALLOW_INSECURE_TCP,
};

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "confdir", required_argument, NULL, OPT_CONFDIR },
	{ "remote", required_argument, NULL, OPT_REMOTE },
	{ "aws", optional_argument, NULL, OPT_AWS },
	{ "no-aws", no_argument, NULL, OPT_NO_AWS },
	{ "imds", required_argument, NULL, OPT_IMDS },
	{ "imds-v1", optional_argument, NULL, OPT_IMDS_V1 },
	{ "pull", optional_argument, NULL, OPT_PULL },
	{ "no-pull", no_argument, NULL, OPT_NO_PULL },
	{ "server", no_argument, NULL, OPT_SERVER },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "user", required_argument, NULL, OPT_USER },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "registry-auth", required_argument, NULL, OPT_REGISTRY_AUTH },
	{ "orphans", required_argument, NULL, OPT_ORPHANS },
	{ "ready-timeout", required_argument, NULL, OPT_READY_TIMEOUT },
	{ "lock-wait", required_argument, NULL, OPT_LOCK_WAIT },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "self-id", required_argument, NULL, OPT_SELF_ID },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "syslog", optional_argument, NULL, OPT_SYSLOG },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "seccomp-dir", required_argument, NULL, OPT_SECCOMP_DIR },
	{ "seccomp-allow-permissive", optional_argument, NULL,
	    OPT_SECCOMP_ALLOW_PERMISSIVE },
	{ "confirm-removals", no_argument, NULL, OPT_CONFIRM_REMOVALS },
	{ "status-group", required_argument, NULL, OPT_STATUS_GROUP },
	{ "allow-insecure-tcp", optional_argument, NULL,
	    OPT_ALLOW_INSECURE_TCP },
	{ NULL, 0, NULL, 0 },
};

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

static void
replace(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

void
settings_init(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	s->config = xstrdup(DEFAULT_CONFIG);
	s->cache = xstrdup(DEFAULT_CACHE);
	s->confdir = xstrdup(DEFAULT_CONFDIR);
	s->remote = xstrdup(DEFAULT_REMOTE);
	s->imds = xstrdup(DEFAULT_IMDS);
	s->user = xstrdup(DEFAULT_USER);
	s->seccomp_dir = xstrdup(DEFAULT_SECCOMP_DIR);
	s->pull = 1;
	s->mode = MODE_RUN;
	s->interval = DEFAULT_INTERVAL;
	s->orphans = ORPHANS_ALL;
	s->ready_timeout = DEFAULT_READY_TIMEOUT;
	s->seccomp = SECCOMP_ON;
	s->lock_wait = LOCK_WAIT_DEFAULT_S;
	s->log_format = LOGFMT_TEXT;
	s->format = OUTPUT_TEXT;
}

void
settings_free(struct settings *s)
{
	free(s->config);
	free(s->cache);
	free(s->confdir);
	free(s->remote);
	free(s->imds);
	free(s->user);
	free(s->registry_auth);
	free(s->self_id);
	free(s->metrics_file);
	free(s->seccomp_dir);
	free(s->status_group);
	free(s->policy.cap_add);
	free(s->policy.host_paths);
	free(s->policy.registries);
	memset(s, 0, sizeof(*s));
}

static int
valid_host(const char *h, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	if (h[0] == '[')
		return n > 2 && h[n - 1] == ']' &&
		    strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-')
			return 0;
	return 1;
}

/* "host:port" with an optional trailing '/'; NULL when invalid. */
static char *
normalize_hostport(const char *scheme, const char *hp, int need_port)
{
	size_t n = strlen(hp);
	const char *colon;
	char *out;

	if (n > 0 && hp[n - 1] == '/')
		n--;
	colon = NULL;
	for (size_t i = n; i > 0; i--)
		if (hp[i - 1] == ':') {
			colon = hp + i - 1;
			break;
		}
	if (colon != NULL && memchr(colon, ']', (size_t)(hp + n - colon)))
		colon = NULL; /* a ':' inside an IPv6 literal */
	if (colon == NULL) {
		if (need_port || !valid_host(hp, n))
			return NULL;
	} else {
		size_t pl = (size_t)(hp + n - colon - 1);
		long port = 0;
		if (pl == 0 || pl > 5 || !valid_host(hp, (size_t)(colon - hp)))
			return NULL;
		for (size_t i = 0; i < pl; i++) {
			if (!isdigit((unsigned char)colon[1 + i]))
				return NULL;
			port = port * 10 + (colon[1 + i] - '0');
		}
		if (port < 1 || port > 65535)
			return NULL;
	}
	if (asprintf(&out, "%s%.*s", scheme, (int)n, hp) == -1)
		fatal("asprintf");
	return out;
}

char *
settings_normalize_remote(const char *url, const char **err)
{
	char *out;

	*err = NULL;
	if (strncmp(url, "unix://", 7) == 0) {
		const char *p = url + 7;
		/* The original's unix://var/run/docker.sock lacks a slash. */
		if (asprintf(&out, "unix://%s%s", p[0] == '/' ? "" : "/", p) ==
		    -1)
			fatal("asprintf");
		if (p[0] == '\0' || !valid_abs_path(out + 7)) {
			free(out);
			*err = "expected unix:///ABSOLUTE/PATH without \"..\"";
			return NULL;
		}
		return out;
	}
	if (strncmp(url, "tcp://", 6) == 0) {
		if ((out = normalize_hostport("tcp://", url + 6, 1)) == NULL)
			*err = "expected tcp://HOST:PORT";
		return out;
	}
	*err = "expected unix:///PATH, unix://PATH (the original's form) or "
	       "tcp://HOST:PORT";
	return NULL;
}

static int
parse_bool(const char *v, int *out)
{
	static const char *const t[] = { "true", "yes", "1", "on" };
	static const char *const f[] = { "false", "no", "0", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, t[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(v, f[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static int
parse_int(const char *v, int min, int max, int *out)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = (int)n;
	return 0;
}

static int
valid_word(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 64 || (!isalnum((unsigned char)v[0]) && v[0] != '_'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_' &&
		    v[i] != '.' && v[i] != '-')
			return 0;
	return 1;
}

static int
set_enum(struct settings *s, enum settings_key sk, const char *v)
{
	if (sk == SK_ORPHANS) {
		if (strcmp(v, "all") == 0)
			s->orphans = ORPHANS_ALL;
		else if (strcmp(v, "managed") == 0)
			s->orphans = ORPHANS_MANAGED;
		else
			return -1;
		return 0;
	}
	if (sk == SK_LOG_FORMAT || sk == SK_FORMAT) {
		int json = strcmp(v, "json") == 0;
		if (!json && strcmp(v, "text") != 0)
			return -1;
		if (sk == SK_LOG_FORMAT)
			s->log_format = json ? LOGFMT_JSON : LOGFMT_TEXT;
		else
			s->format = json ? OUTPUT_JSON : OUTPUT_TEXT;
		return 0;
	}
	if (strcmp(v, "on") == 0)
		s->seccomp = SECCOMP_ON;
	else if (strcmp(v, "trap") == 0)
		s->seccomp = SECCOMP_TRAP;
	else if (strcmp(v, "off") == 0)
		s->seccomp = SECCOMP_OFF;
	else
		return -1;
	return 0;
}

static const char *
expected(const struct setting_desc *d)
{
	switch (d->type) {
	case V_PATH:
		return "expected an absolute path without \"..\"";
	case V_STR_NAME:
		return "expected a name of letters, digits, '_', '.' or '-'";
	case V_REMOTE:
		return "expected unix:///PATH, unix://PATH or tcp://HOST:PORT";
	case V_URL:
		return "expected http://HOST[:PORT]";
	case V_BOOL:
		return "expected true, false, yes, no, 1 or 0";
	case V_INT:
		return "expected a whole number in range";
	case V_CAPS:
		return "expected capability names separated by commas, such "
		       "as NET_ADMIN,SYS_TIME (ALL only if listed)";
	case V_PATHS:
		return "expected absolute paths without \"..\" separated by "
		       "commas";
	case V_HOSTS:
		return "expected registry hosts (HOST or HOST:PORT) separated "
		       "by commas";
	case V_ENUM:
		if (d->sk == SK_LOG_FORMAT || d->sk == SK_FORMAT)
			return "expected text or json";
		return d->sk == SK_ORPHANS ? "expected all or managed"
					   : "expected on, trap or off";
	}
	return "";
}

static char *trim(char *p, char *end);

static int
valid_list_item(enum vtype t, const char *item)
{
	switch (t) {
	case V_CAPS:
		return valid_capability(item) &&
		    strncmp(item, "CAP_", 4) != 0 &&
		    strspn(item, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == strlen(item);
	case V_PATHS:
		return valid_abs_path(item) && strchr(item, ':') == NULL;
	default:
		return valid_host(item, strcspn(item, ":")) &&
		    (item[strcspn(item, ":")] == '\0' ||
			(strspn(item + strcspn(item, ":") + 1, "0123456789") ==
				strlen(item + strcspn(item, ":") + 1) &&
			    item[strcspn(item, ":") + 1] != '\0'));
	}
}

/*
 * A comma-separated list, items trimmed and checked; "" (nothing listed)
 * is allowed and gives an empty string.  NULL when an item is invalid.
 */
static char *
normalize_list(enum vtype t, const char *v)
{
	char *copy = xstrdup(v), *out = calloc(1, strlen(v) + 1), *save = NULL;
	size_t len = 0;

	if (out == NULL)
		fatal("calloc");
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *item = trim(tok, tok + strlen(tok));
		if (item[0] == '\0')
			continue;
		if (!valid_list_item(t, item)) {
			free(copy);
			free(out);
			return NULL;
		}
		len += (size_t)sprintf(out + len, "%s%s", len ? "," : "", item);
	}
	free(copy);
	return out;
}

static int
set_string(char **dst, const struct setting_desc *d, const char *v)
{
	char *n = NULL;
	const char *err;

	switch (d->type) {
	case V_PATH:
		if (!valid_abs_path(v))
			return -1;
		n = xstrdup(v);
		break;
	case V_STR_NAME:
		if (!valid_word(v))
			return -1;
		n = xstrdup(v);
		break;
	case V_REMOTE:
		if ((n = settings_normalize_remote(v, &err)) == NULL)
			return -1;
		break;
	case V_URL:
		if (strncmp(v, "http://", 7) != 0 ||
		    (n = normalize_hostport("http://", v + 7, 0)) == NULL)
			return -1;
		break;
	case V_CAPS:
	case V_PATHS:
	case V_HOSTS:
		if ((n = normalize_list(d->type, v)) == NULL)
			return -1;
		break;
	default:
		return -1;
	}
	replace(dst, n);
	return 0;
}

static char **
string_field(struct settings *s, enum settings_key sk)
{
	switch (sk) {
	case SK_CACHE:
		return &s->cache;
	case SK_CONFDIR:
		return &s->confdir;
	case SK_REMOTE:
		return &s->remote;
	case SK_IMDS:
		return &s->imds;
	case SK_USER:
		return &s->user;
	case SK_REGISTRY_AUTH:
		return &s->registry_auth;
	case SK_SELF_ID:
		return &s->self_id;
	case SK_METRICS_FILE:
		return &s->metrics_file;
	case SK_SECCOMP_DIR:
		return &s->seccomp_dir;
	case SK_STATUS_GROUP:
		return &s->status_group;
	case SK_UD_CAP_ADD:
		return &s->policy.cap_add;
	case SK_UD_HOST_PATHS:
		return &s->policy.host_paths;
	case SK_UD_REGISTRIES:
		return &s->policy.registries;
	default:
		return NULL;
	}
}

static int *
int_field(struct settings *s, enum settings_key sk)
{
	switch (sk) {
	case SK_AWS:
		return &s->aws;
	case SK_IMDS_V1:
		return &s->imds_v1;
	case SK_PULL:
		return &s->pull;
	case SK_VERBOSE:
		return &s->verbose;
	case SK_INTERVAL:
		return &s->interval;
	case SK_READY_TIMEOUT:
		return &s->ready_timeout;
	case SK_LOCK_WAIT:
		return &s->lock_wait;
	case SK_SYSLOG:
		return &s->syslog;
	case SK_SECCOMP_ALLOW_PERMISSIVE:
		return &s->seccomp_allow_permissive;
	case SK_ALLOW_INSECURE_TCP:
		return &s->allow_insecure_tcp;
	case SK_UD_PRIVILEGED:
		return &s->policy.allow_privileged;
	case SK_UD_HOST_NETWORK:
		return &s->policy.allow_host_network;
	case SK_UD_UNCONFINED:
		return &s->policy.allow_unconfined;
	case SK_UD_REQUIRE_DIGEST:
		return &s->policy.require_digest;
	default:
		return NULL;
	}
}

/* Sets one value from either source; -1 when invalid. */
static int
set_value(struct settings *s, const struct setting_desc *d, const char *v)
{
	int b;

	switch (d->type) {
	case V_BOOL:
		if (parse_bool(v, &b) == -1)
			return -1;
		if (d->sk == SK_MODE)
			s->mode = b ? MODE_SERVER : MODE_RUN;
		else
			*int_field(s, d->sk) = b;
		return 0;
	case V_INT:
		return parse_int(v, d->min, d->max, int_field(s, d->sk));
	case V_ENUM:
		return set_enum(s, d->sk, v);
	default:
		return set_string(string_field(s, d->sk), d, v);
	}
}

/* --format is of the command line only, so it has no file key. */
static const struct setting_desc format_desc = { "format", SK_FORMAT, V_ENUM, 0,
	0 };

static const struct setting_desc *
find_desc(enum settings_key sk)
{
	if (sk == SK_FORMAT)
		return &format_desc;
	for (size_t i = 0; i < NDESCS; i++)
		if (descs[i].sk == sk && descs[i].type != V_BOOL)
			return &descs[i];
	return NULL;
}

/* A value safe to repeat in a message: printable, cut short. */
static void
excerpt(const char *v, char *out, size_t outlen)
{
	size_t j = 0;

	for (size_t i = 0; v[i] != '\0' && j + 4 < outlen && i < 60; i++)
		out[j++] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
	if (strlen(v) > 60 && j + 4 < outlen)
		out[j++] = '.', out[j++] = '.', out[j++] = '.';
	out[j] = '\0';
}

static void
bad_value(struct errlist *errs, const char *where, const char *key,
    const struct setting_desc *d, const char *v)
{
	char ex[80];

	excerpt(v, ex, sizeof(ex));
	if (d->type == V_INT)
		errlist_add(errs, where, key,
		    "\"%s\" is not valid; expected "
		    "a whole number from %d to %d",
		    ex, d->min, d->max);
	else
		errlist_add(errs, where, key, "\"%s\" is not valid; %s", ex,
		    expected(d));
}

static char *
trim(char *p, char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return p;
}

static const struct setting_desc *
find_key(const char *key)
{
	for (size_t i = 0; i < NDESCS; i++)
		if (strcmp(descs[i].key, key) == 0)
			return &descs[i];
	return NULL;
}

static void
unknown_key(struct errlist *errs, const char *where, const char *key)
{
	const char *best = NULL;
	size_t bestd = 3;
	char ex[80];

	for (size_t i = 0; i < NDESCS; i++) {
		size_t dist = edit_distance(key, descs[i].key);
		if (dist < bestd)
			bestd = dist, best = descs[i].key;
	}
	excerpt(key, ex, sizeof(ex));
	for (size_t i = 0; i < sizeof(cmdline_only) / sizeof(*cmdline_only);
	     i++)
		if (strcmp(key, cmdline_only[i]) == 0) {
			errlist_add(errs, where, ex,
			    "is a command-line option "
			    "only; expected a settings file key");
			return;
		}
	if (best != NULL)
		errlist_add(
		    errs, where, ex, "unknown key; did you mean %s?", best);
	else {
		/* Every key of the table, so the list cannot drift. */
		struct buf keys;
		buf_init(&keys, MAX_SETTINGS_LINE);
		for (size_t i = 0; i < NDESCS; i++)
			buf_printf(&keys, "%s%s", i ? ", " : "", descs[i].key);
		errlist_add(errs, where, ex, "unknown key; expected one of %s",
		    buf_cstr(&keys));
		buf_free(&keys);
	}
}

static void
parse_line(struct settings *s, const char *where, char *line,
    uint64_t cmdline_set, uint64_t *file_set, struct errlist *errs)
{
	char *eq, *key, *val;
	const struct setting_desc *d;

	line = trim(line, line + strlen(line));
	if (line[0] == '\0' || line[0] == ';' || line[0] == '#')
		return;
	if ((eq = strchr(line, '=')) == NULL) {
		errlist_add(errs, where, "",
		    "no '=' in line; expected "
		    "key=value, a comment starting with ';' or '#', or a "
		    "blank line");
		return;
	}
	val = trim(eq + 1, eq + 1 + strlen(eq + 1));
	key = trim(line, eq);
	for (char *p = key; *p; p++)
		*p = *p == '-' ? '_' : (char)tolower((unsigned char)*p);
	if ((d = find_key(key)) == NULL) {
		unknown_key(errs, where, key);
		return;
	}
	if (*file_set & SETTING_BIT(d->sk)) {
		errlist_add(errs, where, key,
		    "is set twice; expected each key "
		    "once");
		return;
	}
	*file_set |= SETTING_BIT(d->sk);
	/* Validate even when the command line wins, then keep its value. */
	struct settings scratch;
	settings_init(&scratch);
	if (set_value(&scratch, d, val) == -1)
		bad_value(errs, where, key, d, val);
	else if (!(cmdline_set & SETTING_BIT(d->sk)))
		(void)set_value(s, d, val);
	settings_free(&scratch);
}

static int
settings_parse_file_mask(struct settings *s, const char *path, const char *data,
    size_t len, uint64_t cmdline_set, uint64_t *file_set, struct errlist *errs)
{
	char where[1100], line[MAX_SETTINGS_LINE + 1];
	size_t before = errs->n, lineno = 0, i = 0;

	if (len > MAX_SETTINGS_SIZE) {
		errlist_add(errs, path, "", "is %zu bytes; expected at most %d",
		    len, MAX_SETTINGS_SIZE);
		return -1;
	}
	if (memchr(data, '\0', len) != NULL || !valid_utf8(data, len)) {
		errlist_add(errs, path, "",
		    "is not text (a NUL byte or bad "
		    "UTF-8); expected key=value lines");
		return -1;
	}
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
		lineno++;
		snprintf(where, sizeof(where), "%s:%zu", path, lineno);
		if (n > MAX_SETTINGS_LINE) {
			errlist_add(errs, where, "",
			    "line is %zu bytes; "
			    "expected at most %d",
			    n, MAX_SETTINGS_LINE);
		} else {
			memcpy(line, data + i, n);
			line[n] = '\0';
			parse_line(s, where, line, cmdline_set, file_set, errs);
		}
		i += n + 1;
	}
	return errs->n == before ? 0 : -1;
}

int
settings_parse_file(struct settings *s, const char *path, const char *data,
    size_t len, const uint64_t *cmdline_set, struct errlist *errs)
{
	uint64_t file_set = 0;

	return settings_parse_file_mask(s, path, data, len,
	    cmdline_set ? *cmdline_set : 0, &file_set, errs);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: dockerup [OPTIONS]\n"
	    "       dockerup status [--format text|json] [--cache DIR] "
	    "[--config FILE]\n"
	    "Keeps this host's Docker containers equal to the declared "
	    "definitions.\n"
	    "\n"
	    "  -c, --config FILE        settings file (default " DEFAULT_CONFIG
	    ")\n"
	    "      --cache DIR          state directory (default " DEFAULT_CACHE
	    ")\n"
	    "      --confdir DIR        container definitions "
	    "(default " DEFAULT_CONFDIR ")\n"
	    "      --remote URL         Docker endpoint: unix:///PATH or "
	    "tcp://HOST:PORT\n"
	    "                           (default DOCKER_HOST, "
	    "else " DEFAULT_REMOTE ");\n"
	    "                           tcp:// needs TLS (DOCKER_TLS_VERIFY, "
	    "DOCKER_CERT_PATH)\n"
	    "      --allow-insecure-tcp[=BOOL]  allow tcp:// without TLS "
	    "(registry\n"
	    "                           credentials are still never sent over "
	    "it)\n"
	    "      --aws[=BOOL], --no-aws  also read EC2 user-data (default "
	    "off)\n"
	    "      --imds URL           instance metadata endpoint "
	    "(default " DEFAULT_IMDS ")\n"
	    "      --imds-v1[=BOOL]     allow IMDSv1 (no session token) when "
	    "the\n"
	    "                           metadata service refuses tokens "
	    "(default off)\n"
	    "      --pull[=BOOL], --no-pull  pull images to look for updates\n"
	    "                           (default on)\n"
	    "      --server             keep running: reconcile every "
	    "--interval,\n"
	    "                           within 1 s of a change in --confdir "
	    "and on\n"
	    "                           SIGHUP (default: one run, then exit)\n"
	    "      --interval SECS      seconds between runs with --server "
	    "(default %d),\n"
	    "                           plus 0-10%% jitter (at most 30 s); "
	    "doubled\n"
	    "                           after each failed run while the Docker "
	    "engine\n"
	    "                           or a registry fails (up to 1 h; 120 s "
	    "at\n"
	    "                           least after a registry's 429)\n"
	    "      --user NAME          account of the unprivileged fetcher "
	    "(default " DEFAULT_USER ")\n"
	    "      --dry-run            print what would be done, change "
	    "nothing\n"
	    "      --check              validate every source, print every "
	    "problem\n"
	    "      --registry-auth FILE registry credentials: config.json or "
	    ".dockercfg\n"
	    "                           (default DOCKER_CONFIG or "
	    "~/.docker/config.json)\n"
	    "      --orphans all|managed  remove every undeclared container, "
	    "or only\n"
	    "                           those dockerup created (default all)\n"
	    "      --ready-timeout SECS readiness wait of a self-upgrade "
	    "(default %d)\n"
	    "      --lock-wait SECS     wait for the single-instance lock "
	    "(default %d)\n"
	    "      --seccomp on|trap|off  system call filters (default on)\n"
	    "      --seccomp-dir DIR    containers' seccomp profiles: "
	    "seccomp=NAME reads\n"
	    "                           DIR/NAME.json "
	    "(default " DEFAULT_SECCOMP_DIR ")\n"
	    "      --seccomp-allow-permissive[=BOOL]  accept a profile that "
	    "allows\n"
	    "                           every call (default off)\n"
	    "      --self-id ID         our own container ID or name (default: "
	    "found\n"
	    "                           from /proc/self)\n"
	    "      --log-format text|json  log lines for people, or JSON for "
	    "shippers\n"
	    "      --syslog[=BOOL]      log to syslog (/dev/log) instead of "
	    "stderr\n"
	    "      --metrics-file FILE  Prometheus textfile written after "
	    "every run\n"
	    "      --status-group NAME  group that may read status.json and "
	    "the metrics\n"
	    "                           file (default none: 0640 root:root)\n"
	    "      --format text|json   the plan of --dry-run as lines or as "
	    "JSON\n"
	    "      --confirm-removals   let the first run remove more than "
	    "half "
	    "of the\n"
	    "                           running containers (the mass-removal "
	    "brake)\n"
	    "  -v, --verbose            more logging (repeat for debug)\n"
	    "  -h, --help               this text\n"
	    "      --version            print the version\n"
	    "\n"
	    "Settings file keys are the long option names (confdir=, remote=, "
	    "aws=,\n"
	    "pull=, interval=, registry_auth=...); booleans are "
	    "true/false/yes/no/1/0.\n"
	    "Exit status: 0 all good, 1 something failed, 2 usage or invalid "
	    "configuration.\n"
	    "Signals: SIGHUP reloads and runs at once; SIGTERM, SIGINT stop "
	    "gracefully.\n"
	    "See dockerup(8) for options, signals, files, environment and exit "
	    "status,\n"
	    "dockerup.conf(5) for every settings key and container definition "
	    "field.\n",
	    DEFAULT_INTERVAL, DEFAULT_READY_TIMEOUT, LOCK_WAIT_DEFAULT_S);
}

static int
read_settings_file(const char *path, char **data, size_t *len, int *err)
{
	int fd;
	ssize_t n;
	size_t cap = MAX_SETTINGS_SIZE + 1, got = 0;
	struct stat st;

	memset(&st, 0, sizeof(st));
	errno = 0;
	*data = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		*err = errno;
		return -1;
	}
	/* A regular file, or a device such as /dev/null. */
	if (fstat(fd, &st) == -1 ||
	    !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) {
		*err = errno;
		if (*err == 0)
			*err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		return -1;
	}
	if ((*data = malloc(cap)) == NULL)
		fatal("malloc");
	while (got < cap && (n = read(fd, *data + got, cap - got)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			*err = errno;
			close(fd);
			free(*data);
			*data = NULL;
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
}

static void
load_file(struct settings *s, uint64_t cmdline_set, uint64_t *file_set,
    struct errlist *errs)
{
	char *data;
	size_t len;
	int err = 0;

	if (read_settings_file(s->config, &data, &len, &err) == -1) {
		if (err == ENOENT && !s->config_explicit)
			return;
		errlist_add(errs, s->config, "",
		    "cannot read: %s; expected a "
		    "readable settings file",
		    strerror(err));
		return;
	}
	(void)settings_parse_file_mask(
	    s, s->config, data, len, cmdline_set, file_set, errs);
	free(data);
}

static void
load_environment(struct settings *s, uint64_t set, struct errlist *errs)
{
	const char *dh = getenv("DOCKER_HOST"), *err;
	char *n;

	if (set & SETTING_BIT(SK_REMOTE) || dh == NULL || dh[0] == '\0')
		return;
	if ((n = settings_normalize_remote(dh, &err)) == NULL) {
		errlist_add(errs, "environment", "DOCKER_HOST",
		    "is not a "
		    "valid endpoint; %s",
		    err);
		return;
	}
	replace(&s->remote, n);
}

static void
cmdline_value(struct settings *s, enum settings_key sk, const char *opt,
    const char *v, uint64_t *set, struct errlist *errs)
{
	const struct setting_desc *d = find_desc(sk);

	if (set_value(s, d, v) == -1)
		bad_value(errs, "command line", opt, d, v);
	*set |= SETTING_BIT(sk);
}

/* --aws and --pull take an optional value: --pull=false. */
static void
cmdline_bool(int *v, const char *opt, const char *arg, struct errlist *errs)
{
	char ex[80];

	if (arg == NULL || parse_bool(arg, v) == 0)
		return;
	excerpt(arg, ex, sizeof(ex));
	errlist_add(errs, "command line", opt,
	    "\"%s\" is not valid; expected "
	    "true, false, yes, no, 1 or 0",
	    ex);
}

static void
cmdline_mode(struct settings *s, enum run_mode m, int *nmodes, uint64_t *set)
{
	if (s->mode != m || !(*set & SETTING_BIT(SK_MODE)))
		(*nmodes)++;
	s->mode = m;
	*set |= SETTING_BIT(SK_MODE);
}

/* Returns 1 after --help or --version, 0 otherwise. */
static int
parse_argv(struct settings *s, int argc, char *argv[], uint64_t *set,
    struct errlist *errs)
{
	int ch, nmodes = 0, done = 0;
	char opt[64];

	optind = 0; /* glibc: start over, so that tests may call again */
	opterr = 0;
	for (;;) {
		int li = -1;
		ch = getopt_long(argc, argv, ":c:vh", longopts, &li);
		if (ch == -1)
			break;
		if (li >= 0)
			snprintf(opt, sizeof(opt), "--%s", longopts[li].name);
		else if (ch != ':' && ch != '?')
			snprintf(opt, sizeof(opt), "-%c", ch);
		else {
			const char *arg = argv[optind - 1];
			snprintf(opt, sizeof(opt), "%.40s", arg ? arg : "?");
			if (strchr(opt, '=') != NULL)
				*strchr(opt, '=') = '\0';
		}
		switch (ch) {
		case 'c':
			replace(&s->config, xstrdup(optarg));
			s->config_explicit = 1;
			break;
		case 'v':
			s->verbose++;
			*set |= SETTING_BIT(SK_VERBOSE);
			break;
		case 'h':
			usage(stdout);
			done = 1;
			break;
		case OPT_VERSION:
			printf("dockerup %s\n", DOCKERUP_VERSION);
			done = 1;
			break;
		case OPT_AWS:
		case OPT_NO_AWS:
			s->aws = ch == OPT_AWS;
			cmdline_bool(&s->aws, opt, optarg, errs);
			*set |= SETTING_BIT(SK_AWS);
			break;
		case OPT_PULL:
		case OPT_NO_PULL:
			s->pull = ch == OPT_PULL;
			cmdline_bool(&s->pull, opt, optarg, errs);
			*set |= SETTING_BIT(SK_PULL);
			break;
		case OPT_SERVER:
			cmdline_mode(s, MODE_SERVER, &nmodes, set);
			break;
		case OPT_DRY_RUN:
			cmdline_mode(s, MODE_DRY_RUN, &nmodes, set);
			break;
		case OPT_CHECK:
			cmdline_mode(s, MODE_CHECK, &nmodes, set);
			break;
		case OPT_CACHE:
			cmdline_value(s, SK_CACHE, opt, optarg, set, errs);
			break;
		case OPT_CONFDIR:
			cmdline_value(s, SK_CONFDIR, opt, optarg, set, errs);
			break;
		case OPT_REMOTE:
			cmdline_value(s, SK_REMOTE, opt, optarg, set, errs);
			break;
		case OPT_IMDS:
			cmdline_value(s, SK_IMDS, opt, optarg, set, errs);
			break;
		case OPT_INTERVAL:
			cmdline_value(s, SK_INTERVAL, opt, optarg, set, errs);
			break;
		case OPT_USER:
			cmdline_value(s, SK_USER, opt, optarg, set, errs);
			break;
		case OPT_REGISTRY_AUTH:
			cmdline_value(
			    s, SK_REGISTRY_AUTH, opt, optarg, set, errs);
			break;
		case OPT_ORPHANS:
			cmdline_value(s, SK_ORPHANS, opt, optarg, set, errs);
			break;
		case OPT_READY_TIMEOUT:
			cmdline_value(
			    s, SK_READY_TIMEOUT, opt, optarg, set, errs);
			break;
		case OPT_LOCK_WAIT:
			cmdline_value(s, SK_LOCK_WAIT, opt, optarg, set, errs);
			break;
		case OPT_SECCOMP:
			cmdline_value(s, SK_SECCOMP, opt, optarg, set, errs);
			break;
		case OPT_SELF_ID:
			cmdline_value(s, SK_SELF_ID, opt, optarg, set, errs);
			break;
		case OPT_LOG_FORMAT:
			cmdline_value(s, SK_LOG_FORMAT, opt, optarg, set, errs);
			break;
		case OPT_SYSLOG:
			s->syslog = 1;
			cmdline_bool(&s->syslog, opt, optarg, errs);
			*set |= SETTING_BIT(SK_SYSLOG);
			break;
		case OPT_IMDS_V1:
			s->imds_v1 = 1;
			cmdline_bool(&s->imds_v1, opt, optarg, errs);
			*set |= SETTING_BIT(SK_IMDS_V1);
			break;
		case OPT_METRICS_FILE:
			cmdline_value(
			    s, SK_METRICS_FILE, opt, optarg, set, errs);
			break;
		case OPT_FORMAT:
			cmdline_value(s, SK_FORMAT, opt, optarg, set, errs);
			break;
		case OPT_SECCOMP_DIR:
			cmdline_value(
			    s, SK_SECCOMP_DIR, opt, optarg, set, errs);
			break;
		case OPT_SECCOMP_ALLOW_PERMISSIVE:
			s->seccomp_allow_permissive = 1;
			cmdline_bool(
			    &s->seccomp_allow_permissive, opt, optarg, errs);
			*set |= SETTING_BIT(SK_SECCOMP_ALLOW_PERMISSIVE);
			break;
		case OPT_ALLOW_INSECURE_TCP:
			s->allow_insecure_tcp = 1;
			cmdline_bool(&s->allow_insecure_tcp, opt, optarg, errs);
			*set |= SETTING_BIT(SK_ALLOW_INSECURE_TCP);
			break;
		case OPT_STATUS_GROUP:
			cmdline_value(
			    s, SK_STATUS_GROUP, opt, optarg, set, errs);
			break;
		case OPT_CONFIRM_REMOVALS:
			s->confirm_removals = 1;
			*set |= SETTING_BIT(SK_CONFIRM_REMOVALS);
			break;
		case ':':
			errlist_add(errs, "command line", opt,
			    "needs a value; "
			    "see dockerup --help");
			break;
		default:
			if (optopt != 0 && optopt < 256)
				snprintf(opt, sizeof(opt), "-%c", optopt);
			errlist_add(errs, "command line", opt,
			    "unknown option; see dockerup --help");
			break;
		}
	}
	for (int i = optind; i < argc; i++)
		errlist_add(errs, "command line", "",
		    "unexpected argument "
		    "\"%.40s\"; dockerup takes options only",
		    argv[i]);
	if (nmodes > 1)
		errlist_add(errs, "command line", "",
		    "--server, --dry-run and "
		    "--check exclude each other; expected at most one");
	return done;
}

/* --format shapes the plan of --dry-run (and `dockerup status`) only. */
static void
check_format(const struct settings *s, uint64_t set, struct errlist *errs)
{
	if ((set & SETTING_BIT(SK_FORMAT)) && s->mode != MODE_DRY_RUN)
		errlist_add(errs, "command line", "--format",
		    "applies to the "
		    "plan only; expected it with --dry-run (or after "
		    "`dockerup status`)");
}

int
settings_tls_from_env(void)
{
	const char *v = getenv("DOCKER_TLS_VERIFY");

	return v != NULL && *v != '\0';
}

/* tcp:// without TLS carries root on this host in clear: only if wanted. */
static void
check_insecure_tcp(const struct settings *s, struct errlist *errs)
{
	if (strncmp(s->remote, "tcp://", 6) != 0 || s->allow_insecure_tcp ||
	    settings_tls_from_env())
		return;
	errlist_add(errs, "settings", "remote",
	    "%.300s has no TLS (DOCKER_TLS_VERIFY is not set): the Docker "
	    "API, which is root on its host, would be reached in clear and "
	    "unauthenticated; expected DOCKER_TLS_VERIFY=1 with "
	    "DOCKER_CERT_PATH, or allow_insecure_tcp=true "
	    "(--allow-insecure-tcp) if that is wanted",
	    s->remote);
}

/* Command line, then file, then (for a run) the environment. */
static enum settings_result
load_all(struct settings *s, int argc, char *argv[], struct errlist *errs,
    int for_status)
{
	uint64_t cmdline_set = 0, file_set = 0;
	size_t before = errs->n;

	settings_init(s);
	if (parse_argv(s, argc, argv, &cmdline_set, errs))
		return errs->n == before ? SETTINGS_EXIT_OK : SETTINGS_USAGE;
	if (!for_status)
		check_format(s, cmdline_set, errs);
	if (errs->n != before)
		return SETTINGS_USAGE;
	load_file(s, cmdline_set, &file_set, errs);
	if (!for_status)
		load_environment(s, cmdline_set | file_set, errs);
	if (!for_status && errs->n == before)
		check_insecure_tcp(s, errs);
	return errs->n == before ? SETTINGS_OK : SETTINGS_USAGE;
}

enum settings_result
settings_load(struct settings *s, int argc, char *argv[], struct errlist *errs)
{
	return load_all(s, argc, argv, errs, 0);
}

enum settings_result
settings_load_status(
    struct settings *s, int argc, char *argv[], struct errlist *errs)
{
	return load_all(s, argc, argv, errs, 1);
}
