/*
 * JSON container definitions into canonical struct defn.  The document is
 * checked as text first (size, NUL, UTF-8, comments, nesting), then parsed
 * with cJSON, then converted field by field; the rules of a definition
 * are those of defn_validate(), shared with the engine.
 */
#include "defs.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "bounds.h"
#include "fields.h"
#include "suggest.h"
#include "buf.h"
#include "log.h"
#include "profile.h"
#include "policy.h"
#include "validate.h"
#include "xalloc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PATHLEN  256

struct pctx {
	const char *where;
	struct errlist *errs;
	size_t problems; /* found */
	size_t shown;    /* added to errs */
	const struct file_ops *ops;
	struct kvlist *profiles;
	struct errlist *refusals; /* the trust policy's, not problems */
	int refused;              /* the definition being parsed */
};

static void perr(struct pctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
perr(struct pctx *c, const char *path, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (c->problems++ >= MAX_DOC_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errlist_add(c->errs, c->where, path, "%s", msg);
	c->shown++;
}

/* A key or short value safe to show: printable ASCII, cut short. */
static void
excerpt(const char *v, char *out, size_t outlen)
{
	size_t j = 0, i;

	for (i = 0; v[i] != '\0' && j + 4 < outlen && i < 48; i++)
		out[j++] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
	if (v[i] != '\0' && j + 4 < outlen)
		out[j++] = '.', out[j++] = '.', out[j++] = '.';
	out[j] = '\0';
}

static void
join(char *out, const char *prefix, const char *field)
{
	if (prefix[0] == '\0')
		snprintf(out, PATHLEN, "%s", field);
	else if (field[0] == '[')
		snprintf(out, PATHLEN, "%s%s", prefix, field);
	else
		snprintf(out, PATHLEN, "%s.%s", prefix, field);
}

static void
join_key(char *out, const char *prefix, const char *key)
{
	char k[64];

	excerpt(key, k, sizeof(k));
	join(out, prefix, k);
}

static void
join_idx(char *out, const char *prefix, size_t i)
{
	char k[32];

	snprintf(k, sizeof(k), "[%zu]", i);
	join(out, prefix, k);
}

static const char *
suggest(const char *key, const char *const *known, size_t n)
{
	const char *best = NULL;
	size_t bestd = 99, len = strlen(key);

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(key, known[i]);
		if (d < bestd)
			bestd = d, best = known[i];
	}
	if (best != NULL && (bestd <= 2 || bestd * 3 <= len) && bestd < len)
		return best;
	return NULL;
}

/*
 * Reports keys that are unknown (with a suggestion) or repeated.  Returns
 * the number of problems.
 */
static size_t
check_keys(struct pctx *c, const cJSON *obj, const char *prefix,
    const char *const *known, size_t n)
{
	char path[PATHLEN], list[512];
	size_t before = c->problems, off = 0;

	if (cJSON_GetArraySize(obj) > MAX_OBJECT_KEYS) {
		perr(c, prefix, "has %d keys; expected at most %d",
		    cJSON_GetArraySize(obj), MAX_OBJECT_KEYS);
		return 1;
	}
	list[0] = '\0';
	for (size_t i = 0; i < n && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
		    i ? ", " : "", known[i]);
	for (const cJSON *it = obj->child; it != NULL; it = it->next) {
		const char *k = it->string, *s;
		size_t i;
		join_key(path, prefix, k);
		for (const cJSON *p = obj->child; p != it; p = p->next)
			if (strcmp(p->string, k) == 0) {
				perr(c, path,
				    "appears twice; expected each "
				    "key once");
				break;
			}
		for (i = 0; i < n; i++)
			if (strcmp(known[i], k) == 0)
				break;
		if (i < n)
			continue;
		if ((s = suggest(k, known, n)) != NULL)
			perr(c, path, "unknown key; did you mean %s?", s);
		else
			perr(c, path, "unknown key; expected one of: %s", list);
	}
	return c->problems - before;
}

/* Repeated keys in a map (env, labels...), whose keys are free-form. */
static void
check_dup_keys(struct pctx *c, const cJSON *obj, const char *prefix)
{
	char path[PATHLEN];

	for (const cJSON *it = obj->child; it != NULL; it = it->next)
		for (const cJSON *p = obj->child; p != it; p = p->next)
			if (strcmp(p->string, it->string) == 0) {
				join_key(path, prefix, it->string);
				perr(c, path,
				    "appears twice; expected each "
				    "key once");
				break;
			}
}

static const char *
type_name(const cJSON *j)
{
	if (cJSON_IsString(j))
		return "a string";
	if (cJSON_IsNumber(j))
		return "a number";
	if (cJSON_IsBool(j))
		return "a boolean";
	if (cJSON_IsNull(j))
		return "null";
	if (cJSON_IsArray(j))
		return "an array";
	return "an object";
}

static const char *
get_str(struct pctx *c, const cJSON *j, const char *path, size_t max,
    const char *what)
{
	size_t n;

	if (!cJSON_IsString(j)) {
		perr(c, path, "is %s; expected %s", type_name(j), what);
		return NULL;
	}
	n = strlen(j->valuestring);
	if (n > max) {
		perr(
		    c, path, "is %zu bytes long; expected at most %zu", n, max);
		return NULL;
	}
	if (!valid_utf8(j->valuestring, n)) {
		perr(c, path, "is not valid UTF-8; expected UTF-8 text");
		return NULL;
	}
	return j->valuestring;
}

static int
get_bool(struct pctx *c, const cJSON *j, const char *path, int *out)
{
	if (!cJSON_IsBool(j)) {
		perr(c, path, "is %s; expected true or false", type_name(j));
		return -1;
	}
	*out = cJSON_IsTrue(j) ? 1 : 0;
	return 0;
}

static int
number_is_int(double v, int64_t min, int64_t max)
{
	return v >= (double)min && v <= (double)max && (double)(int64_t)v == v;
}

/* A whole number from JSON, or a string of digits. */
static int
get_int(struct pctx *c, const cJSON *j, const char *path, int64_t min,
    int64_t max, const char *what, int64_t *out)
{
	if (cJSON_IsNumber(j) && number_is_int(j->valuedouble, min, max)) {
		*out = (int64_t)j->valuedouble;
		return 0;
	}
	if (cJSON_IsString(j)) {
		const char *s = j->valuestring;
		size_t n = strlen(s);
		int64_t v = 0;
		if (n > 0 && n <= 18 && strspn(s, "0123456789") == n) {
			for (size_t i = 0; i < n; i++)
				v = v * 10 + (s[i] - '0');
			if (v >= min && v <= max) {
				*out = v;
				return 0;
			}
		}
	}
	if (cJSON_IsNumber(j) || cJSON_IsString(j)) {
		char ex[64];
		if (cJSON_IsString(j))
			excerpt(j->valuestring, ex, sizeof(ex));
		else
			snprintf(ex, sizeof(ex), "%.17g", j->valuedouble);
		perr(c, path, "\"%s\" is not valid; expected %s", ex, what);
	} else
		perr(c, path, "is %s; expected %s", type_name(j), what);
	return -1;
}

/*
 * An array or object (as is_kind says) of at most max entries: its number
 * of entries, or -1 after reporting what it is instead.
 */
static int
get_sized(struct pctx *c, const cJSON *j, const char *path, size_t max,
    const char *what, cJSON_bool (*is_kind)(const cJSON *))
{
	int n;

	if (!is_kind(j)) {
		perr(c, path, "is %s; expected %s", type_name(j), what);
		return -1;
	}
	n = cJSON_GetArraySize(j);
	if ((size_t)n > max) {
		perr(c, path, "has %d entries; expected at most %zu", n, max);
		return -1;
	}
	return n;
}

static int
get_container_array(struct pctx *c, const cJSON *j, const char *path,
    size_t max, const char *what)
{
	return get_sized(c, j, path, max, what, cJSON_IsArray);
}

static int
get_object(struct pctx *c, const cJSON *j, const char *path, size_t max,
    const char *what)
{
	int n = get_sized(c, j, path, max, what, cJSON_IsObject);

	if (n >= 0)
		check_dup_keys(c, j, path);
	return n;
}

int
parse_memory(const char *s, int64_t *out)
{
	size_t n = strspn(s, "0123456789");
	int64_t v = 0, mult = 1;

	if (n == 0 || n > 19)
		return -1;
	switch (tolower((unsigned char)s[n])) {
	case '\0':
	case 'b':
		break;
	case 'k':
		mult = 1024;
		break;
	case 'm':
		mult = 1024 * 1024;
		break;
	case 'g':
		mult = 1024 * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (s[n] != '\0' && s[n + 1] != '\0')
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > INT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static int
word_end(struct buf *w, int *have, struct strlist *out, const char **err)
{
	if (!*have)
		return 0;
	if (out->n >= MAX_LIST_ITEMS) {
		*err = "too many words";
		return -1;
	}
	strlist_push(out, w->len ? buf_cstr(w) : "");
	buf_reset(w);
	*have = 0;
	return 0;
}

static int
word_add(struct buf *w, char ch, const char **err)
{
	if (buf_append(w, &ch, 1) == -1) {
		*err = "word too long";
		return -1;
	}
	return 0;
}

/* Inside "...": a backslash escapes only $ ` " \ and newline. */
static int
split_dquote(const char **sp, struct buf *w, const char **err)
{
	const char *s = *sp;

	for (;; s++) {
		if (*s == '\0') {
			*err = "unterminated double quote";
			return -1;
		}
		if (*s == '"')
			break;
		if (*s == '\\' && s[1] != '\0' && strchr("$`\"\\\n", s[1])) {
			s++;
			if (*s == '\n')
				continue;
		}
		if (word_add(w, *s, err) == -1)
			return -1;
	}
	*sp = s;
	return 0;
}

int
shell_split(const char *s, struct strlist *out, const char **err)
{
	struct buf w;
	int have = 0, rc = -1;

	buf_init(&w, MAX_STRING_LEN);
	*err = NULL;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			if (word_end(&w, &have, out, err) == -1)
				goto done;
			continue;
		}
		have = 1;
		if (*s == '\'') {
			const char *q = strchr(s + 1, '\'');
			if (q == NULL) {
				*err = "unterminated single quote";
				goto done;
			}
			if (buf_append(&w, s + 1, (size_t)(q - s - 1)) == -1) {
				*err = "word too long";
				goto done;
			}
			s = q;
		} else if (*s == '"') {
			s++;
			if (split_dquote(&s, &w, err) == -1)
				goto done;
		} else if (*s == '\\') {
			if (s[1] == '\0') {
				*err = "a backslash at the end escapes nothing";
				goto done;
			}
			s++;
			if (*s == '\n') {
				have = w.len > 0;
				continue;
			}
			if (word_add(&w, *s, err) == -1)
				goto done;
		} else if (word_add(&w, *s, err) == -1)
			goto done;
	}
	rc = word_end(&w, &have, out, err);
done:
	buf_free(&w);
	if (rc == -1)
		strlist_free(out);
	return rc;
}

/* Field handlers: convert one key's value into the definition. */
typedef void (*field_fn)(
    struct pctx *, const cJSON *, const char *, struct defn *);

static void
f_type(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	const char *s =
	    get_str(c, j, path, defn_fields[T_NONE].max_len, "\"docker\"");

	if (s != NULL && strcmp(s, "docker") != 0) {
		char ex[64];
		excerpt(s, ex, sizeof(ex));
		perr(c, path, "\"%s\" is not supported; expected \"docker\"",
		    ex);
	}
}

static void
f_name(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	const char *s = get_str(c, j, path, MAX_STRING_LEN, "a container name");

	if (s != NULL)
		d->name = xstrdup(s);
}

/* A missing tag means latest, as the original and Docker do. */
static char *
image_with_tag(const char *s)
{
	const char *slash = strrchr(s, '/'), *name;
	char *out;

	name = slash ? slash + 1 : s;
	if (strchr(s, '@') != NULL || strchr(name, ':') != NULL ||
	    !valid_image_ref(s))
		return xstrdup(s);
	xasprintf(&out, "%s:latest", s);
	return out;
}

static void
f_image(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	const char *s = get_str(
	    c, j, path, defn_fields[T_IMAGE].max_len, "an image reference");

	if (s != NULL)
		d->image = image_with_tag(s);
}

/* 0 means unset (Docker's default), as in the original. */
static void
f_cpu(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	const struct field_desc *f = &defn_fields[T_CPU];
	char what[80];
	int64_t v;

	snprintf(what, sizeof(what),
	    "CPU shares, a whole number from %lld to %lld (0: unset)",
	    (long long)f->min, (long long)f->max);
	/* The range itself is the validator's rule (validate.c). */
	if (get_int(c, j, path, 0, f->max, what, &v) == 0)
		d->cpu_shares = v;
}

static void
f_memory(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	int64_t v;
	char ex[64];

	if (cJSON_IsNumber(j) &&
	    number_is_int(j->valuedouble, 0, (int64_t)1 << 53)) {
		d->memory = (int64_t)j->valuedouble;
		return;
	}
	if (cJSON_IsString(j) && parse_memory(j->valuestring, &v) == 0) {
		d->memory = v;
		return;
	}
	if (cJSON_IsString(j)) {
		excerpt(j->valuestring, ex, sizeof(ex));
		perr(c, path,
		    "\"%s\" is not a size; expected bytes or a "
		    "number with b, k, m or g such as \"2048m\"",
		    ex);
	} else
		perr(c, path,
		    "is %s; expected bytes or a string such as "
		    "\"2048m\"",
		    type_name(j));
}

static void
parse_args(struct pctx *c, const cJSON *j, const char *path,
    const struct field_desc *f, struct strlist *out, int *has)
{
	char p[PATHLEN];
	const char *err;
	int n;

	*has = 1;
	if (cJSON_IsString(j)) {
		const char *s = get_str(c, j, path, f->max_len, "");
		if (s != NULL && shell_split(s, out, &err) == -1)
			perr(c, path,
			    "cannot be split into words: %s; "
			    "expected a command as a shell would read it, or "
			    "an array of strings",
			    err);
		return;
	}
	if ((n = get_container_array(c, j, path, f->max_items,
		 "an array of strings or a command string")) < 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *s;
		join_idx(p, path, (size_t)i);
		s = get_str(
		    c, cJSON_GetArrayItem(j, i), p, f->max_len, "a string");
		if (s != NULL)
			strlist_push(out, s);
	}
}

static void
f_entrypoint(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	parse_args(c, j, path, &defn_fields[T_ENTRYPOINT], &d->entrypoint,
	    &d->has_entrypoint);
}

static void
f_command(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	parse_args(
	    c, j, path, &defn_fields[T_COMMAND], &d->command, &d->has_command);
}

static void
f_privileged(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	(void)get_bool(c, j, path, &d->privileged);
}

static void
f_read_only(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	(void)get_bool(c, j, path, &d->read_only);
}

static void
f_network(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	const char *s = get_str(c, j, path, defn_fields[T_NETWORK].max_len,
	    "bridge, none, host or container:NAME");

	if (s != NULL)
		d->network = xstrdup(s);
}

static const char *const volume_keys[] = {
	"containerPath",
	"hostPath",
	"mode",
	"from",
};

static void
parse_volume(struct pctx *c, const cJSON *j, const char *path, struct volume *v)
{
	char p[PATHLEN];
	const cJSON *it;
	const char *s;

	if (!cJSON_IsObject(j)) {
		perr(c, path,
		    "is %s; expected an object with containerPath, "
		    "hostPath, mode or from",
		    type_name(j));
		return;
	}
	check_keys(c, j, path, volume_keys, NELEM(volume_keys));
	join(p, path, "containerPath");
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "containerPath")) &&
	    (s = get_str(c, it, p, MAX_PATH_LEN, "an absolute path")))
		v->container_path = xstrdup(s);
	join(p, path, "hostPath");
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "hostPath")) &&
	    (s = get_str(c, it, p, MAX_PATH_LEN, "an absolute path")))
		v->host_path = xstrdup(s);
	join(p, path, "from");
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "from")) &&
	    (s = get_str(c, it, p, MAX_NAME_LEN, "a container name")))
		v->from = xstrdup(s);
	join(p, path, "mode");
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "mode")) &&
	    (s = get_str(c, it, p, 8, "ro or rw"))) {
		if (strcmp(s, "ro") == 0)
			v->read_only = 1;
		else if (strcmp(s, "rw") != 0)
			perr(
			    c, p, "\"%s\" is not a mode; expected ro or rw", s);
		if (v->from != NULL)
			perr(c, p,
			    "does not apply to a \"from\" volume; "
			    "expected mode only with containerPath");
	}
}

