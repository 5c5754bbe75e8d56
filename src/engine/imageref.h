#ifndef DOCKERUP_IMAGEREF_H
#define DOCKERUP_IMAGEREF_H

/*
 * Image references as the engine names them.  The engine lists images by
 * their "familiar" names (busybox:latest, user/app:1, host:5000/app:1),
 * so a definition's reference is brought to that form before matching.
 */
struct imageref {
	char *registry; /* "docker.io" or host[:port] */
	char *familiar; /* repository in the engine's short form */
	char *tag;      /* NULL when only a digest is given */
	char *digest;   /* "sha256:...", or NULL */
};

/* -1 when ref has no repository. */
int imageref_parse(const char *ref, struct imageref *r);
void imageref_free(struct imageref *r);

/* "familiar:tag" or "familiar@digest"; the caller frees it. */
char *imageref_local_name(const struct imageref *r);

#endif
