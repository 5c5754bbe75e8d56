/*
 * Fixed limits of dockerup, in one place.  Every bound that protects a
 * process from hostile or runaway input is named here, so that a reader can
 * review them together and a test can refer to them by name.
 */
#ifndef DOCKERUP_BOUNDS_H
#define DOCKERUP_BOUNDS_H

/* Messages between processes (src/common/imsg.c). */
#define IMSG_MAX_SIZE         (512 * 1024) /* one framed message, header included */
#define IMSG_WRITE_TIMEOUT_MS 10000 /* a peer that does not read is dead */
/*
 * The parent never blocks on a child: what a child has not read yet waits
 * in a queue of at most this much (a whole confdir's files), and the child
 * is taken for dead when it overflows.
 */
#define IMSG_QUEUE_MAX        (MAX_CONFDIR_FILES * IMSG_MAX_SIZE)
#define IMSG_QUEUE_FDS        4     /* descriptors waiting in one queue */
#define SETTINGS_WAIT_MS      10000 /* a child's first message */
/* the parent reading files for the fetcher */
#define PARENT_FILE_WAIT_MS   30000

/* Input documents (settings, definition files, user-data). */
#define MAX_SETTINGS_SIZE        (64 * 1024)
#define MAX_SETTINGS_LINE        4096
/*
 * One definition file or user-data document (EC2 allows 16 KiB).  Small
 * enough that any definition a document can hold, with its seccomp
 * profile, encodes into one message: wire.c asserts it.
 */
#define MAX_DOCUMENT_SIZE        (256 * 1024)
#define MAX_USERDATA_GZIP_SIZE   (256 * 1024) /* compressed user-data */
#define MAX_JSON_DEPTH           16
#define MAX_CONFDIR_FILES        256
#define MAX_DEFINITIONS          512  /* in the whole desired state */
#define MAX_STRING_LEN           4096 /* any one string value */
#define MAX_NAME_LEN             128  /* container name */
/* network: "container:" and a container name */
#define MAX_NETWORK_LEN          (10 + MAX_NAME_LEN)
#define MAX_USER_LEN             256 /* user: NAME[:GROUP] or UID[:GID] */
#define CPU_SHARES_MIN           2
#define CPU_SHARES_MAX           262144
#define MEMORY_MIN               (6 * 1024 * 1024)  /* what dockerd accepts */
#define MEMORY_MAX               ((int64_t)1 << 50) /* 1024t */
#define MAX_IMAGE_LEN            512                /* image reference */
#define MAX_PATH_LEN             1024               /* host or container path */
#define MAX_ENV                  256 /* env entries per definition */
#define MAX_PORTS                128 /* portMappings per definition */
#define MAX_VOLUMES              128 /* volumes per definition */
/* links, caps, args, tmpfs, labels... */
#define MAX_LIST_ITEMS           128
#define MAX_SECCOMP_PROFILE_SIZE (128 * 1024)
/* A seccomp profile's rules, and names in one rule (Docker's default
 * profile has about 60 rules, 370 names in its first). */
#define MAX_SECCOMP_RULES        1024
#define MAX_SECCOMP_RULE_NAMES   1024
#define MAX_SECCOMP_DIR_DEPTH    8   /* directories below seccomp_dir */
#define MAX_DOC_ERRORS           100 /* problems listed per document */
#define MAX_OBJECT_KEYS          64  /* keys of a fixed-schema object */
/*
 * Health checks and updates (healthcheck, update.*, stopTimeout), in whole
 * seconds; Docker takes nanoseconds, which these fit with room to spare.
 */
#define MAX_HEALTH_TEST_ITEMS    64 /* healthcheck.test: "CMD" and args */
#define MAX_HEALTH_TEST_LEN      MAX_STRING_LEN /* one item of the test */
#define MAX_HEALTH_DURATION_S    86400 /* interval, timeout, startPeriod */
#define MAX_HEALTH_RETRIES       100
#define MONITOR_DEFAULT_S        10 /* update.monitor */
#define MAX_MONITOR_S            3600
#define DEADLINE_DEFAULT_S       120 /* update.deadline */
#define MAX_DEADLINE_S           86400
#define MAX_STOP_TIMEOUT_S       3600 /* stopTimeout */

