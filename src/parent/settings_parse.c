/*
 * Settings: the command line, the original's key=value settings file,
 * DOCKER_HOST for the endpoint, defaults; in that order of precedence.
 * Every setting is read by its row of settings_table (settings.h).
 */
#include "settings_parse.h"
#include "suggest.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
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
#include "xalloc.h"

/* The options that are not settings: two modes, and two that print. */
enum command_action {
	CMD_DRY_RUN = 1,
	CMD_CHECK,
	CMD_HELP,
	CMD_VERSION,
};

static const struct command_opt {
	const char *opt;
	char short_opt;
	enum command_action action;
	const char *doc; /* --help */
} command_opts[] = {
	{ "dry-run", 0, CMD_DRY_RUN,
	    "print what would be done, change nothing" },
	{ "check", 0, CMD_CHECK, "validate every source, print every problem" },
	{ "help", 'h', CMD_HELP, "this text" },
	{ "version", 0, CMD_VERSION, "print the version" },
};

#define NCOMMANDS (sizeof(command_opts) / sizeof(command_opts[0]))

/*
 * getopt_long's values: a row's option, the row's negation, a command;
 * above every character getopt returns for a short option.
 */
#define OPT_ROW  256
#define OPT_NEG  (OPT_ROW + MAX_SETTINGS_ROWS)
#define OPT_CMD  (OPT_NEG + MAX_SETTINGS_ROWS)
#define OPT_LAST (OPT_CMD + (int)NCOMMANDS)

