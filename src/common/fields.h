#ifndef DOCKERUP_FIELDS_H
#define DOCKERUP_FIELDS_H

/*
 * The definition fields, described once.  Each row is one wire tag: its
 * JSON key, kind, limits and place in struct defn, which other
 * containers it names, and what remote sources may ask of it.  The
 * fetcher's parser (its key list, string and list limits), the shared
 * validator, the wire encoder and decoder, the dependency graph
 * (depgraph.h) and the trust policy (policy.h) all read this table, so
 * that what the fetcher accepts the engine decodes, and a limit cannot
 * drift between them (tests/unit/test_fields.c walks every row at its
 * limits; test_depgraph.c and test_policy_rules.c pin the two columns).
 *
 * Adding a field: a member in struct defn (defn.h), a row here with the
 * next tag (never renumber: see enum defn_tag), its parse handler in
 * src/fetcher/defs.c, its rules in validate.c if it has any, its Docker
 * mapping in src/engine/spec.c, and the man page.  If it names other
 * containers, its row says how (.refs); if remote sources may not use it
 * freely, its row says what they may (.remote).  A member of an object
 * ("update", "healthcheck") is a row with .member: defs.c parses it by its
 * kind.  An integer whose default is not 0 states it in .def: defn_init()
 * sets it and the wire leaves it out.
 */
#include <stddef.h>
#include <stdint.h>

#include "defn.h"

/*
 * Wire tags, in canonical order.  The tag numbers and each field's
 * encoding are part of every managed container's identity: dockerup.hash
 * is computed from these bytes, and a definition that encodes differently
 * after an upgrade has its container replaced on every host.  Never
 * renumber or reorder: a new field takes the next number before
 * T_DEFN_MAX and encodes nothing at its default, so that every existing
 * definition keeps its bytes (tests/unit/test_golden.c pins them).
 */
enum defn_tag {
	T_NONE = 0, /* not on the wire: the JSON-only "type" */
	T_NAME,
	T_IMAGE,
	T_CPU,
	T_MEMORY,
	T_HAS_ENTRYPOINT,
	T_ENTRYPOINT,
	T_HAS_COMMAND,
	T_COMMAND,
	T_PRIVILEGED,
	T_NETWORK,
	T_VOLUME,
	T_PORT,
	T_ENV,
	T_RESTART,
	T_UPDATE_PULL,
	T_UPDATE_EAGER,
	T_UPDATE_ROLLING,
	T_LINK,
	T_SIGNAL,
	T_USER,
	T_READ_ONLY,
	T_CAP_ADD,
	T_CAP_DROP,
	T_SECURITY_OPT,
	T_SECCOMP,
	T_TMPFS,
	T_LABEL,
	T_SOURCE, /* where it came from: sent, never hashed */
	/* Added after 0.1.0: each encodes nothing at its default. */
	T_HEALTH_TEST,
	T_HEALTH_INTERVAL,
	T_HEALTH_TIMEOUT,
	T_HEALTH_RETRIES,
	T_HEALTH_START_PERIOD,
	T_UPDATE_MONITOR,
	T_UPDATE_DEADLINE,
	T_UPDATE_ROLLBACK,
	T_STOP_TIMEOUT,
	T_DEFN_MAX
};

enum field_kind {
	FK_STRING = 1, /* char *; absent when NULL */
	FK_INT,        /* int64_t in [min, max]; absent at def (0 unless
	                  given) */
	FK_FLAG,       /* int 0/1; on the wire only when 1 */
	FK_NOT_FLAG,   /* int 0/1, default 1; on the wire only when 0 */
	FK_LIST,       /* struct strlist, one field per item */
	FK_MAP,        /* struct kvlist, sorted, one field per pair */
	FK_VOLUMES,    /* struct volume[], one field per volume */
	FK_PORTS,      /* struct port[], one field per mapping */
	FK_RESTART,    /* enum restart_policy; absent at on-failure */
	FK_SECONDS,    /* FK_INT of seconds; JSON also takes "30s", "5m",
	                  "1h" */
	FK_ROLLING,    /* int 0 (off) or K in [min, max]; JSON true (K 1) or
	                  {"maxParallel": K}; on the wire one byte K, absent
	                  at 0 (K 1 encodes as FK_FLAG's true did) */
};

/*
 * How a field names other containers (defn_each_ref() reads it): the
 * dependency graph (depgraph.h) and the trust policy's reach rule
 * (policy_check_reach()) see every name a row of this column gives, so a
 * new field that names a container needs nothing else.  Zero: it names
 * none.
 */
enum field_refs {
	REF_NONE = 0,
	REF_CONTAINER_NET, /* FK_STRING: "container:NAME" names NAME */
	REF_VOLUMES_FROM,  /* FK_VOLUMES: each volume's "from" */
	REF_NAME_KEYS,     /* FK_MAP: every key is a container name */
};