/* last good copies the parent keeps: one per confdir file and user-data */
#define MAX_LASTGOOD_COPIES (MAX_CONFDIR_FILES + 1 + MAX_ETCD_KEYS)

/* Supervision (src/parent). */
#define RESTART_BACKOFF_MIN_S 1
#define RESTART_BACKOFF_MAX_S 30
/* A child that dies this often within the window is in a crash loop; with
 * the backoff above, 6 deaths take at least 31 s. */
#define CRASH_LOOP_RESTARTS   6
#define CRASH_LOOP_WINDOW_S   300
#define LOCK_WAIT_DEFAULT_S   120 /* single-instance lock wait */
#define LOCK_WAIT_MAX_S       3600
#define MAX_SETTINGS_ROWS     64 /* settings: one bit each in a uint64_t mask */
/* The ranges of the interval= and ready_timeout= settings. */
#define INTERVAL_MAX_S        86400 /* a day between runs */
#define READY_TIMEOUT_MAX_S   3600  /* a self-upgrade's readiness wait */
#define NOTIFY_MAX_MSG        512   /* one sd_notify datagram to the manager */

/* Engine. */
#define DOCKER_TIMEOUT_S         120  /* one Docker API call (pulls excepted) */
#define DOCKER_PULL_TIMEOUT_S    1800 /* one image pull */
/* stopTimeout's default: Docker's own (t= of /stop) */
#define DOCKER_STOP_TIMEOUT_S    10
/* image pulls in flight (dockerd itself downloads 3 layers at once) */
#define PULL_PARALLEL            4
#define REGISTRY_CHECK_PARALLEL  8 /* registry checks in flight */
/* creates (then starts) of new, independent containers in flight (32: 12%
 * quicker than 8 at N = 40 on a loaded machine, the same as 4, 8 and 16 on
 * a quiet one; +0.5 MiB engine RSS)
 */
#define LAUNCH_PARALLEL          32
/*
 * the renames, creates, stops and starts of replacements, and the stops
 * and removals of old and undeclared containers, in flight: a stop mostly
 * waits for the container's stop timeout, so up to this many
 * replacements cost about one stop timeout, not one each
 */
#define REPLACE_PARALLEL         32
#define MAX_DOCKER_RESPONSE      (64 * 1024 * 1024)
/* all header lines of one answer (libcurl refuses one above 100 KiB) */
#define MAX_DOCKER_HEADER        (64 * 1024)
/* one line of a pull's progress stream */
#define MAX_DOCKER_STREAM_LINE   (1024 * 1024)
#define MAX_TLS_FILE             (256 * 1024) /* ca.pem, cert.pem, key.pem */
#define DOCKER_CONNECT_TIMEOUT_S 10

/* Server mode (src/parent/watch.c, src/fetcher/schedule.c). */
#define WATCH_QUIET_MS           250 /* confdir quiet this long: reload */
/* ...or this long after the first change, even if writes go on */
#define WATCH_MAX_DELAY_MS       900
#define WATCH_RETRY_S            10 /* re-try a watch that could not be set */
/* each interval grows by a random 0..10% */
#define SERVER_JITTER_PERMILLE   100
#define SERVER_JITTER_MAX_MS     30000 /* ...and by at most 30 s */
/* failed runs double the wait up to this (or the interval if longer) */
#define SERVER_BACKOFF_MAX_S     3600
/* a registry said 429 (dockerd does not pass its Retry-After on) */
#define SERVER_RATE_LIMIT_WAIT_S 120
/*
 * The mass-removal brake: a run removes at most half of the running
 * containers in its care, unless fewer than this many, or confirmed.
 */
#define MASS_REMOVAL_MIN         3
/* the endpoint or registry a run result names */
#define RUN_RESULT_WHERE_MAX     256

/* Logs (src/common/log.c). */
#define LOG_MSG_MAX           2048 /* one message, before formatting */
#define LOG_LINE_MAX          8192 /* one formatted line (JSON escapes) */
/* a repeated warning is summarized at least this often */
#define LOG_REPEAT_INTERVAL_S 30

