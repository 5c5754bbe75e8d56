#include "imageref.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* A first path component naming a registry rather than a Hub user. */
static int
is_registry_component(const char *s, size_t n)
{
	if (n == 9 && strncmp(s, "localhost", 9) == 0)
		return 1;
	return memchr(s, '.', n) != NULL || memchr(s, ':', n) != NULL;
}

static char *
familiar_of(const char *repo, size_t n, char **registry)
{
	const char *slash = memchr(repo, '/', n);
	size_t first = slash ? (size_t)(slash - repo) : n;

	if (slash && is_registry_component(repo, first)) {
		*registry = strndup(repo, first);
		if (*registry && strcmp(*registry, "docker.io") != 0 &&
		    strcmp(*registry, "index.docker.io") != 0)
			return xstrndup(repo, n);
		/* Hub names are shown without the registry. */
		free(*registry);
		*registry = NULL;
		repo += first + 1;
		n -= first + 1;
	}
	if (*registry == NULL)
		*registry = xstrdup("docker.io");
	if (n > 8 && strncmp(repo, "library/", 8) == 0 &&
	    memchr(repo + 8, '/', n - 8) == NULL) {
		repo += 8;
		n -= 8;
	}
	return xstrndup(repo, n);
}

int
imageref_parse(const char *ref, struct imageref *r)
{
	const char *at = strchr(ref, '@'), *slash, *colon;
	size_t end = at ? (size_t)(at - ref) : strlen(ref);

	memset(r, 0, sizeof(*r));
	slash = memrchr(ref, '/', end);
	colon = memchr(slash ? slash : ref, ':',
	    end - (size_t)((slash ? slash : ref) - ref));
	if (colon != NULL) {
		r->tag = xstrndup(colon + 1, end - (size_t)(colon + 1 - ref));
		end = (size_t)(colon - ref);
	}
	if (at != NULL)
		r->digest = xstrdup(at + 1);
	if (end == 0 ||
	    (r->familiar = familiar_of(ref, end, &r->registry)) == NULL)
		goto fail;
	if (r->tag == NULL && r->digest == NULL)
		r->tag = xstrdup("latest");
	return 0;
fail:
	imageref_free(r);
	return -1;
}

void
imageref_free(struct imageref *r)
{
	free(r->registry);
	free(r->familiar);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

char *
imageref_local_name(const struct imageref *r)
{
	char *s;
	size_t n;

	n = strlen(r->familiar) + 2 +
	    (r->digest ? strlen(r->digest) : strlen(r->tag));
	s = xmalloc(n);
	if (r->digest)
		snprintf(s, n, "%s@%s", r->familiar, r->digest);
	else
		snprintf(s, n, "%s:%s", r->familiar, r->tag);
	return s;
}
