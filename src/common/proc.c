/* What the two children do alike at start. */
#include "proc.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

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

/* The parent that started us, 0 until proc_set_parent(), and the signal
 * its death sends us. */
static pid_t expected_parent;
static int death_signal;

void
proc_set_parent(pid_t parent, int sig)
{
	if (parent < 1)
		fatalx("parent pid %ld: expected the pid of the dockerup that "
		       "started this process",
		    (long)parent);
	expected_parent = parent;
	death_signal = sig;
	proc_die_with_parent();
}

void
proc_die_with_parent(void)
{
	if (expected_parent == 0)
		fatalx("%s: no parent pid recorded", __func__);
	if (prctl(PR_SET_PDEATHSIG, death_signal, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_PDEATHSIG, %d)", death_signal);
	proc_check_parent();
}

int
proc_parent_gone(void)
{
	return expected_parent != 0 && getppid() != expected_parent;
}

/*
 * Once the parent is gone, its run lock may soon be another instance's:
 * not one more step.
 */
void
proc_check_parent(void)
{
	if (!proc_parent_gone())
		return;
	log_warnx("the parent dockerup (pid %ld) is gone: exiting before "
		  "anything else is done",
	    (long)expected_parent);
	log_flush();
	_exit(1);
}
