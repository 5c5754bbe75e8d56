#ifndef DOCKERUP_BUF_H
#define DOCKERUP_BUF_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer with a hard upper bound.  The buffer owns p. */
struct buf {
	unsigned char *p;
	size_t len;
	size_t cap;
	size_t max; /* appends that would pass it fail with E2BIG */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16(struct buf *b, uint16_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
/*
 * Appends everything fd holds up to its end (b's bound applies: more is
 * EFBIG).  The one read loop for files: interrupted reads are retried, and
 * the stack copy is wiped (files may hold secrets).  0, or -1 with errno;
 * on error b keeps what was read.
 */
int buf_read_fd(struct buf *b, int fd);
/* NUL-terminates without counting the NUL in len; returns p as char *. */
char *buf_cstr(struct buf *b);

#endif
