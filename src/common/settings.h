#ifndef DOCKERUP_SETTINGS_H
#define DOCKERUP_SETTINGS_H

/*
 * Settings from the command line and the settings file (the original's
 * key=value format).  Precedence: command line, settings file, DOCKER_HOST
 * (endpoint only), defaults.  The parent parses both (it needs the cache
 * directory, the fetcher's user and the endpoint before any child exists)
 * and hands the resolved settings to each child in an IMSG_SETTINGS.
 * All strings are owned by the struct; settings_free() frees them.
 */
#include <stdint.h>

#include "errlist.h"

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
};

/*
 * Bits of the cmdline_set mask given to settings_parse_file(): a setting
 * named on the command line is not overridden by the file.
 */
enum settings_key {
	SK_CACHE = 0,
	SK_CONFDIR,
	SK_REMOTE,
	SK_AWS,
	SK_IMDS,
	SK_PULL,
	SK_MODE,
	SK_INTERVAL,
	SK_USER,
	SK_VERBOSE,
	SK_REGISTRY_AUTH,
	SK_ORPHANS,
	SK_READY_TIMEOUT,
	SK_SELF_ID,
	SK_SECCOMP,
	SK_LOCK_WAIT,
	SK_LOG_FORMAT,
	SK_SYSLOG,
	SK_METRICS_FILE,
	SK_FORMAT,
	SK_SECCOMP_DIR,
	SK_SECCOMP_ALLOW_PERMISSIVE,
	SK_UD_PRIVILEGED,
	SK_UD_HOST_NETWORK,
	SK_UD_UNCONFINED,
	SK_UD_REQUIRE_DIGEST,
	SK_UD_CAP_ADD,
	SK_UD_HOST_PATHS,
	SK_UD_REGISTRIES,
	SK_CONFIRM_REMOVALS, /* command line only */
	SK_STATUS_GROUP,
	SK_ALLOW_INSECURE_TCP,
	SK_IMDS_V1,
};
#define SETTING_BIT(k) ((uint64_t)1 << (k))

enum settings_result {
	SETTINGS_OK = 0,
	SETTINGS_EXIT_OK, /* --help or --version was printed */
	SETTINGS_USAGE,   /* exit 2 */
};

void settings_init(struct settings *s);
void settings_free(struct settings *s);
/*
 * Parses argv, then the settings file (read with the caller's privileges),
 * then the environment.  Every problem goes to errs with file:line.
 * Initializes s itself (settings_init); settings_free() it afterwards.
 */
enum settings_result settings_load(
    struct settings *s, int argc, char *argv[], struct errlist *errs);
/*
 * The same for `dockerup status [OPTIONS]` (argv[0] is "status"): the
 * options of the daemon are accepted (--cache and --config matter) and
 * --format needs no --dry-run.
 */
enum settings_result settings_load_status(
    struct settings *s, int argc, char *argv[], struct errlist *errs);
/* Parses settings-file bytes; keys set on the command line are kept. */
int settings_parse_file(struct settings *s, const char *path, const char *data,
    size_t len, const uint64_t *cmdline_set, struct errlist *errs);
/*
 * TLS to a tcp:// endpoint is on, the docker CLI's way: DOCKER_TLS_VERIFY
 * set and not empty (the engine then reads DOCKER_CERT_PATH's files).
 */
int settings_tls_from_env(void);
/* Normalizes a Docker endpoint; NULL with *err set when invalid. */
char *settings_normalize_remote(const char *url, const char **err);

/* Settings cross to the children encoded; see wire.h. */

#endif
