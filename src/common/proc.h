#ifndef DOCKERUP_PROC_H
#define DOCKERUP_PROC_H

/*
 * The three processes.  A child finds its socket to the parent on
 * PARENT_FD and, once the parent passes it, its socket to the other child
 * on PEER_FD (initially also set up by the parent before exec).
 */
#include "imsg.h"
#include "settings.h"

#define PARENT_FD 3
#define PEER_FD   4

int parent_main(int argc, char *argv[]);
int fetcher_main(void);
int engine_main(void);

void proc_receive_settings(struct imsgbuf *ib, struct settings *s);

#endif
