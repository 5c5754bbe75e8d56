/* What the two children do alike at start. */
#include "proc.h"

#include "bounds.h"
#include "imsg.h"
#include "log.h"
#include "wire.h"

/* The first message a child gets: the settings the parent resolved. */
void
proc_receive_settings(struct imsgbuf *ib, struct settings *s)
{
	struct imsg m;
	char err[256];

	if (imsg_wait(ib, &m, SETTINGS_WAIT_MS) != 1 ||
	    m.hdr.type != IMSG_SETTINGS || m.fd != -1)
		fatalx("no settings from the parent");
	if (wire_decode_settings(m.data, m.len, s, err, sizeof(err)) == -1)
		fatalx("settings from the parent: %s", err);
	/* Each process connects to syslog itself, before its filter. */
	log_configure(s->log_format == LOGFMT_JSON, s->syslog, 0);
}