static void
f_volumes(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	char p[PATHLEN];
	int n;

	if ((n = get_container_array(c, j, path,
		 defn_fields[T_VOLUME].max_items,
		 "an array of volume objects")) <= 0)
		return;
	d->volumes = xcalloc((size_t)n, sizeof(*d->volumes));
	d->nvolumes = (size_t)n;
	for (int i = 0; i < n; i++) {
		join_idx(p, path, (size_t)i);
		parse_volume(c, cJSON_GetArrayItem(j, i), p, &d->volumes[i]);
	}
}

static const char *const port_keys[] = { "containerPort", "hostPort" };

static void
parse_container_port(
    struct pctx *c, const cJSON *j, const char *path, struct port *pt)
{
	int64_t v;

	if (cJSON_IsString(j)) {
		char tmp[16], *slash;
		size_t n = strlen(j->valuestring);
		if (n < sizeof(tmp)) {
			memcpy(tmp, j->valuestring, n + 1);
			if ((slash = strchr(tmp, '/')) != NULL) {
				if (strcasecmp(slash, "/udp") == 0)
					pt->udp = 1;
				else if (strcasecmp(slash, "/tcp") != 0)
					goto bad;
				*slash = '\0';
			}
			size_t dl = strlen(tmp);
			if (dl > 0 && dl <= 5 &&
			    strspn(tmp, "0123456789") == dl &&
			    (v = strtol(tmp, NULL, 10)) >= 1 && v <= 65535) {
				pt->container_port = (uint16_t)v;
				return;
			}
		}
	bad:;
		char ex[64];
		excerpt(j->valuestring, ex, sizeof(ex));
		perr(c, path,
		    "\"%s\" is not a port; expected a number from 1 "
		    "to 65535, optionally followed by /udp or /tcp",
		    ex);
		return;
	}
	if (get_int(
		c, j, path, 1, 65535, "a port number from 1 to 65535", &v) == 0)
		pt->container_port = (uint16_t)v;
}

