# Tests and demo, included by the top Makefile.
#   make check        the unit tests alone: any user, no root, no engine
#   make test         deps, build, unit tests, rig, integration tests
#   make test-asan    the same on the ASan+UBSan build
#   make unit-tests   build $(BUILD)/tests/test_* from tests/unit/test_*.c
#   make demo         converge examples/containers.d on a private engine
#   make demo-stop    stop the demo's engine, remove /tmp/dockerup-demo

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_CPPFLAGS := -iquote src -iquote tests/unit \
	-DTEST_DATA_DIR='"$(CURDIR)/tests/data"'


.PHONY: check test test-asan unit-tests unit-tests-asan demo demo-stop

check:
	tests/run.sh --unit

test:
	tests/run.sh

test-asan:
	tests/run.sh --asan

unit-tests: $(UNIT_BIN)

unit-tests-asan:
	$(MAKE) $(ASAN_VARS) unit-tests

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB_OBJ) $(GEN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(UNIT_CPPFLAGS) $(CFLAGS_ALL) -MMD -MP \
	    $(LDFLAGS_ALL) -o $@ $< $(LIB_OBJ) -lcmocka $(LIBS)

demo:
	tests/rig/demo.sh

demo-stop:
	tests/rig/rig.sh stop /tmp/dockerup-demo

-include $(UNIT_BIN:=.d)
