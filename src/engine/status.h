#ifndef DOCKERUP_STATUS_H
#define DOCKERUP_STATUS_H

/*
 * What a run did, for people and monitors (issue #7):
 *  - the per-definition records of a struct run_report, filled by small
 *    hooks in the run (report_*);
 *  - the plan of a dry run as one JSON document (--dry-run --format json);
 *  - <cache>/status.json and the Prometheus textfile (metrics_file=),
 *    both replaced atomically after every run.  The engine opens their
 *    directories before its sandbox (status_open) and writes with
 *    openat/renameat afterwards; the run counters survive restarts in
 *    status.json's "totals".
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "defn.h"
#include "report.h"
#include "settings.h"

#define STATUS_FILE    "status.json"
#define STATUS_VERSION 1

/* ---- the run report (reconcile.c's hooks) ---- */

void run_report_free(struct run_report *rep);

/* A plan line: "VERB NAME [DETAIL] (REASON)". */
void report_plan(struct run_report *rep, const char *line);
/* A failure: kept as the current definition's error, else the run's. */
void report_fail(struct run_report *rep, const char *msg);
/*
 * The health gate rolled the current definition's update back (msg says
 * why): it runs (running) or keeps (stopped) its old container, whose
 * image is image_id; not a failure of the definition.
 */
void report_rolled_back(
    struct run_report *rep, const char *msg, int running, const char *image_id);
/* The run could not start (engine unreachable). */
void report_run_error(struct run_report *rep, const char *msg);
/* Brackets one definition's part of the run. */
void report_item_begin(
    struct run_report *rep, const char *ident, const char *name);
/* The image the definition runs, and whether its container ran before. */
void report_item_seen(struct run_report *rep, const char *image_id,
    int was_running, int has_container);
void report_item_end(struct run_report *rep, const char *container_id);
/* The image of the container that serves it after the run, when it is
 * not the one resolved (an update held back or rolled back). */
void report_item_runs(struct run_report *rep, const char *image_id);

/* ---- outputs ---- */

/* The plan of a dry run as one JSON document on f. */
void status_print_plan(const struct run_report *rep, int exit_code, FILE *f);

/* Before the sandbox: opens the directories, reads the totals back. */
void status_open(const struct settings *s);

struct run_timing {
	int64_t start;   /* unix time the run started */
	double duration; /* seconds */
};

/*
 * Replaces dirfd/name with data atomically (temporary file, fsync,
 * rename, fsync of the directory), created with mode; a 0640 file goes to
 * status_group when set.  -1 with errno set.
 */
int status_write_file(
    int dirfd, const char *name, const char *data, size_t len, mode_t mode);

/* After a run: status.json, then the metrics file (when configured). */
void status_write(const struct settings *s, const struct desired_state *st,
    const struct run_report *rep, const struct run_timing *t, int exit_code);

/* `dockerup status`: argv[0] is "status".  Returns the exit status. */
int status_command(int argc, char *argv[]);
/* `dockerup retry NAME` (src/status/retrycmd.c): argv[0] is "retry". */
int retry_command(int argc, char *argv[]);
/*
 * The totals of earlier runs from status.json's bytes (read back: any
 * bytes); numbers out of range count as 0.  -1 when not a JSON object.
 */
struct status_totals {
	uint64_t runs, failures, rollbacks;
	int64_t last_success;
};
int status_parse_totals(const char *data, size_t len, struct status_totals *t);
/*
 * status.json (doc) as the table `dockerup status` prints: every text
 * field escaped as log lines are (log_escape()), every number range-checked.
 */
struct cJSON;
void status_print_table(const struct cJSON *doc, FILE *f);

#endif
