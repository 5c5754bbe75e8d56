/*
 * libFuzzer target: the engine's decoder of what the fetcher sends.  Any
 * bytes must either decode into a definition that encodes back to the
 * same bytes (the encoding is canonical) or be rejected without a crash,
 * leak or undefined behaviour.  A decoded definition is also checked
 * against the trust policy, as the engine does, under the default
 * (closed) policy and under one opened by every key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "defn.h"
#include "errlist.h"
#include "imsg.h"
#include "policy.h"
#include "validate.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct defn d;
	struct source_status s;
	struct settings st;
	char err[256];

	if (size > IMSG_MAX_DATA)
		return 0;
	if (wire_decode_defn(data, size, &d, err, sizeof(err)) == 0) {
		struct buf b;
		struct errlist errs;

		buf_init(&b, IMSG_MAX_DATA);
		if (wire_encode_defn(&d, 1, &b) != 0 || b.len != size ||
		    memcmp(b.p, data, size) != 0)
			abort(); /* decode . encode must be the identity */
		buf_free(&b);
		errlist_init(&errs);
		if (defn_validate(&d, "fuzz", "", &errs) == 0) {
			struct settings p;
			settings_init(&p);
			policy_check_defn(&p, &d, "", &errs);
			p.policy.allow_privileged = p.policy.allow_unconfined =
			    p.policy.allow_host_network =
				p.policy.require_digest = 1;
			p.policy.cap_add = strdup("NET_ADMIN,ALL");
			p.policy.host_paths = strdup("/srv,/var/lib/x/");
			p.policy.registries =
			    strdup("docker.io,127.0.0.1:5000");
			policy_check_defn(&p, &d, "containers[0]", &errs);
			settings_free(&p);
		}
		errlist_free(&errs);
		defn_free(&d);
	}
	if (wire_decode_source(data, size, &s, err, sizeof(err)) == 0) {
		free(s.name);
		free(s.error);
	}
	if (wire_decode_settings(data, size, &st, err, sizeof(err)) == 0)
		settings_free(&st);
	return 0;
}
