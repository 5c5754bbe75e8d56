/*
 * dockerup: keeps one host's containers equal to a declared desired state.
 * One binary; the parent re-executes it with "-R fetcher" or "-R engine"
 * for each child, so every child starts from a fresh address space.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "log.h"
#include "proc.h"
#include "fleetcmd.h"
#include "status.h"

/* "-R ROLE -P PID": the pid of the parent that started this child. */
static pid_t
child_parent_pid(int argc, char *argv[])
{
	char *end;
	long pid;

	if (argc < 5 || strcmp(argv[3], PROC_PARENT_ARG) != 0)
		fatalx("role %s started without %s PID: expected the parent's "
		       "pid after the role",
		    argv[2], PROC_PARENT_ARG);
	errno = 0;
	pid = strtol(argv[4], &end, 10);
	/* 1: the parent is the init of a container (our image's entry). */
	if (errno != 0 || end == argv[4] || *end != '\0' || pid < 1 ||
	    pid > INT_MAX)
		fatalx("role %s: %s \"%s\": expected a positive pid", argv[2],
		    PROC_PARENT_ARG, argv[4]);
	return (pid_t)pid;
}

int
main(int argc, char *argv[])
{
	if (argc >= 3 && strcmp(argv[1], "-R") == 0) {
		pid_t parent = child_parent_pid(argc, argv);
		/*
		 * The fetcher never reaches Docker: it dies at once.  The
		 * engine gets SIGTERM, as at a shutdown: it finishes the
		 * Docker calls in flight, still holding the run lock
		 * (LOCK_FD), and makes no other (proc_check_parent()).
		 */
		if (strcmp(argv[2], "fetcher") == 0) {
			proc_set_parent(parent, SIGKILL);
			return fetcher_main();
		}
		if (strcmp(argv[2], "engine") == 0) {
			proc_set_parent(parent, SIGTERM);
			return engine_main();
		}
		fatalx("unknown role \"%s\"", argv[2]);
	}
	/* Reads <cache>/status.json: no child, no lock, no privilege. */
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return status_command(argc - 1, argv + 1);
	/* Clears a held rollback in <cache>/failed.json: root, no child. */
	if (argc >= 2 && strcmp(argv[1], "retry") == 0)
		return retry_command(argc - 1, argv + 1);
	/* The fleet group as etcd holds it; fleet retry: root. */
	if (argc >= 2 && strcmp(argv[1], "fleet") == 0)
		return fleet_command(argc - 1, argv + 1);
	return parent_main(argc, argv);
}
