# Installing, included by the top Makefile.
#   make install     the binary, dockerup(8), dockerup.conf(5), an example
#                    settings file (only where there is none yet), the
#                    confdir and the systemd unit, under DESTDIR
#                    and, without DESTDIR, the fetcher's account
#                    FETCH_USER when missing (dist/fetch-user.sh)
#   make uninstall   removes what install put in place, except the
#                    settings file and the confdir (they are the admin's)
#                    and the account (a uid freed could be given to a later
#                    account, which would then own whatever the old one
#                    left behind or still runs)
# Variables: PREFIX (/usr/local), DESTDIR, SBINDIR ($(PREFIX)/sbin),
# MANDIR ($(PREFIX)/share/man), SYSCONFDIR (/etc), SYSTEMDUNITDIR
# ($(PREFIX)/lib/systemd/system).  The cache directory is dockerup's own:
# it creates it at startup (and the unit's CacheDirectory= does too).

SBINDIR ?= $(BINDIR)
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL ?= install
FETCH_USER ?= dockerup-fetch

DIST_ETC := $(DESTDIR)$(SYSCONFDIR)/dockerup
DIST_SUBST := sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

.PHONY: install uninstall

install: dockerup
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMDUNITDIR) \
	    $(DIST_ETC) $(DIST_ETC)/containers.d
	$(INSTALL) -m 0755 dockerup $(DESTDIR)$(SBINDIR)/dockerup
	$(INSTALL) -m 0644 man/dockerup.8 $(DESTDIR)$(MANDIR)/man8/dockerup.8
	$(INSTALL) -m 0644 man/dockerup.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/dockerup.conf.5
	@mkdir -p $(BUILD)
	$(DIST_SUBST) dist/dockerup.service.in > $(BUILD)/dockerup.service
	$(INSTALL) -m 0644 $(BUILD)/dockerup.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/dockerup.service
	@if [ -e $(DIST_ETC)/dockerup.conf ]; then \
	    echo "keeping $(DIST_ETC)/dockerup.conf"; \
	else \
	    $(DIST_SUBST) dist/dockerup.conf.in > $(BUILD)/dockerup.conf && \
	    echo "$(INSTALL) -m 0644 $(BUILD)/dockerup.conf" \
	        "$(DIST_ETC)/dockerup.conf" && \
	    $(INSTALL) -m 0644 $(BUILD)/dockerup.conf \
	        $(DIST_ETC)/dockerup.conf; \
	fi
	@if [ -z "$(DESTDIR)" ]; then \
	    sh dist/fetch-user.sh $(FETCH_USER); \
	else \
	    echo "DESTDIR set: create the account $(FETCH_USER) on the" \
	        "target (dist/fetch-user.sh $(FETCH_USER))"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/dockerup \
	    $(DESTDIR)$(MANDIR)/man8/dockerup.8 \
	    $(DESTDIR)$(MANDIR)/man5/dockerup.conf.5 \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/dockerup.service
	@echo "kept $(DIST_ETC) (settings and definitions)"
	@echo "kept the account $(FETCH_USER): a uid freed could go to a" \
	    "later account; userdel it by hand when nothing of it is left"