/* Status and metrics (src/engine/status.c). */
#define MAX_STATUS_FILE    (4 * 1024 * 1024) /* <cache>/status.json read back */
#define MAX_REPORT_ACTIONS 4096 /* plan lines kept for one run's report */
#define MAX_REPORT_TEXT    1024 /* reason or error text kept per item */

/* The health gate of replacements (src/engine/gate.c, failed.c). */
#define GATE_POLL_MS       250 /* how often pending gates are inspected */
#define GATE_LOG_LINES     8   /* of a failed new container's output */
#define MAX_FAILED_ENTRIES 256 /* definitions <cache>/failed.json keeps */
#define MAX_FAILED_FILE    (MAX_FAILED_ENTRIES * 2048) /* its size, read back */
#define MAX_FAILED_WHY     512 /* why a gate failed, as recorded */

/* Fetcher, EC2 metadata. */
#define IMDS_TIMEOUT_MS   2000
#define IMDS_RETRIES      3
#define IMDS_BACKOFF_MS   250 /* first retry delay, doubling */
#define IMDS_TOKEN_TTL_S  21600
/*
 * The fetcher waits this long for each message of its user-data loader:
 * longer than a whole IMDS exchange can take (token and data, each with
 * its retries), after which the loader is taken for stuck.
 */
#define UD_LOADER_WAIT_MS 60000
#define MAX_UD_ERRORS     (2 * MAX_DOC_ERRORS) /* problems one load sends */

/*
 * Fetcher, etcd (src/common/etcd.c): fleet definitions, one document of
 * at most MAX_DOCUMENT_SIZE per key.  An answer holds at most
 * MAX_ETCD_KEYS keys and MAX_ETCD_TOTAL bytes of values; its body, in
 * base64 inside JSON, at most MAX_ETCD_RESPONSE bytes.
 */
#define MAX_ETCD_KEYS    256
#define MAX_ETCD_KEY_LEN 512
#define MAX_ETCD_TOTAL   (4 * 1024 * 1024)
#define MAX_ETCD_RESPONSE                                                      \
	(MAX_ETCD_TOTAL / 3 * 4 + 64 * 1024 +                                  \
	    MAX_ETCD_KEYS * (MAX_ETCD_KEY_LEN + 256))
#define MAX_ETCD_ENDPOINTS 8
#define ETCD_TIMEOUT_MS    2000 /* one request, connection included */
#define ETCD_CONNECT_MS    1000
#define ETCD_WATCH_MS      200 /* the loader looks for changes this often */

/*
 * Rolling updates (src/fetcher/rolling.c, src/engine/slot.c): a host takes
 * one of update.rolling's K slots of a definition in its group before
 * replacing its container, on a lease of ROLLING_LEASE_TTL_S kept alive
 * every ROLLING_KEEPALIVE_MS while it holds the slot.
 */
#define MAX_ROLLING_PARALLEL   64 /* update.rolling.maxParallel */
#define ROLLING_LEASE_TTL_S    6  /* a dead holder's slot frees this late */
#define ROLLING_KEEPALIVE_MS   (ROLLING_LEASE_TTL_S * 1000 / 3)
#define MAX_ROLLING_HELD       64 /* slots one host holds at once */
/* the engine waits this long for an answer about a slot (several etcd
 * requests of ETCD_TIMEOUT_MS each), then leaves the definition as it is */
#define ROLLING_ASK_WAIT_MS    15000
#define ROLLING_BACKOFF_MIN_MS 1000 /* etcd unreachable: next try after */
#define ROLLING_BACKOFF_MAX_MS 30000
#define MAX_ROLLING_VALUE      1024 /* a slot's or failed key's value */
#define MAX_ROLLING_WHY        512  /* an answer's or a failure's text */
/* messages from the fetcher the engine keeps while it waits for a slot:
 * two whole desired states */
#define SLOT_DEFER_MAX                                                         \
	(2 * (MAX_DEFINITIONS + MAX_CONFDIR_FILES + MAX_ETCD_KEYS + 4))
/* fleet status: what a host publishes under hosts/<host_id> */
#define MAX_FLEET_HOST_VALUE (64 * 1024)

/* A pull's live progress line on a terminal (src/engine/image.c). */
#define MAX_PULL_LAYERS        128
#define PULL_PROGRESS_PERIOD_S 0.1

#endif
