# dockerup's container image: build from source on Debian 12, then a runtime
# image that holds only the binary, the shared libraries it loads (copied
# from the build stage by image/rootfs.sh), the CA bundle, a minimal
# /etc/passwd and /etc/group (root; nobody/nogroup for the fetcher) and the
# container seccomp profile.
#
#   docker build -t dockerup:latest .
#
# NOT BUILT HERE: the machines this project is developed and tested on have
# no network access, so no base image can be pulled.  `make image-local
# TAG=REF` builds the equivalent image from the local build instead, with
# the same image/rootfs.sh and the same ENTRYPOINT, CMD, STOPSIGNAL, ENV,
# WORKDIR and labels; keep the two in step (image/image-local.sh).
#
# Run it as README.md's "Running dockerup in its own container" shows.

FROM debian:bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
	ca-certificates gcc libc6-dev make pkg-config \
	libcurl4-openssl-dev libcjson-dev libseccomp-dev libcap-ng-dev \
	nettle-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make clean && make -j2 dockerup \
    && image/rootfs.sh /rootfs ./dockerup policy/container-seccomp.json

FROM scratch
ARG DOCKERUP_IMAGE_VERSION=0.1.0
COPY --from=build /rootfs/ /
ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /
LABEL org.opencontainers.image.title=dockerup
LABEL DOCKERUP_IMAGE_VERSION=$DOCKERUP_IMAGE_VERSION
# Named, so that `docker kill -s HUP` (reload) is not taken by dockerd for a
# stop by hand, which would cancel the restart policy until the next start.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/sbin/dockerup"]
CMD ["--server"]
