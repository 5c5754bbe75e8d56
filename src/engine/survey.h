#ifndef DOCKERUP_SURVEY_H
#define DOCKERUP_SURVEY_H

/*
 * A run's look at the host: the endpoint, its containers and images,
 * and the registry credentials.
 */
#include "run.h"

/* /_ping, one container list, one image list; -1 with err set. */
int run_observe(struct run *r, char *err, size_t errlen);
/* The registry credentials again, or the last good ones. */
void run_load_auth(struct run *r);

#endif