static void
replace(char **dst, char *v)
{
	free(*dst);
	*dst = v;
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
	xasprintf(&out, "%s%.*s", scheme, (int)n, hp);
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
		xasprintf(&out, "unix://%s%s", p[0] == '/' ? "" : "/", p);
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
set_enum(int *dst, const struct setting_desc *d, const char *v)
{
	for (int i = 0; d->names[i] != NULL; i++)
		if (strcmp(v, d->names[i]) == 0) {
			*dst = i + 1;
			return 0;
		}
	return -1;
}

/* "expected a, b or c": an enum's names. */
static void
expected_names(const struct setting_desc *d, char *out, size_t outlen)
{
	size_t n = 0, len;

	len = (size_t)snprintf(out, outlen, "expected");
	while (d->names[n] != NULL)
		n++;
	for (size_t i = 0; i < n && len < outlen; i++)
		len += (size_t)snprintf(out + len, outlen - len, "%s%s",
		    i == 0          ? " "
			: i + 1 < n ? ", "
				    : " or ",
		    d->names[i]);
}

static const char *
expected(const struct setting_desc *d, char *buf, size_t buflen)
{
	switch (d->kind) {
	case SET_PATH:
		return "expected an absolute path without \"..\"";
	case SET_NAME:
		return "expected a name of letters, digits, '_', '.' or '-'";
	case SET_REMOTE:
		return "expected unix:///PATH, unix://PATH or tcp://HOST:PORT";
	case SET_URL:
		return "expected http://HOST[:PORT]";
	case SET_URLS:
		return "expected http://HOST[:PORT] or https://HOST[:PORT] "
		       "separated by commas";
	case SET_BOOL:
	case SET_COUNT:
	case SET_MODE:
		return "expected true, false, yes, no, 1 or 0";
	case SET_INT:
		return "expected a whole number in range";
	case SET_CAPS:
		return "expected capability names separated by commas, such "
		       "as NET_ADMIN,SYS_TIME (ALL only if listed)";
	case SET_PATHS:
		return "expected absolute paths without \"..\" separated by "
		       "commas";
	case SET_HOSTS:
		return "expected registry hosts (HOST or HOST:PORT) separated "
		       "by commas";
	case SET_ENUM:
		expected_names(d, buf, buflen);
		return buf;
	case SET_ANY_PATH:
		break;
	}
	return "";
}

static char *trim(char *p, char *end);

static int
valid_list_item(enum setting_kind t, const char *item)
{
	switch (t) {
	case SET_CAPS:
		return valid_capability(item) &&
		    strncmp(item, "CAP_", 4) != 0 &&
		    strspn(item, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == strlen(item);
	case SET_PATHS:
		return valid_abs_path(item) && strchr(item, ':') == NULL;
	case SET_URLS: {
		char *n = NULL;
		if (strncmp(item, "http://", 7) == 0)
			n = normalize_hostport("http://", item + 7, 0);
		else if (strncmp(item, "https://", 8) == 0)
			n = normalize_hostport("https://", item + 8, 0);
		free(n);
		return n != NULL && item[strlen(item) - 1] != '/';
	}
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
normalize_list(enum setting_kind t, const char *v)
{
	char *copy = xstrdup(v), *out = xcalloc(1, strlen(v) + 1), *save = NULL;
	size_t len = 0;

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

	switch (d->kind) {
	case SET_ANY_PATH:
		n = xstrdup(v);
		break;
	case SET_PATH:
		if (!valid_abs_path(v))
			return -1;
		n = xstrdup(v);
		break;
	case SET_NAME:
		if (!valid_word(v))
			return -1;
		n = xstrdup(v);
		break;
	case SET_REMOTE:
		if ((n = settings_normalize_remote(v, &err)) == NULL)
			return -1;
		break;
	case SET_URL:
		if (strncmp(v, "http://", 7) != 0 ||
		    (n = normalize_hostport("http://", v + 7, 0)) == NULL)
			return -1;
		break;
	case SET_CAPS:
	case SET_PATHS:
	case SET_HOSTS:
	case SET_URLS:
		if ((n = normalize_list(d->kind, v)) == NULL)
			return -1;
		break;
	default:
		return -1;
	}
	replace(dst, n);
	return 0;
}

/* Sets one value from either source; -1 when invalid. */
static int
set_value(struct settings *s, const struct setting_desc *d, const char *v)
{
	int b;

	switch (d->kind) {
	case SET_BOOL:
	case SET_COUNT: /* verbose= in the file */
		return parse_bool(v, setting_int(s, d));
	case SET_MODE: /* server= in the file */
		if (parse_bool(v, &b) == -1)
			return -1;
		*setting_int(s, d) = b ? MODE_SERVER : MODE_RUN;
		return 0;
	case SET_INT:
		return parse_int(v, d->min, d->max, setting_int(s, d));
	case SET_ENUM:
		return set_enum(setting_int(s, d), d, v);
	default:
		return set_string(setting_str(s, d), d, v);
	}
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
	char ex[80], exp[128];

	excerpt(v, ex, sizeof(ex));
	if (d->kind == SET_INT)
		errlist_add(errs, where, key,
		    "\"%s\" is not valid; expected "
		    "a whole number from %d to %d",
		    ex, d->min, d->max);
	else
		errlist_add(errs, where, key, "\"%s\" is not valid; %s", ex,
		    expected(d, exp, sizeof(exp)));
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

/* "dry-run" as the file would spell it: "dry_run". */
static int
same_key(const char *key, const char *opt)
{
	for (; *key != '\0' && *opt != '\0'; key++, opt++)
		if (*key != (*opt == '-' ? '_' : *opt))
			return 0;
	return *key == *opt;
}

/* A long option that is not a file key: --config, --no-aws, --check... */
static int
cmdline_only(const char *key)
{
	for (size_t i = 0; i < settings_count; i++) {
		const struct setting_desc *d = &settings_table[i];
		if ((d->key == NULL && d->opt != NULL &&
			same_key(key, d->opt)) ||
		    (d->nopt != NULL && same_key(key, d->nopt)))
			return 1;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (same_key(key, command_opts[i].opt))
			return 1;
	return 0;
}

static void
unknown_key(struct errlist *errs, const char *where, const char *key)
{
	const char *best = NULL;
	size_t bestd = 3;
	char ex[80];

	for (size_t i = 0; i < settings_count; i++) {
		const char *k = settings_table[i].key;
		size_t dist = k != NULL ? edit_distance(key, k) : bestd;
		if (dist < bestd)
			bestd = dist, best = k;
	}
	excerpt(key, ex, sizeof(ex));
	if (cmdline_only(key)) {
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
		for (size_t i = 0; i < settings_count; i++)
			if (settings_table[i].key != NULL)
				buf_printf(&keys, "%s%s", keys.len ? ", " : "",
				    settings_table[i].key);
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
	if ((d = setting_by_key(key)) == NULL) {
		unknown_key(errs, where, key);
		return;
	}
	if (*file_set & setting_bit(d)) {
		errlist_add(errs, where, key,
		    "is set twice; expected each key "
		    "once");
		return;
	}
	*file_set |= setting_bit(d);
	/* Validate even when the command line wins, then keep its value. */
	struct settings scratch;
	settings_init(&scratch);
	if (set_value(&scratch, d, val) == -1)
		bad_value(errs, where, key, d, val);
	else if (!(cmdline_set & setting_bit(d)))
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

/* Help is aligned at this column; a longer option pushes it along. */
#define USAGE_DOC_COLUMN 27

/* One option of --help: its names, then its doc, line by line. */
static void
usage_option(FILE *f, const char *names, const char *doc)
{
	int n = (int)strlen(names);

	fprintf(f, "%s%*s", names,
	    n < USAGE_DOC_COLUMN ? USAGE_DOC_COLUMN - n : 2, "");
	for (const char *p = doc; *p != '\0';) {
		size_t len = strcspn(p, "\n");
		fprintf(f, "%.*s\n", (int)len, p);
		p += len;
		if (*p == '\n' && *++p != '\0')
			fprintf(f, "%*s", USAGE_DOC_COLUMN, "");
	}
}

/* "  -v, --verbose", "      --aws[=BOOL], --no-aws", "--cache DIR"... */
static void
usage_setting(FILE *f, const struct setting_desc *d)
{
	struct buf names;

	buf_init(&names, MAX_SETTINGS_LINE);
	if (d->short_opt != 0)
		buf_printf(&names, "  -%c, --%s", d->short_opt, d->opt);
	else
		buf_printf(&names, "      --%s", d->opt);
	if (d->kind == SET_BOOL && !(d->flags & SF_NO_ARG))
		buf_printf(&names, "[=BOOL]");
	if (d->nopt != NULL)
		buf_printf(&names, ", --%s", d->nopt);
	if (d->arg != NULL)
		buf_printf(&names, " %s", d->arg);
	for (size_t i = 0; d->kind == SET_ENUM && d->names[i] != NULL; i++)
		buf_printf(&names, "%c%s", i == 0 ? ' ' : '|', d->names[i]);
	usage_option(f, buf_cstr(&names), d->doc);
	buf_free(&names);
}

static void
usage(FILE *f)
{
	char names[64];

	fprintf(f,
	    "usage: dockerup [OPTIONS]\n"
	    "       dockerup status [--format text|json] [--cache DIR] "
	    "[--config FILE]\n"
	    "       dockerup retry NAME [--cache DIR] [--config FILE]   (root: "
	    "try again an update\n"
	    "                        the health gate rolled back)\n"
	    "       dockerup fleet [retry NAME] [--format text|json] [--config "
	    "FILE]\n"
	    "                        (the fleet group in etcd; retry, root: "
	    "let NAME's failed\n"
	    "                        update roll out again)\n"
	    "Keeps this host's Docker containers equal to the declared "
	    "definitions.\n"
	    "\n");
	for (size_t i = 0; i < settings_count; i++)
		if (settings_table[i].opt != NULL &&
		    settings_table[i].doc != NULL)
			usage_setting(f, &settings_table[i]);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct command_opt *c = &command_opts[i];
		if (c->short_opt != 0)
			snprintf(names, sizeof(names), "  -%c, --%s",
			    c->short_opt, c->opt);
		else
			snprintf(names, sizeof(names), "      --%s", c->opt);
		usage_option(f, names, c->doc);
	}
	fprintf(f,
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
	    "field.\n");
}

static int
read_settings_file(const char *path, struct buf *b, int *err)
{
	struct stat st;
	int fd, rc;

	memset(&st, 0, sizeof(st));
	errno = 0;
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
	rc = buf_read_fd(b, fd);
	*err = errno;
	close(fd);
	return rc;
}

static void
load_file(struct settings *s, uint64_t cmdline_set, uint64_t *file_set,
    struct errlist *errs)
{
	struct buf b;
	int err = 0;

	buf_init(&b, MAX_SETTINGS_SIZE);
	if (read_settings_file(s->config, &b, &err) == -1) {
		if (err == EFBIG)
			errlist_add(errs, s->config, "",
			    "is larger than %d bytes; expected at most %d",
			    MAX_SETTINGS_SIZE, MAX_SETTINGS_SIZE);
		else if (err != ENOENT || s->config_explicit)
			errlist_add(errs, s->config, "",
			    "cannot read: %s; expected a "
			    "readable settings file",
			    strerror(err));
		buf_free(&b);
		return;
	}
	/* An empty file (or /dev/null) leaves b.p NULL. */
	(void)settings_parse_file_mask(s, s->config,
	    b.p != NULL ? (const char *)b.p : "", b.len, cmdline_set, file_set,
	    errs);
	buf_free(&b);
}

static void
load_environment(struct settings *s, uint64_t set, struct errlist *errs)
{
	const char *dh = getenv("DOCKER_HOST"), *err;
	char *n;

	if (set & setting_bit(setting_by_key("remote")) || dh == NULL ||
	    dh[0] == '\0')
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

/* host_id unset: /etc/machine-id, else the hostname (only with etcd on). */
static void
default_host_id(struct settings *s)
{
	char id[HOST_NAME_MAX + 1] = "";
	FILE *f;

	if (s->host_id != NULL || s->etcd == NULL || s->etcd[0] == '\0')
		return;
	if ((f = fopen("/etc/machine-id", "re")) != NULL) {
		if (fgets(id, sizeof(id), f) == NULL)
			id[0] = '\0';
		id[strcspn(id, "\n")] = '\0';
		fclose(f);
	}
	if (!valid_word(id) &&
	    (gethostname(id, sizeof(id)) == -1 ||
		(id[sizeof(id) - 1] = '\0', !valid_word(id))))
		snprintf(id, sizeof(id), "unknown");
	s->host_id = xstrdup(id);
}

/* The modes exclude each other; one named twice is still one. */
static void
cmdline_mode(struct settings *s, enum run_mode m, int *nmodes, uint64_t *set)
{
	const struct setting_desc *d = setting_by_key("server");

	if (s->mode != m || !(*set & setting_bit(d)))
		(*nmodes)++;
	s->mode = m;
	*set |= setting_bit(d);
}

/* A row's option (or its negation, --no-pull) with its value, if any. */
static void
cmdline_setting(struct settings *s, const struct setting_desc *d, int neg,
    const char *opt, const char *arg, int *nmodes, uint64_t *set,
    struct errlist *errs)
{
	switch (d->kind) {
	case SET_BOOL: /* --pull, --pull=BOOL, --no-pull */
		*setting_int(s, d) = !neg;
		if (arg != NULL && set_value(s, d, arg) == -1)
			bad_value(errs, "command line", opt, d, arg);
		break;
	case SET_COUNT:
		(*setting_int(s, d))++;
		break;
	case SET_MODE:
		cmdline_mode(s, MODE_SERVER, nmodes, set);
		break;
	default:
		if (set_value(s, d, arg) == -1)
			bad_value(errs, "command line", opt, d, arg);
		if (d->flags & SF_EXPLICIT)
			s->config_explicit = 1;
		break;
	}
	*set |= setting_bit(d);
}

/* Returns 1 after --help or --version. */
static int
cmdline_command(
    struct settings *s, enum command_action a, int *nmodes, uint64_t *set)
{
	switch (a) {
	case CMD_DRY_RUN:
		cmdline_mode(s, MODE_DRY_RUN, nmodes, set);
		return 0;
	case CMD_CHECK:
		cmdline_mode(s, MODE_CHECK, nmodes, set);
		return 0;
	case CMD_HELP:
		usage(stdout);
		return 1;
	case CMD_VERSION:
		printf("dockerup %s\n", DOCKERUP_VERSION);
		return 1;
	}
	return 0;
}

static int
has_arg(const struct setting_desc *d)
{
	switch (d->kind) {
	case SET_BOOL:
		return d->flags & SF_NO_ARG ? no_argument : optional_argument;
	case SET_COUNT:
	case SET_MODE:
		return no_argument;
	default:
		return required_argument;
	}
}

/*
 * getopt_long's tables, from the settings' rows and the commands: the
 * long options (malloc'd, NULL-terminated) and the short ones.
 */
static struct option *
getopt_tables(char *shorts, size_t shortlen)
{
	size_t n = 0, k = 0;
	struct option *o;

	o = xcalloc(2 * settings_count + NCOMMANDS + 1, sizeof(*o));
	shorts[k++] = ':';
	for (size_t i = 0; i < settings_count; i++) {
		const struct setting_desc *d = &settings_table[i];
		if (d->opt == NULL)
			continue;
		o[n++] = (struct option){ d->opt, has_arg(d), NULL,
			OPT_ROW + (int)i };
		if (d->nopt != NULL)
			o[n++] = (struct option){ d->nopt, no_argument, NULL,
				OPT_NEG + (int)i };
		if (d->short_opt != 0 && k + 3 < shortlen) {
			shorts[k++] = d->short_opt;
			if (has_arg(d) == required_argument)
				shorts[k++] = ':';
		}
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		o[n++] = (struct option){ command_opts[i].opt, no_argument,
			NULL, OPT_CMD + (int)i };
		if (command_opts[i].short_opt != 0 && k + 2 < shortlen)
			shorts[k++] = command_opts[i].short_opt;
	}
	shorts[k] = '\0';
	return o;
}

/* getopt_long's value of a short option, as its long one's. */
static int
short_to_long(int ch)
{
	for (size_t i = 0; i < settings_count; i++)
		if (settings_table[i].short_opt == ch)
			return OPT_ROW + (int)i;
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (command_opts[i].short_opt == ch)
			return OPT_CMD + (int)i;
	return ch;
}

/* Returns 1 after --help or --version, 0 otherwise. */
static int
parse_argv(struct settings *s, int argc, char *argv[], uint64_t *set,
    struct errlist *errs)
{
	int ch, nmodes = 0, done = 0;
	char opt[64], shorts[32];
	struct option *longopts = getopt_tables(shorts, sizeof(shorts));

	optind = 0; /* glibc: start over, so that tests may call again */
	opterr = 0;
	for (;;) {
		int li = -1;
		ch = getopt_long(argc, argv, shorts, longopts, &li);
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
		ch = short_to_long(ch);
		if (ch >= OPT_ROW && ch < OPT_NEG + (int)settings_count)
			cmdline_setting(s,
			    &settings_table[(ch - OPT_ROW) % MAX_SETTINGS_ROWS],
			    ch >= OPT_NEG, opt, optarg, &nmodes, set, errs);
		else if (ch >= OPT_CMD && ch < OPT_LAST)
			done |= cmdline_command(
			    s, command_opts[ch - OPT_CMD].action, &nmodes, set);
		else if (ch == ':')
			errlist_add(errs, "command line", opt,
			    "needs a value; "
			    "see dockerup --help");
		else {
			if (optopt != 0 && optopt < 256)
				snprintf(opt, sizeof(opt), "-%c", optopt);
			errlist_add(errs, "command line", opt,
			    "unknown option; see dockerup --help");
		}
	}
	free(longopts);
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
	if ((set & setting_bit(setting_by_opt("format"))) &&
	    s->mode != MODE_DRY_RUN)
		errlist_add(errs, "command line", "--format",
		    "applies to the "
		    "plan only; expected it with --dry-run (or after "
		    "`dockerup status`)");
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
	default_host_id(s);
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
