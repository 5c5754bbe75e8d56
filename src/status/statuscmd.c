/*
 * `dockerup status`: <cache>/status.json (written by the engine after
 * every run) as a table for a person, or as it is with --format json.
 * No child, no lock, no privilege: it only reads the file.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "bounds.h"
#include "cli.h"
#include "log.h"
#include "status.h"
#include "xalloc.h"

#define SHORT_ID      12 /* hex digits of an ID shown in the table */
#define COL_ERROR_MAX 80 /* a last error is cut to this in the table */

/* The file's bytes, NUL-terminated; NULL with errno set. */
static char *
read_status(const char *path, size_t *lenp)
{
	struct buf b;
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	buf_init(&b, MAX_STATUS_FILE + 1);
	rc = buf_read_fd(&b, fd);
	saved = errno;
	close(fd);
	if (rc == -1 || b.len > MAX_STATUS_FILE) {
		buf_free(&b);
		errno = rc == -1 ? saved : EFBIG;
		return NULL;
	}
	*lenp = b.len;
	return buf_cstr(&b);
}

static const char *
str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/*
 * One line of text from the file (which the engine wrote from what a
 * Docker endpoint or a source said): escaped as log lines are, so that no
 * field can start a line or reach the terminal as a control sequence; cut
 * to max bytes with "..." when longer.
 */
static void
one_line(const char *s, char *out, size_t outlen, size_t max)
{
	if (s == NULL)
		s = "-";
	if (max + 4 > outlen)
		max = outlen - 4;
	if (s[log_escape(s, LOG_ESC_TEXT, out, max + 1)] != '\0')
		memcpy(out + strlen(out), "...", 4);
}

/* An ID cut to SHORT_ID characters, "sha256:" dropped; "-" for none. */
static void
short_id(const char *id, char *out, size_t outlen)
{
	char cut[SHORT_ID + 1];

	if (id == NULL || id[0] == '\0') {
		snprintf(out, outlen, "-");
		return;
	}
	if (strncmp(id, "sha256:", 7) == 0)
		id += 7;
	snprintf(cut, sizeof(cut), "%s", id);
	log_escape(cut, LOG_ESC_TEXT, out, outlen);
}

enum { C_NAME, C_STATE, C_CTR, C_IMAGE, C_ACTION, C_ERROR, C_N };

struct row {
	char col[C_N][COL_ERROR_MAX + 8];
};

static void
fill_row(const cJSON *d, struct row *r)
{
	const char *name = str(d, "name");

	one_line(name ? name : str(d, "id"), r->col[C_NAME],
	    sizeof(r->col[C_NAME]), COL_ERROR_MAX);
	one_line(
	    str(d, "state"), r->col[C_STATE], sizeof(r->col[0]), COL_ERROR_MAX);
	short_id(str(d, "container_id"), r->col[C_CTR], sizeof(r->col[0]));
	short_id(str(d, "image_id"), r->col[C_IMAGE], sizeof(r->col[0]));
	one_line(str(d, "last_action"), r->col[C_ACTION], sizeof(r->col[0]),
	    COL_ERROR_MAX);
	one_line(str(d, "last_error"), r->col[C_ERROR], sizeof(r->col[0]),
	    COL_ERROR_MAX);
}

static void
print_rows(const struct row *rows, size_t n, FILE *f)
{
	size_t w[C_N];

	for (int c = 0; c < C_N; c++) {
		w[c] = strlen(rows[0].col[c]);
		for (size_t i = 1; i < n; i++)
			if (strlen(rows[i].col[c]) > w[c])
				w[c] = strlen(rows[i].col[c]);
	}
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < C_N - 1; c++)
			fprintf(f, "%-*s  ", (int)w[c], rows[i].col[c]);
		fprintf(f, "%s\n", rows[i].col[C_N - 1]);
	}
}

static void
print_definitions(const cJSON *defs, FILE *f)
{
	size_t n = (size_t)cJSON_GetArraySize(defs), i = 1;
	struct row *rows;
	const cJSON *d;

	rows = xcalloc(n + 1, sizeof(*rows));
	snprintf(rows[0].col[C_NAME], sizeof(rows[0].col[0]), "NAME");
	snprintf(rows[0].col[C_STATE], sizeof(rows[0].col[0]), "STATE");
	snprintf(rows[0].col[C_CTR], sizeof(rows[0].col[0]), "CONTAINER");
	snprintf(rows[0].col[C_IMAGE], sizeof(rows[0].col[0]), "IMAGE");
	snprintf(rows[0].col[C_ACTION], sizeof(rows[0].col[0]), "LAST ACTION");
	snprintf(rows[0].col[C_ERROR], sizeof(rows[0].col[0]), "LAST ERROR");
	cJSON_ArrayForEach(d, defs) if (i <= n) fill_row(d, &rows[i++]);
	print_rows(rows, i, f);
	free(rows);
}

