#include "observe.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "spec.h"
#include "xalloc.h"

static int
lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

int
docker_id_valid(const char *s)
{
	return s != NULL && strlen(s) == DOCKER_ID_LEN &&
	    lower_hex(s, DOCKER_ID_LEN);
}

int
docker_image_id_valid(const char *s)
{
	return s != NULL && strncmp(s, "sha256:", 7) == 0 &&
	    docker_id_valid(s + 7);
}

int
docker_name_valid(const char *s)
{
	size_t n;

	if (s == NULL || !isalnum((unsigned char)s[0]) || !isascii(s[0]))
		return 0;
	n = strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-");
	return s[n] == '\0' && n <= MAX_NAME_LEN;
}

int64_t
docker_num_in(double v, int64_t lo, int64_t hi, int64_t fallback)
{
	/* NaN fails both comparisons. */
	if (!(v >= (double)lo && v <= (double)hi))
		return fallback;
	return (int64_t)v;
}

static void
dup_str(const cJSON *o, const char *key, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static void
ctr_free(struct ctr *c)
{
	free(c->id);
	free(c->name);
	free(c->image_id);
	free(c->state);
	free(c->label_id);
	free(c->label_hash);
	free(c->label_fields);
	free(c->network_mode);
	free(c->label_links);
	mounts_free(&c->mounts);
	memset(c, 0, sizeof(*c));
}

void
ctr_list_free(struct ctr_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		ctr_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct ctr *
ctr_list_grow(struct ctr_list *l)
{
	struct ctr *nv;
	size_t ncap;

	if (l->n == l->cap) {
		ncap = l->cap ? 2 * l->cap : 16;
		nv = xreallocarray(l->v, ncap, sizeof(*nv));
		l->v = nv;
		l->cap = ncap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n];
}

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)

void
mounts_free(struct mounts *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].dest);
		free(m->v[i].name);
		free(m->v[i].source);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

const struct mount *
mounts_at(const struct mounts *m, const char *dest)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].dest, dest) == 0)
			return &m->v[i];
	return NULL;
}

int
volume_anonymous(const char *name)
{
	return docker_id_valid(name);
}

/* An absolute path of at most MAX_PATH_LEN bytes, without ':' or ','. */
static int
mount_path_valid(const char *s)
{
	return s[0] == '/' && strlen(s) <= MAX_PATH_LEN &&
	    strpbrk(s, ":,") == NULL;
}

/* One entry of Mounts into m; 1 when it is of another type. */
static int
mount_parse(const cJSON *o, struct mount *m, const char **why)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "Type");
	const cJSON *dest = cJSON_GetObjectItemCaseSensitive(o, "Destination");
	int vol;

	if (!cJSON_IsString(type) ||
	    (strcmp(type->valuestring, "volume") != 0 &&
		strcmp(type->valuestring, "bind") != 0))
		return 1;
	vol = strcmp(type->valuestring, "volume") == 0;
	if (!cJSON_IsString(dest) || !mount_path_valid(dest->valuestring)) {
		*why = "Destination: an absolute path of at most " STRINGIFY(
		    MAX_PATH_LEN) " bytes without ':' or ','";
		return -1;
	}
	dup_str(o, vol ? "Name" : "Source", vol ? &m->name : &m->source);
	if (vol && !docker_name_valid(m->name)) {
		*why = "Name: a volume name, [a-zA-Z0-9][a-zA-Z0-9_.-]*";
		return -1;
	}
	if (!vol && m->source == NULL) {
		*why = "Source: a string";
		return -1;
	}
	m->dest = xstrdup(dest->valuestring);
	return 0;
}

int
observe_parse_mounts(const cJSON *a, struct mounts *out, const char **why)
{
	const cJSON *o;
	int n = cJSON_GetArraySize(a), rc;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (n <= 0 || !cJSON_IsArray(a))
		return 0;
	out->v = xcalloc((size_t)n, sizeof(*out->v));
	cJSON_ArrayForEach(o, a)
	{
		if ((rc = mount_parse(o, &out->v[out->n], why)) == 0) {
			out->n++;
			continue;
		}
		free(out->v[out->n].name);
		free(out->v[out->n].source);
		memset(&out->v[out->n], 0, sizeof(out->v[0]));
		if (rc == -1) {
			mounts_free(out);
			return -1;
		}
	}
	return 0;
}

