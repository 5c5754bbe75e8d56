/*
 * libFuzzer target: imsg framing (src/common/imsg.c) on its real receive
 * path.  The bytes are written into a socketpair, read back with
 * imsg_read() and cut into messages with imsg_get(), as a process reads
 * what its peer (possibly compromised) sends.  Any bytes must give
 * well-formed messages (length, type and sequence checked) until the
 * stream is refused or ends, without a crash, leak or undefined
 * behaviour; the payloads go through the wire decoders their type names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "defn.h"
#include "imsg.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What fits a socket's buffer in one write. */
#define FUZZ_IMSG_MAX_INPUT (64 * 1024)

static void
decode(const struct imsg *m)
{
	struct defn d;
	struct source_status s;
	struct settings st;
	char err[256];

	switch (m->hdr.type) {
	case IMSG_DEFN:
		if (wire_decode_defn(m->data, m->len, &d, err, sizeof(err)) ==
		    0)
			defn_free(&d);
		break;
	case IMSG_SOURCE:
		if (wire_decode_source(m->data, m->len, &s, err, sizeof(err)) ==
		    0) {
			free(s.name);
			free(s.error);
		}
		break;
	case IMSG_SETTINGS:
		if (wire_decode_settings(
			m->data, m->len, &st, err, sizeof(err)) == 0)
			settings_free(&st);
		break;
	}
}

static void
check(const struct imsg *m, uint32_t seq)
{
	if (m->hdr.type == IMSG_NONE || m->hdr.type >= IMSG_MAX ||
	    m->hdr.len < IMSG_HDR_SIZE || m->hdr.len > IMSG_MAX_SIZE ||
	    m->len != m->hdr.len - IMSG_HDR_SIZE || m->hdr.seq != seq ||
	    m->fd != -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imsgbuf ib;
	struct imsg m;
	uint32_t seq = 0;
	int sv[2], r;

	if (size > FUZZ_IMSG_MAX_INPUT ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return 0;
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size)
		abort();
	close(sv[1]);
	imsg_init(&ib, sv[0], PROC_ENGINE);
	for (;;) {
		if ((r = imsg_get(&ib, &m)) == 1) {
			check(&m, seq++);
			decode(&m);
			continue;
		}
		if (r == -1 || imsg_read(&ib) <= 0)
			break;
	}
	imsg_clear(&ib);
	close(sv[0]);
	return 0;
}
