/*
 * libFuzzer target: <cache>/status.json read back, by the engine (the
 * totals of earlier runs, src/engine/status.c) and by `dockerup status`
 * (the table, src/parent/statuscmd.c).  Any bytes must be refused or
 * read without a crash, leak or undefined behaviour, and the table must
 * hold no control character but its own newlines: no field can reach the
 * terminal as an escape sequence.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether the table holds a C0 control (newline aside), DEL or C1. */
static int
has_control(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((p[i] < 0x20 && p[i] != '\n') || p[i] == 0x7f)
			return 1;
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct status_totals t;
	cJSON *doc;
	char *table = NULL;
	size_t len = 0;
	FILE *f;

	if (status_parse_totals((const char *)data, size, &t) == 0 &&
	    (t.last_success < 0 || t.runs > 9007199254740992ULL))
		abort();
	doc = cJSON_ParseWithLength((const char *)data, size);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return 0;
	}
	if ((f = open_memstream(&table, &len)) != NULL) {
		status_print_table(doc, f);
		fclose(f);
		if (has_control((const unsigned char *)table, len))
			abort();
		free(table);
	}
	cJSON_Delete(doc);
	return 0;
}