static void
f_ports(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	char p[PATHLEN], q[PATHLEN];
	const cJSON *it, *e;
	int64_t v;
	int n;

	if ((n = get_container_array(c, j, path, defn_fields[T_PORT].max_items,
		 "an array of port mapping objects")) <= 0)
		return;
	d->ports = xcalloc((size_t)n, sizeof(*d->ports));
	d->nports = (size_t)n;
	for (int i = 0; i < n; i++) {
		e = cJSON_GetArrayItem(j, i);
		join_idx(p, path, (size_t)i);
		if (!cJSON_IsObject(e)) {
			perr(c, p,
			    "is %s; expected an object with "
			    "containerPort and optional hostPort",
			    type_name(e));
			continue;
		}
		check_keys(c, e, p, port_keys, NELEM(port_keys));
		join(q, p, "containerPort");
		if ((it = cJSON_GetObjectItemCaseSensitive(
			 e, "containerPort")) == NULL)
			perr(c, q,
			    "is missing; expected the port the "
			    "container listens on");
		else
			parse_container_port(c, it, q, &d->ports[i]);
		join(q, p, "hostPort");
		if ((it = cJSON_GetObjectItemCaseSensitive(e, "hostPort")) &&
		    get_int(c, it, q, 1, 65535,
			"a port number from 1 to 65535 "
			"(omit hostPort for a random port)",
			&v) == 0)
			d->ports[i].host_port = (uint16_t)v;
	}
}

