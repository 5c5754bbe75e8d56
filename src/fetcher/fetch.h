#ifndef DOCKERUP_FETCH_H
#define DOCKERUP_FETCH_H

/*
 * Loading the desired state from its sources (confdir files, EC2
 * user-data).  Files are read by whoever holds the right to read them
 * (the parent, for root-only files) through these operations, so the
 * parsing code never needs a privilege.
 */
#include <stddef.h>

#include "buf.h"
#include "defn.h"
#include "errlist.h"
#include "settings.h"

struct confdir_file {
	char *path;          /* confdir/name.json, as shown in errors */
	unsigned char *data; /* owned; NULL when err != 0 */
	size_t len;
	int err; /* errno of a failed read, or 0 */
};

struct confdir_listing {
	struct confdir_file *files; /* *.json, in name order */
	size_t n;
	int err; /* errno when the directory itself failed */
};

void confdir_listing_free(struct confdir_listing *l);

/*
 * User-data (or etcd's keys) as the fetcher's loader process loaded it
 * (src/fetcher/udproc.c): one source (etcd: one per key), its definitions with their field path prefixes
 * ("containers[2]"), its problems, and how it failed.
 */
struct ud_part {
	struct desired_state st;
	char **prefix; /* of each st.defs[i], owned */
	struct errlist errs;
	int invalid, unreachable;
};

void ud_part_init(struct ud_part *p);
void ud_part_free(struct ud_part *p);

struct file_ops {
	/* Every *.json directly in confdir (not hidden), in name order. */
	int (*read_confdir)(
	    void *ctx, const char *confdir, struct confdir_listing *out);
	/* The seccomp profile securityOpt names (a name, or a path inside
	 * seccomp_dir): bytes into out, or -1 with profile_read()'s errno. */
	int (*read_file)(void *ctx, const char *ref, struct buf *out);
	/* User-data, loaded elsewhere; NULL: fetch and parse it here. */
	void (*load_userdata)(
	    void *ctx, const struct settings *s, struct ud_part *out);
	/* Fleet definitions from etcd, loaded elsewhere (the same process
	 * as user-data): many sources, each definition and problem labelled
	 * "etcd:KEY"; NULL: fetch and parse them here. */
	void (*load_etcd)(
	    void *ctx, const struct settings *s, struct ud_part *out);
	void *ctx;
};

/* Reads files directly with the caller's own rights (tests, fuzzing);
 * profiles from the directory ctx names (NULL: DEFAULT_SECCOMP_DIR). */
extern const struct file_ops direct_file_ops;

/*
 * Persistent state of the fetcher between loads: the last good contents
 * of each source (in memory, and handed to a sink, the parent in
 * dockerup, so that they survive a restart; see lastgood.h).
 */
struct fetch_state;
struct lastgood_sink;

/*
 * Loads and initializes libcurl (curlso.h), which only user-data needs:
 * call it before the sandbox is installed, and only when user-data is on
 * (settings.aws), so that a fetcher without it never maps libcurl.
 * 0, or -1 with the reason in err.
 */
int fetch_preinit(char *err, size_t errlen);

/* sink NULL: last good contents are kept in memory only. */
struct fetch_state *fetch_state_new(const struct lastgood_sink *sink);
void fetch_state_free(struct fetch_state *fs);
/*
 * A copy the sink kept, at a (re)start before the first load: decoded and
 * validated again.  0 when kept, -1 with *why when refused.
 */
int fetch_state_restore(struct fetch_state *fs, const unsigned char *p,
    size_t len, const char **why);

/*
 * Loads every source, validates, merges and orders.  Fills out (which the
 * caller initialized) with the state to apply, including per-source health
 * and the complete flag; every problem goes to errs.  Returns the exit
 * status a run would have from configuration alone: 0, 1 (a source
 * unreachable) or 2 (a source invalid).
 */
int fetch_load(struct fetch_state *fs, const struct settings *s,
    const struct file_ops *ops, struct desired_state *out,
    struct errlist *errs);

/*
 * The loader's part: fetches, parses and validates user-data alone, with
 * fs's last good copy of it, into out (initialized by the caller).
 */
void fetch_load_userdata(struct fetch_state *fs, const struct settings *s,
    const struct file_ops *ops, struct ud_part *out);

/*
 * The loader's part for etcd: lists the settings' etcd directory and
 * parses each key's value as a source of its own ("etcd:KEY"), with fs's
 * last good copies of them, into out (initialized by the caller).
 */
void fetch_load_etcd(struct fetch_state *fs, const struct settings *s,
    const struct file_ops *ops, struct ud_part *out);
/*
 * The watch: lists the keys (without values) and tells whether anything
 * changed (a key, a revision, or whether etcd answers) since the last
 * listing.  1 when it did.
 */
int fetch_etcd_changed(struct fetch_state *fs, const struct settings *s);

#endif
