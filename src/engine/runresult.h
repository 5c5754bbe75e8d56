#ifndef DOCKERUP_RUNRESULT_H
#define DOCKERUP_RUNRESULT_H

#include "imsg.h"
#include "report.h"

/*
 * Tells the fetcher, which schedules the server's runs, how a run went
 * and why it failed (IMSG_RUN_RESULT): rc is engine_reconcile()'s return
 * (-1: the Docker engine did not answer), exit_code the run's status.
 */
void run_result_send(struct imsgbuf *fetcher, const struct run_report *rep,
    int rc, int exit_code, const char *remote);

#endif
