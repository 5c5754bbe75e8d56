/* The settings and error tail of the commands beside the daemon. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "errlist.h"
#include "settings_parse.h"

int
cli_run(const char *cmd, int argc, char *argv[],
    int (*run)(const struct settings *s, void *arg), void *arg)
{
	struct settings s;
	struct errlist errs;
	char line[2048];
	int rc;

	errlist_init(&errs);
	switch (settings_load_status(&s, argc, argv, &errs)) {
	case SETTINGS_OK:
		rc = run(&s, arg);
		break;
	case SETTINGS_EXIT_OK:
		rc = 0;
		break;
	default:
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "dockerup %s: %s\n", cmd,
			    cfgerr_format(&errs.v[i], line, sizeof(line)));
		rc = 2;
		break;
	}
	errlist_free(&errs);
	settings_free(&s);
	return rc;
}

int
cli_split_name(
    int argc, char *argv[], char **args, int max, int *n, const char **name)
{
	/* NAME, anywhere among the options (which take their argument). */
	*n = 0;
	*name = NULL;
	args[(*n)++] = argv[0];
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-' && *name == NULL &&
		    (i == 1 || argv[i - 1][0] != '-' ||
			strchr(argv[i - 1], '=') != NULL)) {
			*name = argv[i];
			continue;
		}
		if (*n >= max)
			return -1;
		args[(*n)++] = argv[i];
	}
	args[*n] = NULL;
	return 0;
}
