# heaplab — one non-recursive Makefile.
#
#   make demo       install what is missing, build, run brk_pin under the harness
#   make test       install what is missing, build, run the whole suite, then
#                   again with the tools built under ASan+UBSan
#   make bench      benchmarks that print figures
#   make deps       check for the Debian packages heaplab needs (install as root)
#   make fuzz       build the parser fuzz targets (clang, libFuzzer)
#   make matrix     fetch the glibc matrix (Debian bullseye 2.31, trixie 2.41,
#                   sid 2.43) into its cache and build what runs under 2.31
#
# Every build target runs `deps` first, so a missing package is named by
# scripts/deps.sh and never shows up as a compiler error.
#
# SAN=1 builds lib/, the harness and the unit tests with ASan+UBSan into
# build-san/. Experiments are never sanitized: they exist to show glibc's
# allocator, and ASan would replace it with its own.

SAN ?=
ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
else
BUILD ?= build
SANFLAGS :=
endif

CC ?= cc
# snprintf into fixed-size record fields truncates on purpose: no -Wformat-truncation.
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers \
	-Wno-format-truncation
BASEFLAGS := -std=gnu11 -g -O2 -D_GNU_SOURCE -fno-omit-frame-pointer -MMD -MP $(WARN)
CFLAGS ?=
# Recursive on purpose: pkg-config runs when a recipe needs it, after deps.
PKG_CFLAGS = $(shell pkg-config --cflags libcjson expat libdw 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs libcjson expat libdw libelf 2>/dev/null)
CURSES_CFLAGS = $(shell pkg-config --cflags ncursesw 2>/dev/null)
CURSES_LIBS = $(shell pkg-config --libs ncursesw 2>/dev/null)

ALL_CFLAGS = $(BASEFLAGS) $(SANFLAGS) $(CFLAGS) -Ilib -Iheapview $(PKG_CFLAGS) $(CURSES_CFLAGS)
EXP_CFLAGS = $(BASEFLAGS) -O1 $(CFLAGS) -Iexperiments

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libheaplab.a