/* The first name without its '/'; a linked name ("/a/b") is skipped. */
static void
ctr_parse_name(const cJSON *o, struct ctr *c)
{
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(o, "Names"), *n;

	cJSON_ArrayForEach(n, names)
	{
		if (!cJSON_IsString(n))
			continue;
		const char *s = n->valuestring + (n->valuestring[0] == '/');
		if (strchr(s, '/') == NULL) {
			c->name = xstrdup(s);
			return;
		}
	}
	c->name = xstrdup("");
}

/* What an entry of the list should have been, or NULL when it is. */
static const char *
ctr_check(const struct ctr *c, const char *mounts_why, const char **field,
    const char **value)
{
	if (!docker_id_valid(c->id)) {
		*field = "Id";
		*value = c->id;
		return "a container ID, 64 lowercase hex digits";
	}
	if (c->image_id[0] != '\0' && !docker_image_id_valid(c->image_id)) {
		*field = "ImageID";
		*value = c->image_id;
		return "an image ID, sha256: and 64 lowercase hex digits";
	}
	if (mounts_why != NULL) {
		*field = "Mounts";
		*value = c->id;
		return mounts_why;
	}
	if (c->name[0] != '\0' && !docker_name_valid(c->name)) {
		*field = "Names";
		*value = c->name;
		return "a container name, [a-zA-Z0-9][a-zA-Z0-9_.-]* of at "
		       "most " STRINGIFY(MAX_NAME_LEN) " bytes";
	}
	return NULL;
}

/*
 * LABEL_REPLACES: "ID running" or "ID stopped"; any other value (made by
 * hand, or by a hostile endpoint) names no container.
 */
static void
parse_replaces(const cJSON *labels, struct ctr *c)
{
	const cJSON *v =
	    cJSON_GetObjectItemCaseSensitive(labels, LABEL_REPLACES);
	char id[DOCKER_ID_LEN + 1];
	const char *p;

	c->replaces[0] = '\0';
	if (!cJSON_IsString(v) || strlen(v->valuestring) <= DOCKER_ID_LEN ||
	    v->valuestring[DOCKER_ID_LEN] != ' ')
		return;
	memcpy(id, v->valuestring, DOCKER_ID_LEN);
	id[DOCKER_ID_LEN] = '\0';
	p = v->valuestring + DOCKER_ID_LEN + 1;
	if (!docker_id_valid(id) ||
	    (strcmp(p, "running") != 0 && strcmp(p, "stopped") != 0))
		return;
	memcpy(c->replaces, id, sizeof(id));
	c->replaces_ran = strcmp(p, "running") == 0;
}

/* *mounts_why is set when Mounts is refused (ctr_check() says so). */
static void
ctr_parse(const cJSON *o, struct ctr *c, const char **mounts_why)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(o, "Labels");
	const cJSON *created = cJSON_GetObjectItemCaseSensitive(o, "Created");
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(o, "HostConfig");

	dup_str(o, "Id", &c->id);
	dup_str(o, "ImageID", &c->image_id);
	dup_str(o, "State", &c->state);
	dup_str(hc, "NetworkMode", &c->network_mode);
	ctr_parse_name(o, c);
	if (c->id == NULL)
		c->id = xstrdup("");
	if (c->state == NULL)
		c->state = xstrdup("unknown");
	if (c->image_id == NULL)
		c->image_id = xstrdup("");
	if (cJSON_IsNumber(created))
		c->created =
		    docker_num_in(created->valuedouble, 0, DOCKER_NUM_MAX, 0);
	if (observe_parse_mounts(cJSON_GetObjectItemCaseSensitive(o, "Mounts"),
		&c->mounts, mounts_why) == 0)
		*mounts_why = NULL;
	if (cJSON_IsObject(labels)) {
		dup_str(labels, LABEL_ID, &c->label_id);
		dup_str(labels, LABEL_LINKS, &c->label_links);
		dup_str(labels, LABEL_HASH, &c->label_hash);
		dup_str(labels, LABEL_FIELDS, &c->label_fields);
		c->managed = cJSON_HasObjectItem(labels, LABEL_MANAGED);
		parse_replaces(labels, c);
	}
}

