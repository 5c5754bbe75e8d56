/*
 * dockerup: keeps one host's containers equal to a declared desired state.
 * One binary; the parent re-executes it with "-R fetcher" or "-R engine"
 * for each child, so every child starts from a fresh address space.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "proc.h"
#include "status.h"

int
main(int argc, char *argv[])
{
	if (argc >= 3 && strcmp(argv[1], "-R") == 0) {
		if (strcmp(argv[2], "fetcher") == 0)
			return fetcher_main();
		if (strcmp(argv[2], "engine") == 0)
			return engine_main();
		fatalx("unknown role \"%s\"", argv[2]);
	}
	/* Reads <cache>/status.json: no child, no lock, no privilege. */
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return status_command(argc - 1, argv + 1);
	return parent_main(argc, argv);
}