HARNESS_SRC := $(sort $(wildcard harness/*.c))
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/obj/%.o)
HEAPLAB := $(BUILD)/heaplab

HEAPVIEW_SRC := $(sort $(wildcard heapview/*.c))
HEAPVIEW_OBJ := $(HEAPVIEW_SRC:%.c=$(BUILD)/obj/%.o)
HEAPVIEW := $(BUILD)/heapview
# everything but main.o, for the unit tests of the model and the layout
HV_LIB := $(BUILD)/libheapview.a
# the preload agent that runs malloc_trim(0) in a target on request; like
# the experiments it is never sanitized (it lives inside the target)
TRIM_AGENT := build/libheaplab-trim.so
# the allocation recorder heaplab trace preloads: never sanitized (it runs
# inside other programs), always optimized
TRACER := build/libheaplab-trace.so
TRACER_LINK := $(if $(filter build,$(BUILD)),,$(BUILD)/libheaplab-trace.so)
# what heaplab replay runs: performs a trace's calls under any malloc, so,
# like the experiments, it is never sanitized
REPLAYER := build/heaplab-replay
REPLAYER_LINK := $(if $(filter build,$(BUILD)),,$(BUILD)/heaplab-replay)

# Experiments are shared by both builds and live in build/experiments.
EXP_DIR := build/experiments
EXP_SRC := $(filter-out experiments/lab.c,$(sort $(wildcard experiments/*.c)))
EXP_BIN := $(EXP_SRC:experiments/%.c=$(EXP_DIR)/%)

# Programs the tests run under the harness (they speak the phase protocol).
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=build/tests/helpers/%)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# The glibc matrix (scripts/glibc.sh): other Debian suites' glibc, unpacked
# into a cache, never installed. Programs built here need symbols 2.31 lacks
# (the 2.34 start files, mallinfo2), so what runs inside a target (the
# experiments, the test helpers, the recorder, the trim agent, the
# replayer) is built against 2.31 too, into build/glibc-2.31/.
MATRIX_SUITES ?= bullseye trixie sid
OLD_GLIBC := 2.31
OLD := build/glibc-$(OLD_GLIBC)
OLD_CFLAGS = $(shell sh scripts/glibc.sh cflags $(OLD_GLIBC) 2>/dev/null)
OLD_BIN := $(EXP_SRC:experiments/%.c=$(OLD)/experiments/%) \
	$(filter-out %_static,$(HELPER_SRC:tests/helpers/%.c=$(OLD)/tests/helpers/%)) \
	$(OLD)/libheaplab-trace.so $(OLD)/libheaplab-trim.so $(OLD)/heaplab-replay

BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/bench/%)

.DELETE_ON_ERROR:

.PHONY: all deps demo run test test-plain bench fuzz clean format matrix old-glibc

# with the matrix fetched, the 2.31 builds are part of every build
all: $(LIB) $(HEAPLAB) $(HEAPVIEW) $(TRIM_AGENT) $(TRACER) $(TRACER_LINK) $(REPLAYER) $(REPLAYER_LINK) $(EXP_BIN) $(UNIT_BIN) $(HELPER_BIN) $(if $(OLD_CFLAGS),$(OLD_BIN))

deps:
	@sh scripts/deps.sh

$(BUILD)/obj/%.o: %.c lib/heaplab.h | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(HEAPLAB): $(HARNESS_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(HARNESS_OBJ) $(LIB) $(PKG_LIBS) -lm
	@# the harness finds experiments beside itself
	@[ "$(BUILD)" = build ] || ln -sfn ../build/experiments $(BUILD)/experiments

$(HV_LIB): $(filter-out %/main.o,$(HEAPVIEW_OBJ))
	@rm -f $@
	ar rcs $@ $^

$(HEAPVIEW): $(BUILD)/obj/heapview/main.o $(HV_LIB) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(BUILD)/obj/heapview/main.o $(HV_LIB) $(LIB) $(PKG_LIBS) $(CURSES_LIBS) -lm
	@# heapview finds heaplab, the experiments and the trim agent beside itself
	@[ "$(BUILD)" = build ] || ln -sfn ../build/libheaplab-trim.so $(BUILD)/libheaplab-trim.so

$(TRIM_AGENT): heapview/agent/trim_agent.c | deps
	$(CC) $(BASEFLAGS) $(CFLAGS) -fPIC -shared -o $@ $< -pthread

TRACER_SRC := tracer/trace.c tracer/process.c tracer/attach.c
$(TRACER): $(TRACER_SRC) tracer/recorder.h tracer/trace_format.h | deps
	$(CC) $(BASEFLAGS) -O2 -fPIC -shared -fvisibility=hidden -fno-omit-frame-pointer -o $@ $(TRACER_SRC) -pthread -ldl

$(REPLAYER): tracer/replay.c tracer/replay_format.h build/experiments/lab.o experiments/lab.h | deps
	$(CC) $(EXP_CFLAGS) -Iexperiments -o $@ $< build/experiments/lab.o -pthread

# the sanitized heaplab finds the recorder and the replayer beside itself too
ifneq ($(BUILD),build)
$(TRACER_LINK): $(TRACER)
	@mkdir -p $(@D)
	ln -sfn ../build/libheaplab-trace.so $@
$(REPLAYER_LINK): $(REPLAYER)
	@mkdir -p $(@D)
	ln -sfn ../build/heaplab-replay $@
endif

build/experiments/lab.o: experiments/lab.c experiments/lab.h | deps
	@mkdir -p $(@D)
	$(CC) $(EXP_CFLAGS) -c $< -o $@

$(EXP_DIR)/%: experiments/%.c build/experiments/lab.o experiments/lab.h | deps
	@mkdir -p $(@D)
	$(CC) $(EXP_CFLAGS) -o $@ $< build/experiments/lab.o -pthread

build/tests/helpers/%: tests/helpers/%.c build/experiments/lab.o experiments/lab.h | deps
	@mkdir -p $(@D)
	$(CC) $(EXP_CFLAGS) -o $@ $< build/experiments/lab.o -pthread $(if $(findstring _static,$*),-static) $(if $(findstring _nofp,$*),-fomit-frame-pointer)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/t.h $(HV_LIB) $(LIB) | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(HV_LIB) $(LIB) $(PKG_LIBS) $(CURSES_LIBS) -lm

build/bench/%: bench/%.c $(LIB) | deps
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(CFLAGS) -Ilib $(PKG_CFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lm

matrix: deps
	@sh scripts/glibc.sh fetch $(MATRIX_SUITES)
	@$(MAKE) -s --no-print-directory old-glibc

old-glibc: $(OLD_BIN)

$(OLD)/lab.o: experiments/lab.c experiments/lab.h | deps
	@mkdir -p $(@D)
	$(CC) $(EXP_CFLAGS) $(OLD_CFLAGS) -c $< -o $@

$(OLD)/experiments/%: experiments/%.c $(OLD)/lab.o experiments/lab.h | deps
	@mkdir -p $(@D)
	$(CC) $(EXP_CFLAGS) $(OLD_CFLAGS) -o $@ $< $(OLD)/lab.o -pthread

$(OLD)/tests/helpers/%: tests/helpers/%.c $(OLD)/lab.o experiments/lab.h | deps
	@mkdir -p $(@D)
	$(CC) $(EXP_CFLAGS) $(OLD_CFLAGS) -o $@ $< $(OLD)/lab.o -pthread

$(OLD)/libheaplab-trace.so: $(TRACER_SRC) tracer/recorder.h tracer/trace_format.h | deps
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(OLD_CFLAGS) -O2 -fPIC -shared -fvisibility=hidden -o $@ $(TRACER_SRC) -pthread -ldl

$(OLD)/libheaplab-trim.so: heapview/agent/trim_agent.c | deps
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(OLD_CFLAGS) -fPIC -shared -o $@ $< -pthread

$(OLD)/heaplab-replay: tracer/replay.c tracer/replay_format.h $(OLD)/lab.o experiments/lab.h | deps
	@mkdir -p $(@D)
	$(CC) $(EXP_CFLAGS) $(OLD_CFLAGS) -Iexperiments -o $@ $< $(OLD)/lab.o -pthread

demo run: all
	./$(HEAPLAB) run brk_pin

# The suite runs twice: plain, then with lib/, the harness and the unit tests
# under ASan+UBSan. tests/run prints one summary line per pass; the last line
# is the sum of both, which is what CI reads.
test: deps
	@# the matrix, fetched once per run: a suite that cannot be fetched fails
	@# the tests that need it, which say so
	@mkdir -p build
	@sh scripts/glibc.sh fetch $(MATRIX_SUITES) >build/glibc-fetch.log 2>&1 && \
		$(MAKE) -s --no-print-directory old-glibc || \
		echo "heaplab: the glibc matrix could not be made (see build/glibc-fetch.log; retry: make matrix)"
	@$(MAKE) -s --no-print-directory all
	@$(MAKE) -s --no-print-directory SAN=1 all
	@sh tests/run build build-san

test-plain: all
	@sh tests/run build

bench: all $(BENCH_BIN)
	@sh bench/run.sh

fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/Makefile

-include $(shell find build build-san -name '*.d' 2>/dev/null)

clean:
	rm -rf build build-san build-fuzz

format:
	clang-format -i lib/*.[ch] harness/*.[ch] experiments/*.[ch] tests/unit/*.[ch]
