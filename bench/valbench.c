/*
 * The cost of checking and ordering a whole desired state
 * (state_validate_and_order, what the fetcher and the engine both run on
 * every state) against the number of definitions: independent ones, and a
 * chain where definition i takes volumes from i+1, so that the smallest
 * name is the last one ready.  Prints a markdown table for the benchmark
 * report; linear cost shows as a flat time per definition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "defn.h"
#include "errlist.h"
#include "log.h"
#include "validate.h"

#define VB_REPEAT 200

static char *
xstrdup_vb(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

static void
build(struct desired_state *s, size_t n, int chain)
{
	char name[32];

	desired_state_init(s);
	for (size_t i = 0; i < n; i++) {
		struct defn d;
		memset(&d, 0, sizeof(d));
		snprintf(name, sizeof(name), "c%04zu", i);
		d.name = xstrdup_vb(name);
		d.image = xstrdup_vb("busybox:latest");
		d.update_pull = 1;
		if (chain && i + 1 < n) {
			if ((d.volumes = calloc(1, sizeof(*d.volumes))) == NULL)
				fatal("calloc");
			snprintf(name, sizeof(name), "c%04zu", i + 1);
			d.volumes[0].from = xstrdup_vb(name);
			d.nvolumes = 1;
		}
		desired_state_add(s, &d);
	}
}

static double
seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
measure(size_t n, int chain)
{
	struct desired_state s;
	struct timespec t0, t1;
	struct errlist errs;

	build(&s, n, chain);
	errlist_init(&errs);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int r = 0; r < VB_REPEAT; r++)
		if (state_validate_and_order(&s, &errs) != 0)
			fatalx("state of %zu definitions: %s", n,
			    errs.n ? errs.v[0].msg : "?");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = seconds(&t0, &t1) * 1e6 / VB_REPEAT;
	printf("| %s | %zu | %.0f | %.2f |\n", chain ? "chain" : "independent",
	    n, us, us / (double)n);
	errlist_free(&errs);
	desired_state_free(&s);
}

int
main(void)
{
	static const size_t sizes[] = { 64, 128, 256, 512 };

	log_init("valbench", 0);
	printf("| definitions | N | us per state | us per definition |\n");
	printf("|---|---|---|---|\n");
	for (int chain = 0; chain <= 1; chain++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
			measure(sizes[i], chain);
	return 0;
}