/* A map value as text: strings as they are, numbers and booleans. */
static int
scalar_text(const cJSON *j, char *num, size_t numlen, const char **out)
{
	if (cJSON_IsString(j)) {
		*out = j->valuestring;
		return 0;
	}
	if (cJSON_IsBool(j)) {
		*out = cJSON_IsTrue(j) ? "true" : "false";
		return 0;
	}
	if (cJSON_IsNumber(j)) {
		double v = j->valuedouble;
		if (number_is_int(v, -((int64_t)1 << 53), (int64_t)1 << 53))
			snprintf(num, numlen, "%lld", (long long)v);
		else {
			snprintf(num, numlen, "%.15g", v);
			if (strtod(num, NULL) != v)
				snprintf(num, numlen, "%.17g", v);
		}
		*out = num;
		return 0;
	}
	return -1;
}

/*
 * A JSON object of free-form keys into a sorted kvlist.  Values: strings
 * (and numbers and booleans when convert is set).  Values are never
 * quoted in errors: env values may be secrets.
 */
static void
parse_map(struct pctx *c, const cJSON *j, const char *path, struct kvlist *out,
    const struct field_desc *f, int convert, const char *what)
{
	char p[PATHLEN], num[64];
	const char *v;

	if (get_object(c, j, path, f->max_items, what) < 0)
		return;
	for (const cJSON *it = j->child; it != NULL; it = it->next) {
		join_key(p, path, it->string);
		if (strlen(it->string) > f->max_len) {
			perr(c, p,
			    "key is too long; expected at most %zu bytes",
			    f->max_len);
			continue;
		}
		if (!(convert || cJSON_IsString(it)) ||
		    scalar_text(it, num, sizeof(num), &v) == -1) {
			perr(c, p, "is %s; expected %s", type_name(it),
			    convert ? "a string, number or boolean"
				    : "a string");
			continue;
		}
		if (strlen(v) > f->max_len) {
			perr(c, p,
			    "value is %zu bytes long; expected at most "
			    "%zu",
			    strlen(v), f->max_len);
			continue;
		}
		if (kvlist_find(out, it->string) == NULL)
			kvlist_push(out, it->string, v);
	}
	kvlist_sort(out);
}

static void
f_env(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	parse_map(c, j, path, &d->env, &defn_fields[T_ENV], 1,
	    "an object of NAME: value");
}

static void
f_labels(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	parse_map(c, j, path, &d->labels, &defn_fields[T_LABEL], 1,
	    "an object of key: value");
}

static void
f_signal(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	struct kvlist raw = { 0 };

	parse_map(c, j, path, &raw, &defn_fields[T_SIGNAL], 0,
	    "an object of container name: signal name");
	for (size_t i = 0; i < raw.n; i++) {
		char sig[32];
		const char *v = raw.v[i].value;
		size_t k = 0;
		if (strncasecmp(v, "SIG", 3) == 0)
			v += 3;
		for (; v[k] != '\0' && k + 1 < sizeof(sig); k++)
			sig[k] = (char)toupper((unsigned char)v[k]);
		sig[k] = '\0';
		kvlist_push(&d->signals, raw.v[i].key,
		    valid_signal_name(sig) ? sig : raw.v[i].value);
	}
	kvlist_free(&raw);
}

/* "name", "name:alias", or an object of name: alias. */
static void
f_links(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	char p[PATHLEN];
	int n;

	if (cJSON_IsObject(j)) {
		parse_map(c, j, path, &d->links, &defn_fields[T_LINK], 0,
		    "an object of container name: alias");
		return;
	}
	if ((n = get_container_array(c, j, path, defn_fields[T_LINK].max_items,
		 "an object "
		 "of name: alias or an array of \"name[:alias]\"")) < 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *s, *colon;
		char name[MAX_NAME_LEN + 1];
		join_idx(p, path, (size_t)i);
		s = get_str(c, cJSON_GetArrayItem(j, i), p,
		    2 * MAX_NAME_LEN + 1, "\"name\" or \"name:alias\"");
		if (s == NULL)
			continue;
		colon = strchr(s, ':');
		size_t nl = colon ? (size_t)(colon - s) : strlen(s);
		if (nl > MAX_NAME_LEN) {
			perr(c, p,
			    "name is too long; expected at most %d "
			    "characters",
			    MAX_NAME_LEN);
			continue;
		}
		memcpy(name, s, nl);
		name[nl] = '\0';
		if (kvlist_find(&d->links, name) != NULL) {
			perr(c, p,
			    "links %s twice; expected each container "
			    "once",
			    valid_container_name(name) ? name : "?");
			continue;
		}
		kvlist_push(&d->links, name, colon ? colon + 1 : name);
	}
	kvlist_sort(&d->links);
}

static void
f_user(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	const char *s = get_str(c, j, path, defn_fields[T_USER].max_len,
	    "NAME, UID, NAME:GROUP or UID:GID");

	if (s != NULL)
		d->user = xstrdup(s);
}

static void
parse_string_list(struct pctx *c, const cJSON *j, const char *path,
    const struct field_desc *f, struct strlist *out, const char *what,
    void (*norm)(const char *, char *, size_t))
{
	char p[PATHLEN], tmp[MAX_STRING_LEN + 1];
	int n;

	if (cJSON_IsString(j)) {
		const char *s = get_str(c, j, path, f->max_len, what);
		if (s == NULL)
			return;
		norm(s, tmp, sizeof(tmp));
		strlist_push(out, tmp);
		return;
	}
	if ((n = get_container_array(c, j, path, f->max_items, what)) < 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *s;
		join_idx(p, path, (size_t)i);
		if ((s = get_str(c, cJSON_GetArrayItem(j, i), p, f->max_len,
			 what)) == NULL)
			continue;
		norm(s, tmp, sizeof(tmp));
		strlist_push(out, tmp);
	}
}