/* What such a name means for the order of a run. */
enum field_ref_order {
	REF_DEPENDS = 0, /* the named container is created and started first */
	REF_NOTIFIES,    /* only declared; it is signalled afterwards */
};

/*
 * What a remote source (policy.h) may ask of a field, as rules that each
 * name the trust-policy setting that would open them.  policy_check_defn()
 * walks the table and applies every rule of every row; zero is no
 * restriction, so a new field has its remote-source rule in its row or
 * none.  The message of each kind of rule is written once, in policy.c.
 */
enum policy_rule {
	POL_NONE = 0,
	POL_DENY,       /* refused unless the setting (int) is true: a flag
	                   that is set, or a value listed in .values */
	POL_ALLOWLIST,  /* each item listed in the setting (char *, commas) */
	POL_HOST_PATHS, /* each host path below a prefix the setting lists,
	                   and never the Docker socket, whatever it lists */
	POL_REGISTRY,   /* the image's registry listed in the setting, when
	                   the setting lists any */
	POL_DIGEST,     /* the image pinned by digest when the setting (int)
	                   is true */
};

#define FIELD_POLICY_RULES 2 /* rules of one row (image has two) */

struct field_policy {
	enum policy_rule rule;
	const char *key; /* the settings key: "userdata_allow_privileged" */
	size_t off;      /* its value in struct trust_policy */
	const char *const *values; /* POL_DENY of a string or list: the values
	                              refused, NULL-terminated */
	const char *shown;         /* POL_DENY: written before the value in a
	                              message ("seccomp="), or NULL */
};

/*
 * Whether a row is part of a managed container's identity (dockerup.hash,
 * defn_hash()): a change of such a field replaces the container.
 */
enum field_hash {
	HASH_IDENTITY = 0, /* what the container is: hashed */
	HASH_NEVER,        /* where the definition came from: never hashed */
	HASH_V1_ONLY,      /* what dockerup does about the container, not
	                      what it is (update.*, signal): not hashed, so
	                      that a change replaces nothing;
	                      dockerup up to 2026-12-02 hashed it, and
	                      defn_hash_v1() still does, so that a container
	                      it labelled still matches */
};

struct field_desc {
	enum defn_tag tag;
	const char *key;    /* top-level JSON key; NULL: not in JSON */
	const char *member; /* its member ("pull" of "update", "interval" of
	                       "healthcheck"), or NULL */
	enum field_kind kind;
	size_t off;       /* in struct defn; the list's for FK_VOLUMES/PORTS */
	size_t count_off; /* FK_VOLUMES, FK_PORTS: the count's offset */
	size_t max_len;   /* each string: value, item, key and value */
	size_t max_items; /* list, map, volumes, ports */
	int64_t min, max; /* FK_INT, FK_SECONDS */
	int64_t def;      /* FK_INT, FK_SECONDS: the default, never sent */
	const char *doc;  /* one line, for the man page check */
	enum field_refs refs;           /* names other containers */
	enum field_ref_order ref_order; /* with refs: what a name means */
	struct field_policy remote[FIELD_POLICY_RULES]; /* remote sources */
	enum field_hash hash; /* part of the container's identity? */
};

/* Every row, in tag order: defn_fields[t].tag == t. */
extern const struct field_desc defn_fields[T_DEFN_MAX];

/* The row of a tag, or NULL when tag is not a definition field's. */
const struct field_desc *field_by_tag(unsigned int tag);
/* The first row of a top-level key (and member, or NULL), or NULL. */
const struct field_desc *field_by_key(const char *key, const char *member);
/* An integer kind: FK_INT or FK_SECONDS. */
int field_is_int(const struct field_desc *f);
/* Repeated on the wire: one field per item. */
int field_repeatable(const struct field_desc *f);
/*
 * The top-level JSON keys of a definition, in table order without
 * repeats; returns how many (at most max) and fills out.
 */
size_t field_top_keys(const char **out, size_t max);

/* One name of another container in a definition (see enum field_refs). */
struct defn_ref {
	const struct field_desc *f; /* its row: f->refs, f->ref_order */
	size_t item;                /* the volume's or map entry's index */
	const char *name;           /* the container named */
};

/*
 * Calls fn for every name of another container in d, row by row in tag
 * order (network, volumes, links, signal), items in their order; stops
 * when fn returns non-zero and returns that, else 0.
 */
int defn_each_ref(const struct defn *d,
    int (*fn)(const struct defn_ref *r, void *arg), void *arg);
/* Where r is, for messages: "network", "volumes[2].from", "links.NAME". */
void defn_ref_path(const struct defn_ref *r, char *out, size_t outlen);

#endif
