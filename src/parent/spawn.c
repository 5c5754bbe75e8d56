/* Starting a child: fork, put its sockets on fixed fds, re-exec. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"
#include "proc.h"

/* Moves fd to target without losing the other one if they collide. */
static int
move_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) == -1 ? -1 : 0;
}

pid_t
parent_spawn(const char *self, const char *role, int parent_fd, int peer_fd,
    int lock_fd, int verbose)
{
	pid_t pid, me = getpid();
	char ppid[24];

	snprintf(ppid, sizeof(ppid), "%ld", (long)me);
	switch (pid = fork()) {
	case -1:
		log_warn("fork %s", role);
		return -1;
	case 0:
		break;
	default:
		return pid;
	}
	/* Child: the parent blocks its signals; exec keeps the mask. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/*
	 * Dies with us from here on; the exec may clear this (proc.h), so the
	 * child sets it again and checks our pid, given after the role.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 || getppid() != me)
		_exit(127);
	/* The sockets may sit on 3 to 5 already; park them first. */
	int pfd = fcntl(parent_fd, F_DUPFD_CLOEXEC, 10);
	int qfd = fcntl(peer_fd, F_DUPFD_CLOEXEC, 10);
	int lfd = lock_fd == -1 ? -1 : fcntl(lock_fd, F_DUPFD_CLOEXEC, 10);
	if (pfd == -1 || qfd == -1 || (lock_fd != -1 && lfd == -1) ||
	    move_fd(pfd, PARENT_FD) == -1 || move_fd(qfd, PEER_FD) == -1 ||
	    (lfd != -1 && move_fd(lfd, LOCK_FD) == -1))
		_exit(127);
	char *argv[] = { (char *)self, "-R", (char *)role, PROC_PARENT_ARG,
		ppid, verbose ? "-v" : NULL, NULL };
	execv(self, argv);
	log_warn("exec %s for %s", self, role);
	_exit(127);
}
