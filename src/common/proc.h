#ifndef DOCKERUP_PROC_H
#define DOCKERUP_PROC_H

/*
 * The three processes.  A child finds its socket to the parent on
 * PARENT_FD and, once the parent passes it, its socket to the other child
 * on PEER_FD (initially also set up by the parent before exec).
 */
#include <sys/types.h>

#include "imsg.h"
#include "settings.h"

#define PARENT_FD 3
#define PEER_FD   4
/*
 * The engine's copy of the parent's run-lock file: flock(2) locks belong
 * to the open file, so the lock is held while either process lives and
 * is free only once both are gone.  No engine can outlive its lock.
 */
#define LOCK_FD   5

/* "-R ROLE -P PID": the parent passes its pid to each child it starts. */
#define PROC_PARENT_ARG "-P"

int parent_main(int argc, char *argv[]);
int fetcher_main(void);
int engine_main(void);

void proc_receive_settings(struct imsgbuf *ib, struct settings *s);

/*
 * A child dies with its parent: sig on the parent's death
 * (PR_SET_PDEATHSIG), then the parent's pid checked, since it may be gone
 * already.  The kernel clears the setting at an exec that changes
 * credentials or capabilities and whenever the uid or gid changes, so a
 * child calls proc_set_parent() at start, with the parent's pid from its
 * argv, and proc_die_with_parent() again after its last credential
 * change, before its seccomp filter (which refuses prctl).
 */
void proc_set_parent(pid_t parent, int sig);
void proc_die_with_parent(void);
/* 1 when the parent that started us is gone (never before the above). */
int proc_parent_gone(void);
/* Exits at once when the parent that started us is gone. */
void proc_check_parent(void);

#endif
