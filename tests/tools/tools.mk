# Test-only programs that drive the real binary (not part of dockerup).
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)

.PHONY: test-tools test-tools-asan test-hooks
test-tools: $(TOOL_BIN)

test-tools-asan:
	$(MAKE) $(ASAN_VARS) test-tools

# The binary with test-only hooks (forbidden syscalls on request, a connect
# attempt from the fetcher): a build of its own, never the one installed.
test-hooks:
	$(MAKE) BUILD=build-hooks TEST_HOOKS=1 build-hooks/dockerup

$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< \
	    $(LIB_OBJ) $(LIBS)