int
observe_parse_containers(const char *json, size_t len, struct ctr_list *out,
    char *err, size_t errlen)
{
	cJSON *j = cJSON_ParseWithLength(json, len), *o;
	struct ctr *c;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsArray(j)) {
		snprintf(err, errlen,
		    "GET /containers/json: expected a JSON "
		    "array of containers");
		cJSON_Delete(j);
		return -1;
	}
	cJSON_ArrayForEach(o, j)
	{
		const char *want, *field = NULL, *value = NULL, *mwhy = NULL;
		c = ctr_list_grow(out);
		ctr_parse(o, c, &mwhy);
		if ((want = ctr_check(c, mwhy, &field, &value)) != NULL) {
			snprintf(err, errlen,
			    "GET /containers/json: entry %zu: %s \"%.80s\": "
			    "expected %s; the whole answer is refused",
			    out->n, field, value, want);
			ctr_free(c);
			rc = -1;
			break;
		}
		out->n++;
	}
	cJSON_Delete(j);
	if (rc == -1)
		ctr_list_free(out);
	return rc;
}

static void
strlist_from(const cJSON *o, const char *key, struct strlist *l)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *s;

	cJSON_ArrayForEach(s, a) if (cJSON_IsString(s) &&
	    strcmp(s->valuestring, "<none>:<none>") != 0 &&
	    strcmp(s->valuestring, "<none>@<none>") != 0)
	    strlist_push(l, s->valuestring);
}

static void
img_free(struct img *i)
{
	free(i->id);
	strlist_free(&i->tags);
	strlist_free(&i->digests);
}

void
img_list_free(struct img_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		img_free(&l->v[i]);
	free(l->v);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

static int
img_name_cmp(const void *a, const void *b)
{
	const struct img_name *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r != 0)
		return r;
	return (x->img > y->img) - (x->img < y->img);
}

/* Tags and digests never collide: only a digest holds '@'. */
static void
img_index(struct img_list *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->v[i].tags.n + l->v[i].digests.n;
	l->names = xcalloc(n + 1, sizeof(*l->names));
	for (size_t i = 0; i < l->n; i++) {
		for (size_t k = 0; k < l->v[i].tags.n; k++)
			l->names[l->nnames++] =
			    (struct img_name){ l->v[i].tags.v[k], i };
		for (size_t k = 0; k < l->v[i].digests.n; k++)
			l->names[l->nnames++] =
			    (struct img_name){ l->v[i].digests.v[k], i };
	}
	qsort(l->names, l->nnames, sizeof(*l->names), img_name_cmp);
}

int
observe_parse_images(const char *json, size_t len, struct img_list *out,
    char *err, size_t errlen)
{
	cJSON *j = cJSON_ParseWithLength(json, len), *o;
	int n;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsArray(j)) {
		snprintf(err, errlen,
		    "GET /images/json: expected a JSON array "
		    "of images");
		cJSON_Delete(j);
		return -1;
	}
	n = cJSON_GetArraySize(j);
	if (n > 0)
		out->v = xcalloc((size_t)n, sizeof(*out->v));
	cJSON_ArrayForEach(o, j)
	{
		struct img *i = &out->v[out->n];

		out->n++;
		dup_str(o, "Id", &i->id);
		strlist_from(o, "RepoTags", &i->tags);
		strlist_from(o, "RepoDigests", &i->digests);
		if (!docker_image_id_valid(i->id)) {
			snprintf(err, errlen,
			    "GET /images/json: entry %zu: Id \"%.80s\": "
			    "expected an image ID, sha256: and 64 lowercase "
			    "hex digits; the whole answer is refused",
			    out->n - 1, i->id ? i->id : "(none)");
			goto refuse;
		}
	}
	img_index(out);
	cJSON_Delete(j);
	return 0;
