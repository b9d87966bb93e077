# prochist: plain Makefile. `make` builds ./prochist; `make test` runs every
# test; `make run` records into the default database; `make SANITIZE=1 test`
# does the same under ASan + UBSan. Dependencies (sqlite3, cJSON) come from
# pkg-config. Only `make deps` and `make run` install what is missing (apt or
# brew, scripts/deps.sh); every other target only checks and says what is
# missing, so a packager's offline build never installs anything.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
UNAME_S := $(shell uname -s)
PLATFORM ?= $(if $(filter Darwin,$(UNAME_S)),darwin,linux)

BUILD ?= build
ifeq ($(SANITIZE),1)
override BUILD := $(BUILD)/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   ?= -O2 -g
# Expanded when used, so that the check has run first on a fresh machine.
PKG_CFLAGS = $(shell pkg-config --cflags sqlite3 libcjson)
PKG_LIBS   = $(shell pkg-config --libs sqlite3 libcjson)
PLAT_CFLAGS := $(if $(filter darwin,$(PLATFORM)),-D_DARWIN_C_SOURCE,)
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(PLAT_CFLAGS) $(WARN) $(CFLAGS) $(SANFLAGS) -Iinclude $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

# Folders show the design: record/ (the recorder's path: tracker, sampler,
# coalitions), db/ (the database's one owner), cli/ (commands and what they
# print), platform/<os>/ (system calls and their pure conversions), util/.
CORE_SRC := $(wildcard src/util/*.c src/record/*.c src/db/*.c)
PLAT_SRC := $(wildcard src/platform/$(PLATFORM)/*.c)
CMD_SRC  := $(filter-out src/cli/main.c,$(wildcard src/cli/*.c))
MAIN_SRC := src/cli/main.c
SCHEMA   := $(sort $(wildcard schema/*.sql))

LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRC) $(PLAT_SRC) $(CMD_SRC)) $(BUILD)/schema_sql.o
MAIN_OBJ := $(BUILD)/src/cli/main.o
BIN      := $(BUILD)/prochist

# test_linux_*.c drive the Linux collector itself.
TEST_SRC := $(filter-out $(if $(filter linux,$(PLATFORM)),,tests/unit/test_linux_%.c),$(wildcard tests/unit/*.c))
# The pure half of the macOS collector is tested on every platform.
TEST_PURE := $(if $(filter darwin,$(PLATFORM)),,src/platform/darwin/convert.c src/platform/darwin/soc.c)
TEST_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SRC) $(TEST_PURE) tests/gen/genlib.c)
GEN_BIN  := $(BUILD)/gen-history
TEST_BIN := $(BUILD)/unit_tests
HELPERS  := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(wildcard tests/helpers/*.c))
DEPS_OK  := $(BUILD)/.deps-ok

.PHONY: all test check run deps install uninstall clean cross-darwin bench fuzz
all: prochist

prochist: $(BIN)
	@if [ "$(SANITIZE)" != 1 ]; then cp $(BIN) prochist.tmp && mv -f prochist.tmp prochist; fi

$(DEPS_OK): scripts/deps.sh
	@sh scripts/deps.sh --check
	@mkdir -p $(@D)
	@touch $@

deps:
	sh scripts/deps.sh

$(BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/schema_sql.c: $(SCHEMA) scripts/embed-schema.sh
	@mkdir -p $(@D)
	sh scripts/embed-schema.sh $(SCHEMA) > $@.tmp && mv $@.tmp $@

$(BUILD)/schema_sql.o: $(BUILD)/schema_sql.c | $(DEPS_OK)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BIN): $(LIB_OBJ) $(MAIN_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(TEST_BIN): $(TEST_OBJ) $(LIB_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/unit/%.o: ALL_CFLAGS += -Itests/unit -Itests/gen

# The history generator of the benchmarks (a test tool, not a user command).
$(GEN_BIN): $(BUILD)/tests/gen/gen_history.o $(BUILD)/tests/gen/genlib.o $(LIB_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Test workloads, never sanitized: they are not the code under test, and
# LeakSanitizer's exit-time tracer is a process of its own (with the same
# name) that would change the workload the tests measure.
$(BUILD)/helpers/%: tests/helpers/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) -o $@ $<

test: $(BIN) $(TEST_BIN) $(HELPERS) $(GEN_BIN)
	@sh scripts/deps.sh --check --tools
	BUILD=$(abspath $(BUILD)) PROCHIST=$(abspath $(BIN)) sh tests/run.sh

# One e2e script or unit module: `make check T=tracker`, `make check T=exits`.
check: $(BIN) $(TEST_BIN) $(HELPERS) $(GEN_BIN)
	@test -n "$(T)" || { echo "make check: say which test: make check T=NAME (an e2e script or a unit module)"; exit 2; }
	BUILD=$(abspath $(BUILD)) PROCHIST=$(abspath $(BIN)) sh tests/run.sh $(T)

# The whole prochist for arm64 and x86_64 macOS (SDK 13 and 12) with zig,
# warnings as errors, linked against stubs of libsqlite3 and libcjson.
cross-darwin: | $(DEPS_OK)
	BUILD=$(BUILD) sh scripts/cross-darwin.sh

# The read-and-parse floor of the benchmark.
$(BUILD)/floor: tests/bench/floor.c src/platform/linux/procfs_parse.c | $(DEPS_OK)
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) -Iinclude -o $@ $^

# The benchmark's outside CPU meter and fixed-rate process starter.
$(BUILD)/extcpu: tests/bench/extcpu.c | $(DEPS_OK)
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) -o $@ $<
$(BUILD)/churn: tests/bench/churn.c | $(DEPS_OK)
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) -o $@ $<

# Recorder cost vs atop and the floor, database growth, query latency.
bench: $(BIN) $(GEN_BIN) $(BUILD)/floor $(BUILD)/helpers/tickers $(BUILD)/extcpu $(BUILD)/churn
	BUILD=$(BUILD) bash scripts/bench.sh

# libFuzzer targets for every parser of outside input (clang), FUZZ_SECONDS each.
fuzz: | $(DEPS_OK)
	BUILD=$(BUILD) sh scripts/fuzz.sh

# The one build target that may install: a first run on a fresh machine.
run:
	sh scripts/deps.sh
	$(MAKE) prochist
	./prochist record

install: prochist
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 0755 prochist $(DESTDIR)$(PREFIX)/bin/prochist
	install -m 0644 docs/prochist.1 $(DESTDIR)$(PREFIX)/share/man/man1/prochist.1
	install -m 0644 scripts/completions/prochist.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/prochist
	install -m 0644 scripts/completions/_prochist $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_prochist

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/prochist $(DESTDIR)$(PREFIX)/share/man/man1/prochist.1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/prochist \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_prochist

clean:
	rm -rf build prochist

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
