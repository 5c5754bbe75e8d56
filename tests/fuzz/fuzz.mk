# libFuzzer targets, included by the top Makefile.
#   make fuzz                      build build-fuzz/fuzz_* (clang)
#   make fuzz-run FUZZ_SECONDS=60  run each target that long; fail on a crash
# Every tests/fuzz/fuzz_NAME.c is a target, seeded from tests/fuzz/corpus/NAME/.
# The library objects (src/common, src/fetcher but its main loop, the
# engine's and the parent's parsers: FUZZ_PARSER_SRC) are built
# with the fuzzer's instrumentation into build-fuzz/, apart from the binary.

FUZZ_CC ?= clang
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 25
FUZZ_RSS_MB ?= 2048
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) \
	-Wall -Wextra -Wno-unused-parameter
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BIN := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
# The engine's parsers of what the Docker endpoint, the credentials file
# and status.json hold (without its main loop or reconciler), the table
# `dockerup status` prints, and the parent's settings parser.
FUZZ_PARSER_SRC := src/engine/observe.c src/engine/imageref.c \
	src/engine/ctrops.c src/engine/docker.c src/engine/image.c \
	src/engine/regauth.c src/engine/spec.c src/engine/status.c \
	src/engine/failed.c src/status/fleetcmd.c \
	src/status/statuscmd.c src/status/cli.c src/parent/settings_parse.c
FUZZ_LIB_SRC := $(COMMON_SRC) \
	$(filter-out src/fetcher/fetcher.c,$(FETCHER_SRC)) $(FUZZ_PARSER_SRC)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
# Made by a pattern rule for a pattern rule: without this, make takes them
# for intermediate files, deletes them, and relinks every target each time.
.SECONDARY: $(FUZZ_LIB_OBJ)

.PHONY: fuzz fuzz-run

fuzz: $(FUZZ_BIN)

$(FUZZ_BUILD)/%.o: %.c $(GEN_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS_ALL) -iquote src/fetcher $(FUZZ_CFLAGS) \
	    -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS_ALL) -iquote src/fetcher $(FUZZ_CFLAGS) \
	    -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(LIBS)

# Each target for FUZZ_SECONDS on its seeds (new inputs go to
# build-fuzz/corpus/NAME); a crash, leak or timeout fails the run and
# leaves the reproducer in build-fuzz/.
fuzz-run: fuzz
	@set -e; for t in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t; \
		echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
		$(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
		    -rss_limit_mb=$(FUZZ_RSS_MB) -timeout=20 -print_final_stats=1 \
		    -artifact_prefix=$(FUZZ_BUILD)/$$t- \
		    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
		    > $(FUZZ_BUILD)/$$t.log 2>&1 || { tail -50 \
		    $(FUZZ_BUILD)/$$t.log; echo "fuzz: $$t FAILED"; exit 1; }; \
		grep -E "^stat::(number_of_executed_units|average_exec_per_sec)" \
		    $(FUZZ_BUILD)/$$t.log | tr '\n' ' '; echo; \
	done

-include $(FUZZ_LIB_OBJ:.o=.d)