static void
norm_cap(const char *s, char *out, size_t outlen)
{
	size_t k = 0;

	if (valid_capability(s) && strncasecmp(s, "CAP_", 4) == 0)
		s += 4;
	int upper = valid_capability(s);

	for (; s[k] != '\0' && k + 1 < outlen; k++)
		out[k] = upper ? (char)toupper((unsigned char)s[k]) : s[k];
	out[k] = '\0';
}

static void
f_cap_add(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	parse_string_list(c, j, path, &defn_fields[T_CAP_ADD], &d->cap_add,
	    "an array of capability names", norm_cap);
}

static void
f_cap_drop(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	parse_string_list(c, j, path, &defn_fields[T_CAP_DROP], &d->cap_drop,
	    "an array of capability names", norm_cap);
}

static void
norm_copy(const char *s, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", s);
}

/*
 * Reads, checks and compacts the seccomp profile securityOpt names: a
 * name (NAME.json in seccomp_dir) or, from a local file only, a path
 * inside seccomp_dir.  Whoever reads it (the parent) refuses the rest.
 */
static void
load_seccomp(struct pctx *c, const char *ref, const char *path, struct defn *d)
{
	char shown[MAX_PATH_LEN + 1], msg[512];
	struct buf b;
	cJSON *j = NULL;
	char *compact;
	const struct kv *known;

	msg[0] = '\0';
	/* Whole, as it is bounded; control characters shown as '?'. */
	snprintf(shown, sizeof(shown), "%s", ref);
	for (char *p = shown; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (!profile_name_valid(ref) && !valid_abs_path(ref)) {
		profile_read_error(EXDEV, msg, sizeof(msg));
		perr(c, path, "seccomp profile %s %s", shown, msg);
		return;
	}
	buf_init(&b, MAX_SECCOMP_PROFILE_SIZE);
	if ((known = kvlist_find(c->profiles, ref)) != NULL) {
		if (buf_append_str(&b, known->value) == -1)
			fatal("buf_append");
	} else if (c->ops == NULL || c->ops->read_file == NULL ||
	    c->ops->read_file(c->ops->ctx, ref, &b) == -1) {
		profile_read_error(c->ops ? errno : ENOENT, msg, sizeof(msg));
		perr(c, path, "seccomp profile %s %s", shown, msg);
		buf_free(&b);
		return;
	}
	if (memchr(b.p, '\0', b.len) != NULL ||
	    profile_check(buf_cstr(&b), 1, msg, sizeof(msg)) == -1 ||
	    (j = cJSON_ParseWithLength((char *)buf_cstr(&b), b.len)) == NULL) {
		perr(c, path,
		    "seccomp profile %s is not a Docker seccomp profile: %s",
		    shown, msg[0] ? msg : "a NUL byte");
		cJSON_Delete(j);
		buf_free(&b);
		return;
	}
	if (known == NULL)
		kvlist_push(c->profiles, ref, buf_cstr(&b));
	if ((compact = cJSON_PrintUnformatted(j)) == NULL)
		fatal("cJSON_PrintUnformatted");
	d->seccomp = compact;
	cJSON_Delete(j);
	buf_free(&b);
}

static void
security_opt(struct pctx *c, const char *s, const char *path, struct defn *d)
{
	char tmp[MAX_STRING_LEN + 16];
	size_t n = strcspn(s, "=:");

	if (strcmp(s, "no-new-privileges") == 0 ||
	    strcmp(s, "no-new-privileges:true") == 0 ||
	    strcmp(s, "no-new-privileges=true") == 0) {
		strlist_push(&d->security_opt, "no-new-privileges");
		return;
	}
	if (strcmp(s, "no-new-privileges:false") == 0 ||
	    strcmp(s, "no-new-privileges=false") == 0)
		return;
	if (n == 7 && strncmp(s, "seccomp", 7) == 0 && s[7] != '\0') {
		if (d->seccomp != NULL) {
			perr(c, path,
			    "sets seccomp twice; expected one "
			    "seccomp option");
			return;
		}
		if (strcmp(s + 8, "unconfined") == 0)
			d->seccomp = xstrdup("unconfined");
		else if (!policy_seccomp_ref_allowed(c->where, s + 8)) {
			/* Refused before anything is read for it; the
			 * document's other definitions still stand. */
			errlist_add(c->refusals, c->where, path,
			    "a seccomp profile by path is not allowed for "
			    "%s (trust policy: remote sources name no "
			    "file); expected seccomp=NAME (NAME.json in "
			    "seccomp_dir)",
			    c->where);
			c->refused = 1;
		} else
			load_seccomp(c, s + 8, path, d);
		return;
	}
	if (n == 8 && strncmp(s, "apparmor", 8) == 0 && s[8] != '\0') {
		snprintf(tmp, sizeof(tmp), "apparmor=%s", s + 9);
		s = tmp;
	}
	strlist_push(&d->security_opt, s);
}

static void
f_security_opt(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	struct strlist raw = { 0 };
	char p[PATHLEN];

	parse_string_list(c, j, path, &defn_fields[T_SECURITY_OPT], &raw,
	    "an array of security options", norm_copy);
	for (size_t i = 0; i < raw.n; i++) {
		if (cJSON_IsArray(j))
			join_idx(p, path, i);
		else
			snprintf(p, sizeof(p), "%s", path);
		security_opt(c, raw.v[i], p, d);
	}
	strlist_free(&raw);
}

/* An object of path: options, or an array of "path[:options]". */
static void
f_tmpfs(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	struct strlist raw = { 0 };
	char tmp[MAX_STRING_LEN + 1], p[PATHLEN];

	if (cJSON_IsObject(j)) {
		parse_map(c, j, path, &d->tmpfs, &defn_fields[T_TMPFS], 0,
		    "an object of path: mount options");
		return;
	}
	parse_string_list(c, j, path, &defn_fields[T_TMPFS], &raw,
	    "an object of path: options or "
	    "an array of \"path[:options]\"",
	    norm_copy);
	for (size_t i = 0; i < raw.n; i++) {
		char *colon;
		snprintf(tmp, sizeof(tmp), "%s", raw.v[i]);
		if ((colon = strchr(tmp, ':')) != NULL)
			*colon++ = '\0';
		if (kvlist_find(&d->tmpfs, tmp) != NULL) {
			join_idx(p, path, i);
			perr(c, p,
			    "mounts a path twice; expected each path "
			    "once");
			continue;
		}
		kvlist_push(&d->tmpfs, tmp, colon ? colon : "");
	}
	strlist_free(&raw);
	kvlist_sort(&d->tmpfs);
}

static void
f_restart(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	const char *s = get_str(c, j, path, defn_fields[T_RESTART].max_len,
	    "always, on-failure or never");

	if (s == NULL)
		return;
	if (strcmp(s, "always") == 0)
		d->restart = RESTART_ALWAYS;
	else if (strcmp(s, "on-failure") == 0)
		d->restart = RESTART_ON_FAILURE;
	else if (strcmp(s, "never") == 0)
		d->restart = RESTART_NEVER;
	else {
		char ex[64];
		excerpt(s, ex, sizeof(ex));
		perr(c, path,
		    "\"%s\" is not a restart policy; expected "
		    "always, on-failure or never",
		    ex);
	}
}

/* The smallest value a row takes: its range, or its default below it. */
static int64_t
row_min(const struct field_desc *f)
{
	return f->def < f->min ? f->def : f->min;
}

/* Whole seconds: a number, or digits with an optional s, m or h. */
static int
parse_seconds(const char *s, int64_t *out)
{
	size_t n = strspn(s, "0123456789");
	int64_t v = 0, mult = 1;

	if (n == 0 || n > 12)
		return -1;
	switch (s[n]) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	default:
		return -1;
	}
	if (s[n] != '\0' && s[n + 1] != '\0')
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	*out = v * mult;
	return 0;
}

