#ifndef DOCKERUP_SUGGEST_H
#define DOCKERUP_SUGGEST_H

#include <stddef.h>

size_t edit_distance(const char *a, const char *b);

#endif
