#ifndef DOCKERUP_SETTINGS_H
#define DOCKERUP_SETTINGS_H

/*
 * Settings from the command line and the settings file (the original's
 * key=value format).  Precedence: command line, settings file, DOCKER_HOST
 * (endpoint only), defaults.  The parent parses both (it needs the cache
 * directory, the fetcher's user and the endpoint before any child exists;
 * src/parent/settings_parse.h) and hands the resolved settings to each
 * child in an IMSG_SETTINGS.  All strings are owned by the struct;
 * settings_free() frees them.
 */
#include <stddef.h>
#include <stdint.h>

#ifndef DOCKERUP_VERSION
#define DOCKERUP_VERSION "0.1.0"
#endif

#define DEFAULT_CONFIG        "/etc/dockerup/dockerup.conf"
#define DEFAULT_CACHE         "/var/cache/dockerup"
#define DEFAULT_CONFDIR       "/etc/dockerup/containers.d"
#define DEFAULT_REMOTE        "unix:///var/run/docker.sock"
#define DEFAULT_IMDS          "http://169.254.169.254"
#define DEFAULT_USER          "dockerup-fetch"
#define DEFAULT_SECCOMP_DIR   "/etc/dockerup/seccomp"
#define DEFAULT_ETCD_PREFIX   "/dockerup"
#define DEFAULT_FLEET_GROUP   "default"
#define DEFAULT_INTERVAL      60
#define DEFAULT_READY_TIMEOUT 60

enum run_mode {
	MODE_RUN = 1, /* one reconcile run */
	MODE_SERVER,  /* reconcile every interval */
	MODE_DRY_RUN, /* print the plan, change nothing */
	MODE_CHECK,   /* validate every source, change nothing */
};

enum orphan_policy {
	ORPHANS_ALL = 1, /* the original: remove every undeclared container */
	ORPHANS_MANAGED, /* only containers dockerup created */
};

enum seccomp_mode {
	SECCOMP_ON = 1, /* default: kill the process on a forbidden call */
	SECCOMP_TRAP,   /* debug: log the offending call's name, then die */
	SECCOMP_OFF,    /* only for debugging; logged loudly */
};

enum log_format_setting {
	LOGFMT_TEXT = 1, /* "TIME LEVEL PROCESS: message" */
	LOGFMT_JSON,     /* one JSON object per line, for log shippers */
};

enum output_format {
	OUTPUT_TEXT = 1, /* lines for a person */
	OUTPUT_JSON,     /* one JSON document for scripts */
};

/*
 * The trust policy for remote sources (EC2 user-data, and any source that
 * is not a root-owned local file; see policy.h).  Only root sets it, in
 * the settings file.  The lists are comma-separated, NULL when empty.
 */
struct trust_policy {
	int allow_privileged;   /* userdata_allow_privileged */
	int allow_host_network; /* userdata_allow_host_network */
	int allow_unconfined;   /* userdata_allow_unconfined */
	int require_digest;     /* userdata_require_digest */
	char *cap_add;          /* userdata_cap_add: capabilities allowed */
	char *host_paths;       /* userdata_host_paths: bind prefixes */
	char *registries;       /* userdata_registries: NULL, any registry */
};

struct settings {
	char *config;        /* settings file path */
	int config_explicit; /* named with -c: a missing file is an error */
	char *cache;
	char *confdir;
	char *remote; /* normalized: unix:///abs/path or tcp://h:p */
	int aws;
	char *imds;
	int imds_v1; /* IMDSv1 allowed when the token flow is refused */
	int pull;
	enum run_mode mode;
	int interval; /* seconds, >= 1 */
	char *user;   /* the fetcher's account */
	int verbose;
	char *registry_auth; /* config.json or .dockercfg path; NULL: default */
	enum orphan_policy orphans;
	int ready_timeout; /* self-upgrade readiness, seconds */
	char *self_id;     /* our own container ID override, or NULL */
	enum seccomp_mode seccomp;
	int lock_wait; /* seconds to wait for the single-instance lock */
	enum log_format_setting log_format;
	int syslog; /* log to syslog (/dev/log) instead of stderr */
	enum output_format format; /* --dry-run plan, `dockerup status` */
	char *metrics_file;        /* Prometheus textfile, or NULL */
	char *seccomp_dir; /* root-owned directory of containers' profiles */
	int seccomp_allow_permissive; /* accept a profile that allows all */
	struct trust_policy policy;
	int confirm_removals;   /* --confirm-removals: past the brake, once */
	char *status_group;     /* may read status.json and metrics, or NULL */
	int allow_insecure_tcp; /* tcp:// without TLS is wanted */
	/* Fleet definitions from etcd (src/common/etcd.c); etcd NULL: off */
	char *etcd; /* endpoints: http(s)://HOST[:PORT], comma-separated */
	char *etcd_prefix; /* key prefix, "/dockerup" */
	char *fleet_group; /* <prefix>/<group>/containers/<name> */
	char *host_id; /* this host in the fleet: machine-id, else hostname */
	char *etcd_cacert, *etcd_cert, *etcd_key; /* TLS files, or NULL */
	char *etcd_user;          /* etcd authentication, or NULL */
	char *etcd_password_file; /* its password, first line */
};

