# dockerup's container image, included by the top Makefile.
#   make image-local TAG=REF   build the image from ./dockerup and its
#                              shared libraries, without network access,
#                              into the engine DOCKER_HOST names
#                              (IMAGE_VERSION, IMAGE_ENTRYPOINT, IMAGE_CMD,
#                              IMAGE_BINARY: see image/image-local.sh)
# The Dockerfile at the top builds the same image from source; both lay out
# the files with image/rootfs.sh.

.PHONY: image-local image-local-tag

image-local: image-local-tag dockerup
	image/image-local.sh "$(TAG)"

# Before anything is built.
image-local-tag:
	@if [ -z "$(TAG)" ]; then \
		echo "image-local: TAG is not set; expected make image-local TAG=REF (e.g. dockerup:local)" >&2; \
		exit 2; \
	fi
