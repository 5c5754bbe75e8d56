#ifndef DOCKERUP_SETTINGS_PARSE_H
#define DOCKERUP_SETTINGS_PARSE_H

/*
 * The reading of the settings: the command line, the settings file,
 * DOCKER_HOST, in that order of precedence over the defaults; each by the
 * rows of settings_table (settings.h).  Done by the parent before any
 * child exists, and by `dockerup status` (src/status/); never by a child,
 * which gets the result on the wire.
 */
#include <stddef.h>
#include <stdint.h>

#include "errlist.h"
#include "settings.h"

enum settings_result {
	SETTINGS_OK = 0,
	SETTINGS_EXIT_OK, /* --help or --version was printed */
	SETTINGS_USAGE,   /* exit 2 */
};

/*
 * Parses argv, then the settings file (read with the caller's privileges),
 * then the environment.  Every problem goes to errs with file:line.
 * Initializes s itself (settings_init); settings_free() it afterwards.
 */
enum settings_result settings_load(
    struct settings *s, int argc, char *argv[], struct errlist *errs);
/*
 * The same for `dockerup status [OPTIONS]` (argv[0] is "status"): the
 * options of the daemon are accepted (--cache and --config matter) and
 * --format needs no --dry-run.
 */
enum settings_result settings_load_status(
    struct settings *s, int argc, char *argv[], struct errlist *errs);
/*
 * Parses settings-file bytes; keys whose setting_bit() is in *cmdline_set
 * (set on the command line; NULL: none) are checked but kept.
 */
int settings_parse_file(struct settings *s, const char *path, const char *data,
    size_t len, const uint64_t *cmdline_set, struct errlist *errs);
/* Normalizes a Docker endpoint; NULL with *err set when invalid. */
char *settings_normalize_remote(const char *url, const char **err);

#endif
