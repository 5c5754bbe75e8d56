# make bench: dockerup against docker-compose and a plain docker run loop,
# on the test rig's private engine (bench/bench.sh says what is measured).
# A benchmark, not a test: it never fails on slowness; CI does not run it.
#
#   make bench                                 N = 10 50 100, 5 runs
#   make bench BENCH_N="10" BENCH_RUNS=3       quick, while developing
#   make bench BENCH_VARIANTS=indep            independent containers only
#
# Writes bench/results/latest.md, latest.png and latest.tsv.
#
#   make bench-fleet                           a fleet of three rolls a new
#                                              image through, update.rolling
#                                              off and on (bench/fleet.sh)
#   make bench-fleet BENCH_FLEET_RUNS=1        quick
#
# Writes bench/results/fleet.md and fleet.tsv.

BENCH_N ?= 10 50 100
BENCH_RUNS ?= 5
BENCH_VARIANTS ?= indep chain
BENCH_TOOLS ?= dockerup compose floor

BENCH_FLEET_RUNS ?= 3

.PHONY: bench bench-fleet
bench:
	sh tests/rig/deps.sh docker-compose gnuplot-nox
	$(MAKE) dockerup $(BUILD)/bench/valbench $(BUILD)/bench/rssfloor
	BENCH_N="$(BENCH_N)" BENCH_RUNS="$(BENCH_RUNS)" \
	    BENCH_VARIANTS="$(BENCH_VARIANTS)" BENCH_TOOLS="$(BENCH_TOOLS)" \
	    VALBENCH="$(BUILD)/bench/valbench" \
	    RSSFLOOR="$(BUILD)/bench/rssfloor" bash bench/bench.sh

bench-fleet:
	sh tests/rig/deps.sh
	$(MAKE) dockerup
	BENCH_FLEET_RUNS="$(BENCH_FLEET_RUNS)" bash bench/fleet.sh

# The resident memory a process pays for libcurl alone.
$(BUILD)/bench/rssfloor: bench/rssfloor.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< \
	    $(LIB_OBJ) $(LIBS)

# The cost of validating and ordering a desired state, against N.
$(BUILD)/bench/valbench: bench/valbench.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< \
	    $(LIB_OBJ) $(LIBS)