/*
 * Every setting is one row of settings_table (settings.c): its file key,
 * its command-line option, its kind and limits, its place in struct
 * settings, its default, its place on the wire and its line of --help.
 * settings_init() and settings_free(), the wire encoding (wire.c), and
 * the parent's command-line and file parser (src/parent/settings_parse.c)
 * all read it.  Adding a setting: a member in struct settings, a row
 * (with the next free wire tag or slot), its use, the man pages, tests.
 *
 * The kinds: the string ones first, setting_is_string() tells them so.
 */
enum setting_kind {
	SET_PATH = 1, /* char *: an absolute path without ".." */
	SET_ANY_PATH, /* char *: any path (-c: the settings file) */
	SET_NAME,     /* char *: letters, digits, '_', '.', '-' */
	SET_REMOTE,   /* char *: unix:///PATH or tcp://HOST:PORT */
	SET_URL,      /* char *: http://HOST[:PORT] */
	SET_CAPS,     /* char *: capability names, comma-separated */
	SET_PATHS,    /* char *: absolute paths, comma-separated */
	SET_HOSTS,    /* char *: registry HOST[:PORT]s, comma-separated */
	SET_URLS,     /* char *: http(s)://HOST[:PORT]s, comma-separated */
	SET_BOOL,     /* int 0 or 1 */
	SET_INT,      /* int in [min, max] */
	SET_ENUM,     /* int: names[i] is i + 1 */
	SET_COUNT,    /* int: -v counts; the file's verbose= is a boolean */
	SET_MODE,     /* enum run_mode; the file's server= is a boolean */
};

enum setting_flags {
	SF_NO_ARG = 1, /* a boolean option without =BOOL: --confirm-removals */
	SF_EXPLICIT = 2, /* -c: also sets config_explicit */
};

/*
 * The settings' wire tags (wire.c): strings one field each, every integer
 * in the one SETTINGS_TAG_INTS field.  The numbers are those from before
 * the table, so that the bytes did not change with it; a new string takes
 * the next free tag (16 and up), a new integer the next slot.
 */
#define SETTINGS_TAG_INTS 15

struct setting_desc {
	const char *key;  /* settings-file key; NULL: not in the file */
	const char *opt;  /* long option; NULL: not on the command line */
	char short_opt;   /* or 0 */
	const char *nopt; /* the option that sets a boolean off, or NULL */
	enum setting_kind kind;
	int flags;                /* enum setting_flags */
	size_t off;               /* in struct settings */
	int min, max;             /* SET_INT */
	const char *const *names; /* SET_ENUM, NULL-terminated */
	const char *def;          /* a string's default, or NULL */
	int idef;                 /* an integer's default */
	unsigned int wire; /* a string's tag; an integer's slot in the ints */
	const char *arg;   /* --help: the value's name, as in --cache DIR */
	const char *doc; /* one line; --help prints an option's, '\n' breaks */
};

extern const struct setting_desc settings_table[];
extern const size_t settings_count;

/* A string kind (char * member), or an integer one (int-sized member). */
int setting_is_string(const struct setting_desc *d);
char **setting_str(struct settings *s, const struct setting_desc *d);
int *setting_int(struct settings *s, const struct setting_desc *d);
/* The range an integer setting may hold, checked on the wire. */
void setting_int_range(const struct setting_desc *d, int *min, int *max);
/* The row of a file key, or of a long option; NULL when there is none. */
const struct setting_desc *setting_by_key(const char *key);
const struct setting_desc *setting_by_opt(const char *opt);
/* A row's bit in the masks of what the command line (or file) set. */
uint64_t setting_bit(const struct setting_desc *d);

void settings_init(struct settings *s);
void settings_free(struct settings *s);
/*
 * TLS to a tcp:// endpoint is on, the docker CLI's way: DOCKER_TLS_VERIFY
 * set and not empty (the engine then reads DOCKER_CERT_PATH's files).
 */
int settings_tls_from_env(void);

/*
 * Fleet definitions from etcd (src/common/etcd.c): on when etcd names an
 * endpoint.  Their directory is "<prefix>/<group>/containers/"
 * (malloc'ed); each key under it is a source named "etcd:" and the key.
 */
#define ETCD_SOURCE_PREFIX "etcd:"
int settings_etcd_on(const struct settings *s);
/* "<prefix>/<group>/WHAT/" (malloc'ed): containers, rolling, failed,
 * hosts (issue #17's key layout). */
char *settings_etcd_group_dir(const struct settings *s, const char *what);
char *settings_etcd_dir(const struct settings *s);
/* A key of ours: dir, then 1 to MAX_ETCD_KEY_LEN printable characters. */
int settings_etcd_key_ok(const char *dir, const char *key, size_t len);
/*
 * A source name the etcd loader may use: "etcd:" and the directory (the
 * listing itself), or "etcd:" and a key of ours.
 */
int settings_etcd_source_ok(const struct settings *s, const char *name);

/* Settings cross to the children encoded; see wire.h. */

#endif
