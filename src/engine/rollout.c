/*
 * Rolling updates in a run (rollout.h).
 */
#include "rollout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "runlog.h"
#include "slot.h"
#include "status.h"

int
rollout_hold(
    struct run *r, struct item *it, const char *image_id, const char *want)
{
	char why[MAX_ROLLING_WHY + 64];
	enum slot_result res;

	if (it->d->update_rolling == 0 || r->dry || want == NULL ||
	    !settings_etcd_on(r->s))
		return 0;
	res =
	    slot_take(it->ident, want, it->d->update_rolling, why, sizeof(why));
	switch (res) {
	case SLOT_GRANTED:
		it->slot = 1;
		snprintf(it->slot_hash, sizeof(it->slot_hash), "%s", want);
		log_info(
		    "update of %s: rolling slot %s is ours", it->ident, why);
		return 0;
	case SLOT_BUSY:
		log_debug("update of %s to %s: %s", it->ident, want, why);
		if (!slot_said(it->ident, want, res))
			run_plan(r,
			    "wait %s (rolling update to image %.19s..: %s; "
			    "tried again when a slot frees)",
			    it->ident, image_id ? image_id : "?", why);
		r->rep->unchanged++;
		return 1;
	case SLOT_HELD_FAILED:
		run_plan(r,
		    "hold %s (the update to image %.19s.. failed in the fleet "
		    "group, %s; no host of the group tries it again until the "
		    "image or the definition changes, or dockerup fleet retry "
		    "%s)",
		    it->ident, image_id ? image_id : "?", why, it->ident);
		report_fail(r->rep, "update failed in the fleet; held back");
		r->rep->exit_code = 1;
		return 1;
	default:
		if (!slot_said(it->ident, want, SLOT_UNREACHABLE))
			log_warnx(
			    "update of %s waits: no rolling slot: %s; its "
			    "container is left as it is",
			    it->ident, why);
		report_fail(r->rep, "rolling update waits: etcd unreachable");
		r->rep->exit_code = 1;
		return 1;
	}
}

void
rollout_rolled_back(
    struct run *r, struct item *it, const char *want, const char *why)
{
	if (it->slot)
		rollout_settled(it, SLOT_ROLLED_BACK, why);
	else if (it->d->update_rolling != 0 && !r->dry &&
	    settings_etcd_on(r->s))
		slot_release(it->ident, want, SLOT_ROLLED_BACK, why);
}

void
rollout_settled(struct item *it, enum slot_outcome o, const char *why)
{
	if (!it->slot)
		return;
	it->slot = 0;
	slot_release(it->ident, it->slot_hash, o, why);
}

/* One definition's record; NULL when out of memory. */
static cJSON *
item_json(const struct run_item *it)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    cJSON_AddStringToObject(o, "name", it->ident) == NULL ||
	    cJSON_AddStringToObject(o, "image",
		it->running_image[0] ? it->running_image : it->image_id) ==
		NULL ||
	    cJSON_AddStringToObject(o, "container", it->container_id) == NULL ||
	    cJSON_AddBoolToObject(o, "running", it->was_running) == NULL ||
	    cJSON_AddStringToObject(
		o, "action", it->action ? it->action : "none") == NULL ||
	    (it->error != NULL &&
		cJSON_AddStringToObject(o, "error", it->error) == NULL)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

void
rollout_publish(
    const struct settings *s, const struct run_report *rep, int exit_code)
{
	cJSON *o = cJSON_CreateObject(), *defs;
	char *text = NULL;
	size_t n = rep->nitems;

	if (!settings_etcd_on(s) || s->host_id == NULL)
		goto out;
	/* Fewer definitions until it fits. */
	for (;;) {
		cJSON_Delete(o);
		if ((o = cJSON_CreateObject()) == NULL ||
		    cJSON_AddStringToObject(o, "host", s->host_id) == NULL ||
		    cJSON_AddNumberToObject(o, "time", (double)time(NULL)) ==
			NULL ||
		    cJSON_AddNumberToObject(o, "exit", exit_code) == NULL ||
		    cJSON_AddNumberToObject(o, "rollbacks", rep->rollbacks) ==
			NULL ||
		    cJSON_AddBoolToObject(o, "truncated", n < rep->nitems) ==
			NULL ||
		    (defs = cJSON_AddArrayToObject(o, "definitions")) == NULL)
			fatal("%s", __func__);
		for (size_t i = 0; i < n; i++) {
			cJSON *e = item_json(&rep->items[i]);
			if (e == NULL || !cJSON_AddItemToArray(defs, e))
				fatal("%s", __func__);
		}
		free(text);
		if ((text = cJSON_PrintUnformatted(o)) == NULL)
			fatal("%s", __func__);
		if (strlen(text) <= MAX_FLEET_HOST_VALUE || n == 0)
			break;
		n = n / 2;
	}
	if (strlen(text) <= MAX_FLEET_HOST_VALUE)
		slot_publish(text, strlen(text));
out:
	free(text);
	cJSON_Delete(o);
}