static void
get_seconds(struct pctx *c, const cJSON *j, const char *path,
    const struct field_desc *f, int64_t *out)
{
	int64_t lo = row_min(f), v = -1;
	char ex[64];

	if (cJSON_IsNumber(j) && number_is_int(j->valuedouble, lo, f->max)) {
		*out = (int64_t)j->valuedouble;
		return;
	}
	if (cJSON_IsString(j) && parse_seconds(j->valuestring, &v) == 0 &&
	    v >= lo && v <= f->max) {
		*out = v;
		return;
	}
	if (cJSON_IsString(j))
		excerpt(j->valuestring, ex, sizeof(ex));
	else if (cJSON_IsNumber(j))
		snprintf(ex, sizeof(ex), "%.17g", j->valuedouble);
	else {
		perr(c, path,
		    "is %s; expected seconds, a number or a string such as "
		    "\"30s\", \"5m\" or \"1h\"",
		    type_name(j));
		return;
	}
	perr(c, path,
	    "\"%s\" is not valid; expected whole seconds from %lld to %lld, "
	    "as a number or a string such as \"30s\", \"5m\" or \"1h\"",
	    ex, (long long)lo, (long long)f->max);
}

static void
f_stop_timeout(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	get_seconds(c, j, path, &defn_fields[T_STOP_TIMEOUT], &d->stop_timeout);
}

/* ["CMD", arg...], ["CMD-SHELL", cmd], ["NONE"], or a command string. */
static void
parse_health_test(
    struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	const struct field_desc *f = &defn_fields[T_HEALTH_TEST];
	const char *s;
	char p[PATHLEN];
	int n;

	if (cJSON_IsString(j)) {
		if ((s = get_str(c, j, path, f->max_len, "")) != NULL) {
			strlist_push(&d->health_test, "CMD-SHELL");
			strlist_push(&d->health_test, s);
		}
		return;
	}
	if ((n = get_container_array(c, j, path, f->max_items,
		 "[\"CMD\", arg, ...], [\"CMD-SHELL\", command], [\"NONE\"] "
		 "or a command string")) < 0)
		return;
	for (int i = 0; i < n; i++) {
		join_idx(p, path, (size_t)i);
		s = get_str(
		    c, cJSON_GetArrayItem(j, i), p, f->max_len, "a string");
		if (s != NULL)
			strlist_push(&d->health_test, s);
	}
}

/* update.rolling: true (one host at a time), false, or {"maxParallel": K}. */
static void
parse_rolling(struct pctx *c, const cJSON *j, const char *path,
    const struct field_desc *f, int *out)
{
	static const char *const members[] = { "maxParallel" };
	const cJSON *k;
	char p[PATHLEN], what[96];
	int64_t v;

	if (cJSON_IsBool(j)) {
		*out = cJSON_IsTrue(j) ? 1 : 0;
		return;
	}
	if (!cJSON_IsObject(j)) {
		perr(c, path,
		    "is %s; expected true, false or {\"maxParallel\": K}",
		    type_name(j));
		return;
	}
	check_keys(c, j, path, members, 1);
	join(p, path, members[0]);
	if ((k = cJSON_GetObjectItemCaseSensitive(j, members[0])) == NULL) {
		perr(c, p,
		    "is missing; expected a whole number from %lld to %lld",
		    (long long)f->min, (long long)f->max);
		return;
	}
	snprintf(what, sizeof(what), "a whole number from %lld to %lld",
	    (long long)f->min, (long long)f->max);
	if (get_int(c, k, p, f->min, f->max, what, &v) == 0)
		*out = (int)v;
}

/* One member of an object whose members are rows (update, healthcheck). */
static void
parse_member(struct pctx *c, const cJSON *it, const char *p,
    const struct field_desc *f, struct defn *d)
{
	void *m = (char *)d + f->off;
	int64_t v;
	char what[96];

	switch (f->kind) {
	case FK_FLAG:
	case FK_NOT_FLAG:
		(void)get_bool(c, it, p, m);
		return;
	case FK_SECONDS:
		get_seconds(c, it, p, f, m);
		return;
	case FK_INT:
		snprintf(what, sizeof(what), "a whole number from %lld to %lld",
		    (long long)row_min(f), (long long)f->max);
		if (get_int(c, it, p, row_min(f), f->max, what, &v) == 0)
			*(int64_t *)m = v;
		return;
	case FK_ROLLING:
		parse_rolling(c, it, p, f, m);
		return;
	case FK_LIST:
		if (f->tag == T_HEALTH_TEST) {
			parse_health_test(c, it, p, d);
			return;
		}
		break;
	default:
		break;
	}
	fatalx("%s.%s: no parser for its kind", f->key, f->member);
}

/* An object whose members are the table's rows with this key. */
static void
parse_members(struct pctx *c, const char *key, const cJSON *j, const char *path,
    struct defn *d)
{
	const char *members[T_DEFN_MAX];
	char p[PATHLEN], list[256] = "";
	size_t n = 0;

