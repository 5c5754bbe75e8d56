#ifndef DOCKERUP_CLI_H
#define DOCKERUP_CLI_H

/*
 * What the commands beside the daemon (src/status/: `dockerup status`,
 * `dockerup retry`, ...) share: the reading of their settings and the
 * report of its errors.
 */
#include "settings.h"

/*
 * Reads the settings of `dockerup CMD [OPTIONS]` (argv[0] is CMD; see
 * settings_load_status()) and returns what run(&s, arg) returns.  --help
 * and --version return 0; bad settings print one line each, "dockerup
 * CMD: where: what; expected ...", on stderr and return 2.
 */
int cli_run(const char *cmd, int argc, char *argv[],
    int (*run)(const struct settings *s, void *arg), void *arg);

/*
 * argv without its NAME (the first word that is no option's argument)
 * into args (at most max, NULL-terminated), their count in *n, NAME in
 * *name (NULL when none).  -1 when there are too many.
 */
int cli_split_name(
    int argc, char *argv[], char **args, int max, int *n, const char **name);

#endif
