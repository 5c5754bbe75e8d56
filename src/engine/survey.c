/*
 * A run's look at the host: the Docker endpoint answers, one container
 * list and one image list (a fixed number of calls, whatever the host
 * holds), and the registry credentials as they are now.
 */
#include "survey.h"

#include <stdio.h>

#include "docker.h"
#include "log.h"

static int
run_list(struct run *r, const char *path, struct docker_resp *resp, char *err,
    size_t errlen)
{
	struct docker_req rq = { .method = "GET", .path = path };
	long st = docker_request(r->dk, &rq, resp, err, errlen);

	if (st == 200)
		return 0;
	if (st > 0 && st < 400)
		snprintf(err, errlen, "GET %s: unexpected HTTP %ld", path, st);
	return -1;
}

/* /_ping, one container list, one image list. */
int
run_observe(struct run *r, char *err, size_t errlen)
{
	struct docker_resp resp;
	int rc = -1;

	if (docker_ping(r->dk, err, errlen) == -1)
		return -1;
	docker_resp_init(&resp);
	if (run_list(r, "/containers/json?all=1", &resp, err, errlen) == -1 ||
	    observe_parse_containers((const char *)resp.body.p, resp.body.len,
		&r->ctrs, err, errlen) == -1)
		goto done;
	if (run_list(r, "/images/json", &resp, err, errlen) == -1 ||
	    observe_parse_images((const char *)resp.body.p, resp.body.len,
		&r->imgs, err, errlen) == -1)
		goto done;
	rc = 0;
done:
	docker_resp_free(&resp);
	return rc;
}

/*
 * Reads the credentials again (they may have changed since the last run);
 * when that fails the last good ones are used.  A file the sandboxed
 * engine may not read (root-only, with a tcp endpoint) is not an error:
 * what was read at start is used.
 */
void
run_load_auth(struct run *r)
{
	static int helpers_said, clear_said;
	static const struct regauth none; /* no credential at all */
	struct regauth *ra = docker_regauth(r->dk);
	char err[1024];
	int rc;

	if (docker_in_clear(r->dk)) {
		if (!clear_said++)
			log_warnx("registry credentials are never sent to %s: "
				  "a tcp:// endpoint without TLS would carry "
				  "them in clear (allow_insecure_tcp); images "
				  "are pulled without credentials",
			    docker_remote(r->dk));
		r->ienv.auth = &none;
		return;
	}

	rc = regauth_reload(ra, r->s->registry_auth, err, sizeof(err));
	if (rc == REGAUTH_DENIED)
		log_debug("%s; using the credentials read at start", err);
	else if (rc != 0) {
		log_warnx("%s; using the last good credentials (%zu "
			  "registries)",
		    err, ra->n);
		r->rep->exit_code = 1;
	}
	r->ienv.auth = ra;
	if (ra->helpers && !helpers_said) {
		helpers_said = 1;
		log_warnx(
		    "registry credentials: credsStore and credHelpers "
		    "are not supported (dockerup runs no helper programs); "
		    "only \"auths\" entries are used");
	}
}
