# dockerup: one binary that re-executes itself for each role.
#   make            build ./dockerup (hardened flags)
#   make asan       build build-asan/dockerup with ASan + UBSan
#   make test       install what is missing, build, run every suite on the rig
#   make demo       converge examples/containers.d on a private engine
#   make fuzz       build the libFuzzer targets
#   make format     apply .clang-format; make format-check: fail on a difference
#   make install    PREFIX=/usr/local DESTDIR= (see dist/dist.mk)
#   make uninstall

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/sbin
CC ?= cc
BUILD ?= build
# libcurl is compiled against but not linked: the fetcher and the engine
# load it at run time (src/common/curlso.h), so that the parent, and a
# fetcher without user-data, never map it and its 30 libraries.
PKGS := libcjson libseccomp libcap-ng nettle zlib


# Asked of pkg-config once, when a recipe first needs them (so that `make
# test` can still install what is missing first); a package pkg-config does
# not know stops the build with its name.
pkg_missing = $(strip $(foreach p,libcurl $(PKGS),$(if $(shell pkg-config --exists \
	$(p) && echo y),,$(p))))
pkg_query = $(if $(pkg_missing),$(error pkg-config does not know: $(strip \
	$(pkg_missing)) (Debian: tests/rig/deps.sh installs the -dev packages)),\
	$(shell pkg-config $(1)))
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(call pkg_query,--cflags libcurl \
	$$(PKGS)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $$(call pkg_query,--libs $$(PKGS)))$(PKG_LIBS)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
OPT ?= -O2 -g
SAN ?=
# -iquote: our headers never shadow a system header.
CPPFLAGS_ALL = -D_GNU_SOURCE -iquote src/common -iquote src/fetcher \
	-iquote src/engine -iquote src/parent -iquote src/status \
	-I$(BUILD)/gen $(PKG_CFLAGS)
CFLAGS_ALL := -std=c11 $(OPT) $(WARN) $(HARDEN) $(SAN) $(CFLAGS)
LDFLAGS_ALL := -pie -Wl,-z,relro,-z,now $(SAN) $(LDFLAGS)
LIBS = $(PKG_LIBS)

COMMON_SRC := $(sort $(wildcard src/common/*.c))
FETCHER_SRC := $(sort $(wildcard src/fetcher/*.c))
ENGINE_SRC := $(sort $(wildcard src/engine/*.c))
PARENT_SRC := $(sort $(wildcard src/parent/*.c))
# `dockerup status`: no child, no lock, no privilege.
STATUS_SRC := $(sort $(wildcard src/status/*.c))
ALL_SRC := $(COMMON_SRC) $(FETCHER_SRC) $(ENGINE_SRC) $(PARENT_SRC) \
	$(STATUS_SRC)
ALL_OBJ := $(ALL_SRC:%.c=$(BUILD)/%.o)
# Everything but main(): what unit tests and fuzz targets link against.
LIB_OBJ := $(filter-out $(BUILD)/src/parent/main.o,$(ALL_OBJ))
GEN_HDRS :=

.PHONY: all asan clean install test demo demo-stop fuzz format format-check
all: dockerup

# Generated headers (seccomp tables from policy/) are added by included
# fragments through GEN_HDRS.
include policy/policy.mk

$(BUILD)/%.o: %.c $(GEN_HDRS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/dockerup: $(ALL_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $(ALL_OBJ) $(LIBS)

# Replaced by rename, so that a running dockerup never blocks the build.
dockerup: $(BUILD)/dockerup
	cp $< $@.tmp && mv -f $@.tmp $@

# The sanitizer build's variables, shared with the test fragments.  GCC's
# "undefined" leaves out float-cast-overflow (a number from the Docker API
# converted out of range): named on its own.
ASAN_VARS := BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	SAN="-fsanitize=address,undefined,float-cast-overflow \
	-fno-sanitize-recover=all"

asan:
	$(MAKE) $(ASAN_VARS) build-asan/dockerup

# The house style (.clang-format) over every C file of the tree;
# format-check changes nothing and fails on the first difference.
FORMAT_SRC = $(shell find src tests bench -name '*.[ch]' -not -path '*/corpus/*')

format:
	clang-format -i $(FORMAT_SRC)

format-check:
	@clang-format --dry-run -Werror $(FORMAT_SRC) && \
	    echo "format-check: $(words $(FORMAT_SRC)) files in the house style"

clean:
	rm -rf build build-asan build-fuzz build-hooks dockerup

include dist/dist.mk
include tests/tests.mk
include tests/tools/tools.mk
include tests/fuzz/fuzz.mk
include bench/bench.mk
include image/image.mk

-include $(ALL_OBJ:.o=.d)
