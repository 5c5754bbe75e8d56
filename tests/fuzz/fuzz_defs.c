/*
 * libFuzzer target: one definitions document -> canonical definitions ->
 * the shared validation and the whole-state check.  What the parser
 * accepts must pass defn_validate() unchanged (the engine runs it again),
 * and a rejected document yields no definition.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "defn.h"
#include "defs.h"
#include "errlist.h"
#include "fetch.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every seccomp=PATH names this profile; no file is read. */
static int
fake_read_file(void *ctx, const char *path, struct buf *out)
{
	if (strstr(path, "missing") != NULL) {
		errno = ENOENT;
		return -1;
	}
	return buf_append_str(out,
	    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", "
	    "\"syscalls\": [{\"names\": [\"read\"], \"action\": "
	    "\"SCMP_ACT_ALLOW\"}]}");
}

static const struct file_ops fake_ops = { .read_file = fake_read_file };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct defs_result r;
	struct desired_state st;
	struct errlist e, v;
	size_t problems;
	enum doc_form form =
	    size > 0 && data[0] == '{' ? DOC_FILE : DOC_USERDATA;

	defs_result_init(&r);
	errlist_init(&e);
	errlist_init(&v);
	problems = defs_parse(
	    "fuzz.json", (const char *)data, size, form, &fake_ops, &r, &e);
	if ((problems == 0) != (e.n == 0) || (problems > 0 && r.n > 0))
		abort();
	desired_state_init(&st);
	for (size_t i = 0; i < r.n; i++) {
		if (defn_validate(&r.defs[i], "fuzz.json", r.prefix[i], &v) !=
		    0)
			abort();
		desired_state_add(&st, &r.defs[i]);
	}
	(void)state_validate_and_order(&st, &v);
	desired_state_free(&st);
	defs_result_free(&r);
	errlist_free(&e);
	errlist_free(&v);
	return 0;
}