	for (unsigned int t = 0; t < T_DEFN_MAX; t++)
		if (defn_fields[t].member != NULL &&
		    strcmp(defn_fields[t].key, key) == 0)
			members[n++] = defn_fields[t].member;
	if (!cJSON_IsObject(j)) {
		for (size_t i = 0; i < n; i++)
			snprintf(list + strlen(list),
			    sizeof(list) - strlen(list), "%s%s",
			    i == 0          ? ""
				: i + 1 < n ? ", "
					    : " or ",
			    members[i]);
		perr(c, path, "is %s; expected an object with %s", type_name(j),
		    list);
		return;
	}
	check_keys(c, j, path, members, n);
	for (size_t i = 0; i < n; i++) {
		const cJSON *it =
		    cJSON_GetObjectItemCaseSensitive(j, members[i]);
		if (it == NULL)
			continue;
		join(p, path, members[i]);
		parse_member(c, it, p, field_by_key(key, members[i]), d);
	}
}

static void
f_update(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	parse_members(c, "update", j, path, d);
}

static void
f_healthcheck(struct pctx *c, const cJSON *j, const char *path, struct defn *d)
{
	parse_members(c, "healthcheck", j, path, d);
}

struct field {
	const char *key;
	field_fn fn;
};

static const struct field fields[] = {
	{ "type", f_type },
	{ "name", f_name },
	{ "image", f_image },
	{ "cpu", f_cpu },
	{ "memory", f_memory },
	{ "entrypoint", f_entrypoint },
	{ "command", f_command },
	{ "privileged", f_privileged },
	{ "network", f_network },
	{ "volumes", f_volumes },
	{ "portMappings", f_ports },
	{ "env", f_env },
	{ "restart", f_restart },
	{ "update", f_update },
	{ "links", f_links },
	{ "signal", f_signal },
	{ "user", f_user },
	{ "readOnly", f_read_only },
	{ "capAdd", f_cap_add },
	{ "capDrop", f_cap_drop },
	{ "securityOpt", f_security_opt },
	{ "tmpfs", f_tmpfs },
	{ "labels", f_labels },
	{ "healthcheck", f_healthcheck },
	{ "stopTimeout", f_stop_timeout },
};

static field_fn
handler_of(const char *key)
{
	for (size_t i = 0; i < NELEM(fields); i++)
		if (strcmp(fields[i].key, key) == 0)
			return fields[i].fn;
	fatalx("field %s of the table has no parser", key);
}

/* Is path at or under one of the paths already reported? */
static int
already_reported(const struct errlist *errs, size_t from, const char *where,
    const char *path)
{
	for (size_t i = from; i < errs->n; i++) {
		const char *f = errs->v[i].field;
		size_t n = strlen(f);
		if (strcmp(errs->v[i].where, where) != 0)
			continue;
		if (strncmp(path, f, n) == 0 &&
		    (path[n] == '\0' || path[n] == '.' || path[n] == '['))
			return 1;
		n = strlen(path);
		if (strncmp(f, path, n) == 0 &&
		    (f[n] == '\0' || f[n] == '.' || f[n] == '['))
			return 1;
	}
	return 0;
}

static void
parse_defn(struct pctx *c, const cJSON *obj, const char *prefix, struct defn *d)
{
	const char *top_keys[T_DEFN_MAX];
	size_t top_nkeys = field_top_keys(top_keys, T_DEFN_MAX);
	char path[PATHLEN];
	size_t before = c->errs->n;
	struct errlist verrs;

	if (!cJSON_IsObject(obj)) {
		perr(c, prefix[0] ? prefix : "",
		    "is %s; expected a container "
		    "definition object",
		    type_name(obj));
		return;
	}
	check_keys(c, obj, prefix, top_keys, top_nkeys);
	/* In the table's order; every key of the table has its handler. */
	for (size_t i = 0; i < top_nkeys; i++) {
		const cJSON *it =
		    cJSON_GetObjectItemCaseSensitive(obj, top_keys[i]);
		if (it == NULL)
			continue;
		join(path, prefix, top_keys[i]);
		handler_of(top_keys[i])(c, it, path, d);
	}
	d->source = xstrdup(c->where);
	/* The shared rules, without repeating what was reported above. */
	errlist_init(&verrs);
	(void)defn_validate(d, c->where, prefix, &verrs);
	for (size_t i = 0; i < verrs.n; i++)
		if (!already_reported(
			c->errs, before, c->where, verrs.v[i].field))
			perr(c, verrs.v[i].field, "%s", verrs.v[i].msg);
	errlist_free(&verrs);
}

/* Identities must be unique within one document. */
static void
check_unique(struct pctx *c, const struct defs_result *r)
{
	char path[PATHLEN];
	char **ids = xcalloc(r->n + 1, sizeof(char *));

	for (size_t i = 0; i < r->n; i++) {
		if (r->defs[i].image == NULL && r->defs[i].name == NULL)
			continue;
		ids[i] = defn_identity(&r->defs[i]);
		for (size_t k = 0; k < i; k++) {
			if (ids[k] == NULL || strcmp(ids[k], ids[i]) != 0)
				continue;
			join(path, r->prefix[i],
			    r->defs[i].name ? "name" : "image");
			perr(c, path,
			    "\"%.64s\" is declared twice in this "
			    "document (also %s); expected each container "
			    "once%s",
			    ids[i],
			    r->prefix[k][0] ? r->prefix[k]
					    : "the first definition",
			    r->defs[i].name ? ""
					    : " (give unnamed definitions of "
					      "one image a name)");
			break;
		}
	}
	for (size_t i = 0; i < r->n; i++)
		free(ids[i]);
	free(ids);
}

static size_t
line_of(const char *text, size_t off, size_t *col)
{
	size_t line = 1, lstart = 0;

	for (size_t i = 0; i < off; i++)
		if (text[i] == '\n')
			line++, lstart = i + 1;
	*col = off - lstart + 1;
	return line;
}

/*
 * Blanks // and block comments outside strings (newlines kept, so that
 * positions stay right) and rejects an escaped NUL.  Returns -1 with *off
 * at the problem and *what set.
 */
