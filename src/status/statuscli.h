#ifndef DOCKERUP_STATUSCLI_H
#define DOCKERUP_STATUSCLI_H

/*
 * What the commands a person runs (status, retry, fleet) share: their
 * settings, read as a run reads them, and a NAME among their options.
 */
#include "settings.h"

/*
 * Loads the settings from argv (argv[0] is the command) and runs fn with
 * them: its result, 0 when an option asked for no more (--help), 2 when
 * the settings are refused (each problem on stderr after "dockerup CMD").
 */
int status_with_settings(const char *cmd, int argc, char *argv[],
    int (*fn)(const struct settings *s, void *arg), void *arg);
/*
 * argv without its NAME (the first word that is no option's argument;
 * name NULL: none is taken) into args (at most max, NULL-terminated),
 * their count in *n.  -1 when there are too many.
 */
int status_split_name(
    int argc, char *argv[], char **args, int max, int *n, const char **name);

#endif
