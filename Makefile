# tierd build. `make` builds build/tierd; `make check` builds and runs every test;
# `make demo` runs a demo stack; `make san` repeats the tests under ASan+UBSan;
# `make fuzz` runs the fuzzers; `make bench` compares tierd with nginx and HAProxy.
# Missing Debian packages are installed when run as root (scripts/deps.sh).

B      ?= build
CC     ?= cc
PYTHON ?= /usr/bin/python3
FUZZ_SECONDS ?= 60

PKGS        := yaml-0.1 jansson sqlite3 libnftables zlib libcurl libcrypto libssl
PKGS        += libsystemd
PKGS        += libnghttp2
WARN        := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
               -Wno-unused-parameter
ifeq ($(CI),true)
WARN        += -Werror
endif
OPT         ?= -O2 -g
CFLAGS_ALL  := -std=c17 -D_GNU_SOURCE -Isrc $(WARN) $(OPT) -pthread $(EXTRA_CFLAGS)
ifdef SAN
CFLAGS_ALL  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDSAN       := -fsanitize=address,undefined
endif

SRC      := $(shell find src -name '*.c' | sort)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
UNIT_SRC := $(shell find tests/unit -name '*.c' | sort)
UNIT_OBJ := $(UNIT_SRC:%.c=$(B)/obj/%.o)
APP_SRC  := $(shell find examples/app -name '*.c' | sort)
FUZZ_TARGETS := $(basename $(notdir $(wildcard fuzz/*.c)))

# The console's files (web/console/, uPlot from package-lock.json) as C arrays: embedded
# in the binary, nothing read or fetched at run time (docs/console.md).
CONSOLE_FILES := $(sort $(wildcard web/console/*)) node_modules/uplot/dist/uPlot.esm.js \
                 node_modules/uplot/dist/uPlot.min.css
CONSOLE_GEN   := $(B)/gen/console_assets.c
LIB_OBJ       += $(B)/obj/$(CONSOLE_GEN:.c=.o)
$(CONSOLE_GEN): scripts/embed.js $(CONSOLE_FILES)
	node scripts/embed.js $@ $(foreach f,$(CONSOLE_FILES),$(notdir $(f))=$(f))
node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css: package-lock.json
	@scripts/deps.sh build

.PHONY: all release deps deps-check check unit fuzz-replay e2e examples san fuzz bench demo \
        clean format stems deb

all: deps $(B)/tierd $(B)/app
release: all

deps:
	@scripts/deps.sh build
deps-check:
	@scripts/deps.sh build check fuzz

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(shell pkg-config --cflags $(PKGS)) -MMD -MP -c $< -o $@

$(B)/libtierd.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/tierd: $(B)/obj/src/main.o $(B)/libtierd.a | stems
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(shell pkg-config --libs $(PKGS)) $(LDSAN) -lm

# The sample backend used by the demo, the tests and the benchmarks.
$(B)/app: $(APP_SRC) $(wildcard examples/app/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $(APP_SRC) $(shell pkg-config --cflags --libs libcrypto) $(LDSAN)

$(B)/unit: $(UNIT_OBJ) $(B)/libtierd.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(shell pkg-config --libs $(PKGS) cmocka) $(LDSAN) -lm

$(UNIT_OBJ): CFLAGS_ALL += -Itests/unit -Itests/lib $(shell pkg-config --cflags cmocka) -DTEST_SRCDIR=\"$(CURDIR)\"

# Symbol stems are unique across src/ (STYLE.md): two files with one basename fail the build.
stems:
	@d=$$(find src -name '*.c' -printf '%f\n' | sort | uniq -d); \
	if [ -n "$$d" ]; then echo "duplicate file stems in src/: $$d" >&2; exit 1; fi

unit: deps-check $(B)/unit
	$(B)/unit

# libFuzzer targets, built with clang against an archive of sanitizer-instrumented objects:
# each source compiles once for every target, and a target links only what it uses.
# `make check` replays corpus and regressions.
FUZZ_FLAGS  := -std=c17 -D_GNU_SOURCE -Isrc -g -O1 -fno-sanitize-recover=undefined \
               $(shell pkg-config --cflags $(PKGS))
FUZZ_OBJ    := $(LIB_SRC:%.c=$(B)/fuzzobj/%.o) $(B)/fuzzobj/$(CONSOLE_GEN:.c=.o)
$(B)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@
$(B)/libtierd-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(B)/fuzz/%: fuzz/%.c $(B)/libtierd-fuzz.a
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(B)/libtierd-fuzz.a \
	    $(shell pkg-config --libs $(PKGS)) -lm -pthread

fuzz-replay: deps-check $(FUZZ_TARGETS:%=$(B)/fuzz/%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  dirs=""; for d in fuzz/corpus/$$t fuzz/regress/$$t; do [ -d $$d ] && dirs="$$dirs $$d"; done; \
	  n=$$(find $$dirs -type f 2>/dev/null | wc -l); \
	  echo "fuzz-replay $$t: $$n inputs"; \
	  $(B)/fuzz/$$t -runs=0 $$dirs >$(B)/fuzz/$$t.log 2>&1 || { cat $(B)/fuzz/$$t.log; exit 1; }; \
	done

fuzz: deps-check $(FUZZ_TARGETS:%=$(B)/fuzz/%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(B)/fuzz/work/$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS)s"; \
	  $(B)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -dict=fuzz/http.dict \
	    -artifact_prefix=fuzz/ $(B)/fuzz/work/$$t fuzz/corpus/$$t; \
	done

# Every example stack file must pass `tierd check`.
examples: $(B)/tierd
	@scripts/demo-cert.sh state/demo-tls >/dev/null
	@set -e; for f in examples/*.yaml; do $(B)/tierd check $$f >/dev/null || { $(B)/tierd check $$f; exit 1; }; echo "check $$f: ok"; done

e2e: deps-check $(B)/tierd $(B)/app
	TIERD=$(abspath $(B)/tierd) APP=$(abspath $(B)/app) $(PYTHON) -m pytest -q -rs -p no:cacheprovider tests/e2e

check: deps-check all unit fuzz-replay examples e2e
	scripts/check-includes src
	@echo "make check: all passed"

# A small quarantine keeps use-after-free detection while freed memory stays close to what
# tierd really holds (the e2e tests bound tierd's RSS while streaming 200 MB).
san:
	ASAN_OPTIONS=quarantine_size_mb=16:detect_leaks=1 \
	    $(MAKE) B=build/san SAN=1 OPT="-O1 -g" all unit examples e2e

bench: deps $(B)/tierd $(B)/app
	@scripts/deps.sh bench
	$(PYTHON) bench/run.py --tierd $(B)/tierd --app $(B)/app
	$(PYTHON) bench/tierd_bench.py --tierd $(B)/tierd --app $(B)/app
	$(PYTHON) bench/scaleout.py --tierd $(B)/tierd
	$(PYTHON) bench/databench.py --tierd $(B)/tierd
	$(PYTHON) bench/tls_bench.py --tierd $(B)/tierd --app $(B)/app --testssl
	$(PYTHON) bench/h2bench.py --tierd $(B)/tierd --app $(B)/app
	$(PYTHON) bench/consolebench.py --tierd $(B)/tierd --app $(B)/app
	$(PYTHON) bench/crowdsec_bench.py --tierd $(B)/tierd --app $(B)/app
	$(PYTHON) bench/fcgibench.py --tierd $(B)/tierd

# The Debian package, $(B)/tierd_VERSION_amd64.deb: a binary built with dpkg-buildflags
# (hardening), then packaging/mkdeb.sh (docs/service.md says what it installs).
deb:
	@scripts/deps.sh build deb
	$(MAKE) B=$(B)/deb-build OPT="$$(dpkg-buildflags --get CFLAGS) $$(dpkg-buildflags --get CPPFLAGS)" \
	    EXTRA_CFLAGS="$$(dpkg-buildflags --get LDFLAGS) -Wl,-z,now" $(B)/deb-build/tierd
	packaging/mkdeb.sh $(B)/deb-build/tierd $(B)
	lintian --fail-on error $(B)/tierd_*_amd64.deb

demo: all
	@scripts/deps.sh demo
	@scripts/demo.sh $(B)

format:
	clang-format -i $(SRC) $(shell find src -name '*.h')

clean:
	rm -rf build

-include $(shell find $(B)/obj $(B)/fuzzobj -name '*.d' 2>/dev/null)