static int
strip_comments(char *t, size_t len, size_t *off, const char **what)
{
	int in_str = 0;

	for (size_t i = 0; i < len; i++) {
		if (in_str) {
			if (t[i] == '\\' && i + 1 < len) {
				if (t[i + 1] == 'u' && i + 5 < len &&
				    strncmp(t + i + 2, "0000", 4) == 0) {
					*off = i;
					*what =
					    "an escaped NUL (\\u0000) in a "
					    "string; expected text without NUL";
					return -1;
				}
				i++;
			} else if (t[i] == '"')
				in_str = 0;
			continue;
		}
		if (t[i] == '"')
			in_str = 1;
		else if (t[i] == '/' && i + 1 < len && t[i + 1] == '/') {
			while (i < len && t[i] != '\n')
				t[i++] = ' ';
		} else if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
			size_t start = i;
			t[i++] = ' ';
			t[i++] = ' ';
			while (i + 1 < len && memcmp(t + i, "*/", 2) != 0) {
				if (t[i] != '\n')
					t[i] = ' ';
				i++;
			}
			if (i + 1 >= len) {
				*off = start;
				*what = "an unterminated /* comment; "
					"expected */";
				return -1;
			}
			t[i++] = ' ';
			t[i] = ' ';
		}
	}
	return 0;
}

/* Checks the text; returns the parsed root or NULL after reporting. */
static cJSON *
parse_text(struct pctx *c, char *t, size_t len)
{
	size_t off, line, col;
	const char *what, *end = NULL;
	cJSON *root;

	if (strip_comments(t, len, &off, &what) == -1) {
		line = line_of(t, off, &col);
		perr(c, "", "line %zu, column %zu: %s", line, col, what);
		return NULL;
	}
	if (!valid_json_nesting(t, len, MAX_JSON_DEPTH)) {
		perr(c, "",
		    "objects and arrays are nested more than %d deep; "
		    "expected at most %d levels",
		    MAX_JSON_DEPTH, MAX_JSON_DEPTH);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(t, len + 1, &end, 1);
	if (root == NULL) {
		off = end && end >= t && end <= t + len ? (size_t)(end - t) : 0;
		if (off == 0 && cJSON_GetErrorPtr() >= t &&
		    cJSON_GetErrorPtr() <= t + len)
			off = (size_t)(cJSON_GetErrorPtr() - t);
		line = line_of(t, off, &col);
		if (strspn(t, " \t\r\n") == len)
			perr(c, "",
			    "is empty; expected a JSON object (a "
			    "definition or {\"containers\": [...]})");
		else
			perr(c, "",
			    "invalid JSON at line %zu, column %zu; "
			    "expected a JSON object (look for a missing comma, "
			    "quote, colon or brace)",
			    line, col);
	}
	return root;
}

static const char *const wrapper_keys[] = { "containers" };

/* Finds the list of definitions: the containers array or the root. */
static int
definitions_of(
    struct pctx *c, const cJSON *root, enum doc_form form, const cJSON **list)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "containers");
	int n;

	if (!cJSON_IsObject(root)) {
		perr(c, "",
		    "is %s; expected a JSON object (a definition or "
		    "{\"containers\": [...]})",
		    type_name(root));
		return -1;
	}
	if (arr == NULL && form == DOC_FILE) {
		*list = NULL;
		return 1;
	}
	if (arr == NULL || cJSON_GetArraySize(root) > 1) {
		if (check_keys(c, root, "", wrapper_keys, 1) == 0)
			perr(c, "", "expected {\"containers\": [...]}");
		if (arr == NULL)
			return -1;
	}
	if ((n = get_container_array(c, arr, "containers", MAX_DEFINITIONS,
		 "an array of container definitions")) < 0)
		return -1;
	*list = arr;
	return n;
}

void
defs_result_init(struct defs_result *r)
{
	memset(r, 0, sizeof(*r));
}

void
defs_result_free(struct defs_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		defn_free(&r->defs[i]);
		free(r->prefix[i]);
	}
	free(r->defs);
	free(r->prefix);
	free(r->refused);
	kvlist_free(&r->profiles);
	errlist_free(&r->refusals);
	defs_result_init(r);
}

static void
parse_all(struct pctx *c, const cJSON *root, const cJSON *list, int n,
    struct defs_result *out)
{
	out->defs = xcalloc((size_t)n + 1, sizeof(*out->defs));
	out->prefix = xcalloc((size_t)n + 1, sizeof(char *));
	out->refused = xcalloc((size_t)n + 1, 1);
	for (int i = 0; i < n; i++) {
		char prefix[PATHLEN] = "";
		defn_init(&out->defs[i]);
		if (list != NULL)
			snprintf(prefix, sizeof(prefix), "containers[%d]", i);
		out->prefix[i] = xstrdup(prefix);
		out->n++;
		c->refused = 0;
		parse_defn(c, list ? cJSON_GetArrayItem(list, i) : root, prefix,
		    &out->defs[i]);
		out->refused[i] = (unsigned char)c->refused;
	}
	check_unique(c, out);
}

size_t
defs_parse(const char *where, const char *text, size_t len, enum doc_form form,
    const struct file_ops *ops, struct defs_result *out, struct errlist *errs)
{
	struct pctx c = { where, errs, 0, 0, ops, &out->profiles,
		&out->refusals, 0 };
	const cJSON *list = NULL;
	cJSON *root;
	char *t;
	size_t off;
	int n;

	if (len > MAX_DOCUMENT_SIZE) {
		perr(&c, "", "is %zu bytes; expected at most %d", len,
		    MAX_DOCUMENT_SIZE);
		return c.problems;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3, len -= 3; /* a UTF-8 byte order mark */
	if (memchr(text, '\0', len) != NULL) {
		off = (size_t)((const char *)memchr(text, '\0', len) - text);
		perr(&c, "",
		    "has a NUL byte at offset %zu; expected UTF-8 "
		    "text",
		    off);
		return c.problems;
	}
	if (!valid_utf8(text, len)) {
		perr(&c, "", "is not valid UTF-8; expected UTF-8 text");
		return c.problems;
	}
	t = xmalloc(len + 1);
	memcpy(t, text, len);
	t[len] = '\0';
	root = parse_text(&c, t, len);
	if (root != NULL && (n = definitions_of(&c, root, form, &list)) >= 0 &&
	    c.problems == 0)
		parse_all(&c, root, list, n, out);
	cJSON_Delete(root);
	free(t);
	if (c.problems > c.shown)
		errlist_add(errs, where, "",
		    "%zu more problems not listed; "
		    "fix the ones above first",
		    c.problems - c.shown);
	if (c.problems > 0) {
		struct kvlist keep = out->profiles;
		for (size_t i = 0; i < out->refusals.n; i++)
			errlist_add(errs, out->refusals.v[i].where,
			    out->refusals.v[i].field, "%s",
			    out->refusals.v[i].msg);
		memset(&out->profiles, 0, sizeof(out->profiles));
		defs_result_free(out);
		kvlist_free(&keep);
	}
	return c.problems;
}
