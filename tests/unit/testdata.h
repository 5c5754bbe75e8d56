#ifndef DOCKERUP_TESTDATA_H
#define DOCKERUP_TESTDATA_H

/*
 * The repository's own test data (tests/data/), for unit tests.  The
 * build passes its absolute path as TEST_DATA_DIR, so a test finds it from
 * any working directory and never reads a path outside the repository.
 * Include after <cmocka.h>.  A missing file fails the test with its path.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must name tests/data (see tests/tests.mk)"
#endif

/* The contents of tests/data/REL, NUL-terminated; the caller frees it. */
static inline char *
test_data_file(const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	char *p;
	long n = -1;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, rel);
	if ((f = fopen(path, "rb")) == NULL) {
		fail_msg("test data %s is missing: it belongs to the "
			 "repository (git checkout tests/data)",
		    path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fail_msg("%s: cannot size it", path);
		fclose(f);
		return NULL;
	}
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

static inline int
test_data_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in tests/data/REL ending in SUFFIX, sorted; returns how many
 * and sets *out (the caller frees each name and the array).  A missing or
 * empty directory fails the test.
 */
static inline size_t
test_data_list(const char *rel, const char *suffix, char ***out)
{
	char path[1024];
	size_t n = 0, sl = strlen(suffix);
	char **v = NULL;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, rel);
	if ((d = opendir(path)) == NULL) {
		fail_msg("test data directory %s is missing", path);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l <= sl ||
		    strcmp(de->d_name + l - sl, suffix) != 0)
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		assert_non_null(v);
		v[n] = malloc(strlen(rel) + l + 2);
		assert_non_null(v[n]);
		sprintf(v[n++], "%s/%s", rel, de->d_name);
	}
	closedir(d);
	if (n == 0)
		fail_msg("no *%s file in test data directory %s", suffix, path);
	qsort(v, n, sizeof(*v), test_data_name_cmp);
	*out = v;
	return n;
}

#endif
