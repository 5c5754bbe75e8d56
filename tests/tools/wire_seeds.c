/*
 * Writes the seed corpus of the wire-decoder fuzz target: the encodings of
 * a few definitions, a source and the settings, one file each, into DIR.
 * usage: wire_seeds DIR  (tests/fuzz/corpus/wire holds its output)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "defn.h"
#include "imsg.h"
#include "settings.h"
#include "wire.h"

static void
save(const char *dir, const char *name, const struct buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int
main(int argc, char *argv[])
{
	struct defn d;
	struct buf b;
	struct settings s;
	struct source_status src = { "user-data", SOURCE_STALE, "timed out",
		1 };

	if (argc != 2) {
		fprintf(stderr, "usage: wire_seeds DIR\n");
		return 2;
	}
	buf_init(&b, IMSG_MAX_DATA);

	defn_init(&d);
	d.image = strdup("busybox:latest");
	wire_encode_defn(&d, 0, &b);
	save(argv[1], "minimal", &b);
	defn_free(&d);

	buf_reset(&b);
	defn_init(&d);
	d.name = strdup("web");
	d.image = strdup("127.0.0.1:5000/app:1");
	d.cpu_shares = 10;
	d.memory = 1 << 30;
	d.has_command = 1;
	strlist_push(&d.command, "/bin/sleep");
	strlist_push(&d.command, "100000");
	d.network = strdup("container:db");
	d.volumes = calloc(2, sizeof(*d.volumes));
	d.volumes[0].container_path = strdup("/data");
	d.volumes[0].host_path = strdup("/mnt/data");
	d.volumes[0].read_only = 1;
	d.volumes[1].from = strdup("db");
	d.nvolumes = 2;
	d.ports = calloc(1, sizeof(*d.ports));
	d.ports[0].container_port = 8080;
	d.ports[0].udp = 1;
	d.nports = 1;
	kvlist_push(&d.env, "HOME", "/data");
	d.restart = RESTART_NEVER;
	d.update_pull = 0;
	d.update_eager = 1;
	kvlist_push(&d.links, "db", "database");
	kvlist_push(&d.signals, "db", "HUP");
	d.user = strdup("nobody");
	d.read_only = 1;
	strlist_push(&d.cap_drop, "ALL");
	strlist_push(&d.security_opt, "no-new-privileges");
	d.seccomp = strdup("{\"defaultAction\":\"SCMP_ACT_ERRNO\"}");
	kvlist_push(&d.tmpfs, "/run", "size=1m");
	kvlist_push(&d.labels, "team", "infra");
	d.source = strdup("/etc/dockerup/containers.d/web.json");
	wire_encode_defn(&d, 1, &b);
	save(argv[1], "full", &b);
	defn_free(&d);

	buf_reset(&b);
	wire_encode_source(&src, &b);
	save(argv[1], "source", &b);

	buf_reset(&b);
	settings_init(&s);
	wire_encode_settings(&s, &b);
	save(argv[1], "settings", &b);
	settings_free(&s);
	buf_free(&b);
	return 0;
}