refuse:
	cJSON_Delete(j);
	img_list_free(out);
	return -1;
}

int
ctr_running(const struct ctr *c)
{
	return strcmp(c->state, "running") == 0 ||
	    strcmp(c->state, "restarting") == 0 ||
	    strcmp(c->state, "paused") == 0;
}

void
ctr_set_state(struct ctr *c, const char *state)
{
	free(c->state);
	c->state = xstrdup(state);
}

static int
strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/*
 * The first image in list order that has the tag (or digest) r names: a
 * binary search in the sorted index, O(log M) for M local images.
 */
const struct img *
img_find(const struct img_list *l, const struct imageref *r)
{
	char *want = imageref_local_name(r);
	size_t lo = 0, hi = l->nnames;

	if (want == NULL)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(l->names[mid].name, want) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < l->nnames && strcmp(l->names[lo].name, want) == 0) {
		free(want);
		return &l->v[l->names[lo].img];
	}
	free(want);
	return NULL;
}

int
img_has_digest(
    const struct img *i, const struct imageref *r, const char *digest)
{
	char *want;
	int has;

	if (asprintf(&want, "%s@%s", r->familiar, digest) == -1)
		return 0;
	has = strlist_has(&i->digests, want);
	free(want);
	return has;
}

int
img_dangling(const struct img *i)
{
	return i->tags.n == 0;
}

static int
hex64_at(const char *p, const char *end)
{
	if (end - p < 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)p[i]) ||
		    isupper((unsigned char)p[i]))
			return 0;
	return p + 64 == end || !isxdigit((unsigned char)p[64]);
}

/* The first 64-hex ID that follows one of marks in [p, end). */
static int
find_id_after(const char *p, const char *end, const char *const *marks,
    size_t nmarks, char out[65])
{
	for (; p < end; p++) {
		for (size_t m = 0; m < nmarks; m++) {
			size_t ml = strlen(marks[m]);
			if ((size_t)(end - p) > ml &&
			    memcmp(p, marks[m], ml) == 0 &&
			    hex64_at(p + ml, end)) {
				memcpy(out, p + ml, 64);
				out[64] = '\0';
				return 0;
			}
		}
	}
	return -1;
}

int
selfid_parse_cgroup(const char *text, size_t len, char out[65])
{
	static const char *const marks[] = { "docker-", "docker/" };

	return find_id_after(text, text + len, marks, 2, out);
}

/*
 * Only the files the engine bind-mounts into every container count: on a
 * host, mountinfo also lists other containers' shm mounts.
 */
int
selfid_parse_mountinfo(const char *text, size_t len, char out[65])
{
	static const char *const marks[] = { "/containers/" };
	static const char *const points[] = { " /etc/hostname ",
		" /etc/resolv.conf ", " /etc/hosts " };
	const char *line = text, *end = text + len, *nl;

	for (; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		for (size_t i = 0; i < 3; i++) {
			const char *pt = memmem(line, (size_t)(nl - line),
			    points[i], strlen(points[i]));
			if (pt != NULL &&
			    find_id_after(line, pt, marks, 1, out) == 0)
				return 0;
		}
	}
	return -1;
}

static int
selfid_from_file(
    const char *path, int (*parse)(const char *, size_t, char *), char out[65])
{
	char text[65536];
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len < sizeof(text) &&
	    (n = read(fd, text + len, sizeof(text) - len)) > 0)
		len += (size_t)n;
	close(fd);
	return parse(text, len, out);
}

const char *
selfid_get(void)
{
	static char id[65];
	static int done;

	if (!done) {
		done = 1;
		if (selfid_from_file(
			"/proc/self/cgroup", selfid_parse_cgroup, id) == -1 &&
		    selfid_from_file("/proc/self/mountinfo",
			selfid_parse_mountinfo, id) == -1)
			id[0] = '\0';
	}
	return id[0] ? id : NULL;
}

const char *
selfid_resolve(const char *override)
{
	return override != NULL ? override : selfid_get();
}
