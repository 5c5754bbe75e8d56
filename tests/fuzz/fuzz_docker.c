/*
 * libFuzzer target: the engine's parsers of what a Docker endpoint answers
 * (src/engine/observe.c, ctrops.c, docker.c, a pull's stream in image.c,
 * the dockerup.fields label in spec.c).  The endpoint is not trusted: any
 * bytes must be refused or parsed into lists whose every ID and name
 * passed the checks of observe.h, without a crash, leak or undefined
 * behaviour (a float converted out of range included).
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctrops.h"
#include "docker.h"
#include "image.h"
#include "observe.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
containers(const char *p, size_t n)
{
	struct ctr_list l;
	char err[512];

	if (observe_parse_containers(p, n, &l, err, sizeof(err)) == -1)
		return;
	for (size_t i = 0; i < l.n; i++) {
		const struct ctr *c = &l.v[i];
		if (!docker_id_valid(c->id) ||
		    (c->image_id[0] && !docker_image_id_valid(c->image_id)) ||
		    (c->name[0] && !docker_name_valid(c->name)) ||
		    c->created < 0)
			abort();
		(void)ctr_running(c);
		/* A mount point goes into a Binds entry "NAME:/path". */
		for (size_t k = 0; k < c->mounts.n; k++) {
			const struct mount *m = &c->mounts.v[k];
			if (m->dest[0] != '/' || strpbrk(m->dest, ":,") ||
			    (m->name == NULL) == (m->source == NULL) ||
			    (m->name && !docker_name_valid(m->name)))
				abort();
		}
	}
	ctr_list_free(&l);
}

static void
images(const char *p, size_t n)
{
	struct img_list l;
	char err[512];

	if (observe_parse_images(p, n, &l, err, sizeof(err)) == -1)
		return;
	for (size_t i = 0; i < l.n; i++) {
		if (!docker_image_id_valid(l.v[i].id))
			abort();
		(void)img_dangling(&l.v[i]);
	}
	img_list_free(&l);
}

static void
inspect(const char *p, size_t n)
{
	cJSON *j = cJSON_ParseWithLength(p, n);
	struct ctr_state st;
	char *ports = NULL;
	struct strlist vols = { 0 };

	(void)inspect_state(j, &st);
	if (inspect_ports(j, &ports) == 0)
		free(ports);
	inspect_image_volumes(j, &vols);
	for (size_t i = 0; i < vols.n; i++)
		if (vols.v[i][0] != '/')
			abort();
	strlist_free(&vols);
	cJSON_Delete(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char text[1024], *copy;
	struct buf b;

	containers(p, size);
	images(p, size);
	inspect(p, size);
	(void)image_pull_stream_parse(p, size, text, sizeof(text));
	logs_text(data, size, text, sizeof(text));
	if (strlen(text) >= sizeof(text))
		abort();
	buf_init(&b, size + 1);
	if (buf_append(&b, data, size) == 0) {
		docker_error_text(&b, text, sizeof(text));
		buf_free(&b);
	}
	/* The checks themselves, on any NUL-terminated text, and the
	 * dockerup.fields label of a container against a definition's. */
	if ((copy = strndup(p, size)) != NULL) {
		(void)docker_id_valid(copy);
		(void)docker_image_id_valid(copy);
		(void)docker_name_valid(copy);
		spec_fields_changed(
		    copy, "image=1 env=2 ports=3", text, sizeof(text));
		free(copy);
	}
	return 0;
}
