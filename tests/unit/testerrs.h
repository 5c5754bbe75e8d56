#ifndef DOCKERUP_TESTERRS_H
#define DOCKERUP_TESTERRS_H

/*
 * What a failing test prints of the problems it was given: each line as
 * the user would read it.  Include after <cmocka.h> and "errlist.h".
 */
static inline void
print_errors(const struct errlist *e)
{
	char line[1400];

	for (size_t i = 0; i < e->n; i++)
		print_message(
		    "  %s\n", cfgerr_format(&e->v[i], line, sizeof(line)));
}

#endif