static void
print_sources(const cJSON *srcs, FILE *f)
{
	const cJSON *s;
	char name[COL_ERROR_MAX + 8], err[COL_ERROR_MAX + 8];
	char since[COL_ERROR_MAX + 8], health[COL_ERROR_MAX + 8];

	fprintf(f, "\nSOURCES\n");
	cJSON_ArrayForEach(s, srcs)
	{
		const char *h = str(s, "health");
		one_line(str(s, "name"), name, sizeof(name), COL_ERROR_MAX);
		one_line(str(s, "error"), err, sizeof(err), COL_ERROR_MAX);
		if (h != NULL && strcmp(h, "ok") == 0)
			fprintf(f, "  %s: ok\n", name);
		else if (h != NULL && strcmp(h, "using_last_good") == 0) {
			one_line(str(s, "good_since"), since, sizeof(since),
			    COL_ERROR_MAX);
			fprintf(f,
			    "  %s: using last good contents since %s (%s)\n",
			    name, since, err);
		} else {
			one_line(h, health, sizeof(health), COL_ERROR_MAX);
			fprintf(f, "  %s: %s: %s\n", name, health, err);
		}
	}
	if (cJSON_GetArraySize(srcs) == 0)
		fprintf(f, "  (none)\n");
}

/* The last rollback of each definition that had one (status.json). */
static void
print_rollbacks(const cJSON *defs, FILE *f)
{
	char name[COL_ERROR_MAX + 8], when[COL_ERROR_MAX + 8];
	char why[COL_ERROR_MAX + 8];
	const cJSON *d, *rb;
	int any = 0;

	cJSON_ArrayForEach(d, defs)
	{
		rb = cJSON_GetObjectItemCaseSensitive(d, "last_rollback");
		if (!cJSON_IsObject(rb))
			continue;
		if (!any)
			fprintf(f, "\nROLLBACKS\n");
		any = 1;
		one_line(str(d, "name") ? str(d, "name") : str(d, "id"), name,
		    sizeof(name), COL_ERROR_MAX);
		one_line(str(rb, "time"), when, sizeof(when), COL_ERROR_MAX);
		one_line(str(rb, "why"), why, sizeof(why), COL_ERROR_MAX);
		fprintf(f, "  %s: rolled back at %s (%s)%s\n", name, when, why,
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rb, "held"))
			? "; held back until the image or the definition "
			  "changes, or dockerup retry"
			: "");
	}
}

void
status_print_table(const cJSON *doc, FILE *f)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "counts");
	const cJSON *defs =
	    cJSON_GetObjectItemCaseSensitive(doc, "definitions");
	const char *err = str(doc, "error");
	double code = num(doc, "exit_code");
	char when[COL_ERROR_MAX + 8], result[COL_ERROR_MAX + 8];
	char error[4 * MAX_REPORT_TEXT + 8];

	one_line(str(doc, "time"), when, sizeof(when), COL_ERROR_MAX);
	one_line(str(doc, "result"), result, sizeof(result), COL_ERROR_MAX);
	/* Read back: a number out of range is not converted (no UB). */
	if (!(code >= 0 && code <= 255))
		code = -1;
	fprintf(f, "Last run:  %s, took %.1fs\n", when,
	    num(doc, "duration_seconds"));
	fprintf(f, "Result:    %s (exit %d)\n", result, (int)code);
	if (err != NULL) {
		one_line(err, error, sizeof(error), sizeof(error));
		fprintf(f, "Error:     %s\n", error);
	}
	fprintf(f,
	    "Counts:    %.0f created, %.0f replaced, %.0f started, "
	    "%.0f removed, %.0f unchanged, %.0f failed\n\n",
	    num(c, "created"), num(c, "replaced"), num(c, "started"),
	    num(c, "removed"), num(c, "unchanged"), num(c, "failed"));
	if (cJSON_GetArraySize(defs) > 0)
		print_definitions(defs, f);
	else
		fprintf(f, "No definitions.\n");
	print_rollbacks(defs, f);
	print_sources(cJSON_GetObjectItemCaseSensitive(doc, "sources"), f);
}

/* After the settings (arg: unused). */
static int
show(const struct settings *s, void *arg)
{
	char path[MAX_PATH_LEN + 32], *data;
	size_t len;
	cJSON *doc;

	snprintf(path, sizeof(path), "%s/%s", s->cache, STATUS_FILE);
	if ((data = read_status(path, &len)) == NULL) {
		if (errno == ENOENT)
			fprintf(stderr,
			    "dockerup status: %s: no status yet; it "
			    "is written after every run (not by --dry-run or "
			    "--check)\n",
			    path);
		else
			fprintf(stderr,
			    "dockerup status: %s: %s; expected a "
			    "readable file\n",
			    path, strerror(errno));
		return 1;
	}
	if ((doc = cJSON_ParseWithLength(data, len)) == NULL ||
	    !cJSON_IsObject(doc)) {
		fprintf(stderr,
		    "dockerup status: %s: not a JSON object; "
		    "expected the status the engine writes\n",
		    path);
		cJSON_Delete(doc);
		free(data);
		return 1;
	}
	if (s->format == OUTPUT_JSON)
		fwrite(data, 1, len, stdout);
	else
		status_print_table(doc, stdout);
	cJSON_Delete(doc);
	free(data);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
status_command(int argc, char *argv[])
{
	return cli_run("status", argc, argv, show, NULL);
}
