/*
 * Prints the dockerup.hash labels a definition gives a container of an
 * image: the one dockerup makes now, and the one dockerup up to
 * 2026-12-02 made (its hash covered update.*), "-" when the same.  The
 * integration tests use it to make a container as an older dockerup
 * labelled it.
 * usage: spec_hashes FILE IMAGE_ID
 */
#include <stdio.h>
#include <stdlib.h>

#include "defs.h"
#include "errlist.h"
#include "fetch.h"
#include "spec.h"

int
main(int argc, char *argv[])
{
	struct defs_result r;
	struct errlist e;
	char now[65], v1[65], *doc;
	long len;
	FILE *f;
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: spec_hashes FILE IMAGE_ID\n");
		return 2;
	}
	if ((f = fopen(argv[1], "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (doc = malloc((size_t)len + 1)) == NULL ||
	    fread(doc, 1, (size_t)len, f) != (size_t)len) {
		perror(argv[1]);
		return 2;
	}
	fclose(f);
	defs_result_init(&r);
	errlist_init(&e);
	if (defs_parse(argv[1], doc, (size_t)len, DOC_FILE, &direct_file_ops,
		&r, &e) != 0 ||
	    r.n != 1)
		fprintf(stderr, "%s: not one valid definition\n", argv[1]);
	else if (spec_wants(&r.defs[0], argv[2], now, v1) == -1)
		fprintf(stderr, "%s: cannot hash\n", argv[1]);
	else {
		printf("%s %s\n", now, v1[0] ? v1 : "-");
		rc = 0;
	}
	errlist_free(&e);
	defs_result_free(&r);
	free(doc);
	return rc;
}
