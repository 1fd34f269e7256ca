# corridor — the two commands a newcomer needs: `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# ccache hits across checkouts in different folders (a CI clone, a second worktree): paths under the
# checkout are hashed relative to it, and the working directory is left out of the hash.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: deps configure build test test-sanitize test-unit chaos-multi demo bench fuzz golden clean

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Every test: unit (pure flows, adapters, sandboxes) and integration (the real runtime over embedded
# Kafka, a SQLite file and the sandboxes on loopback), then the pure unit tests again under the
# address and undefined-behaviour sanitizers (a second, smaller build).
SAN_BUILD ?= build-sanitize
SAN_TESTS = unit_core|unit_statemachines|unit_adapters|unit_sandbox|unit_examples
# The chaos tests are in it: the crash test (one engine) and the multi-instance test (three engines on
# PostgreSQL, about four minutes; `make chaos-multi` runs it alone, verbose).
test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 900
	@$(MAKE) --no-print-directory test-sanitize

chaos-multi: build
	@ctest --test-dir $(BUILD) --output-on-failure -V -L chaos-multi

test-sanitize: deps
	@cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCORRIDOR_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS) --target $$(ctest --test-dir $(SAN_BUILD) -N -R '$(SAN_TESTS)' | sed -n 's/.*Test *#[0-9]*: //p')
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --test-dir $(SAN_BUILD) --output-on-failure -j $(JOBS) -R '$(SAN_TESTS)'

test-unit: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

# Fuzzing (docs/fuzzing.md): a clang build of the libFuzzer targets in fuzz/, each run FUZZ_SECONDS
# from the seeds in fuzz/corpus and fuzz/regressions (new inputs go to a scratch corpus in the build
# folder, never to the repository). `make test` replays the same files without libFuzzer.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(notdir $(wildcard fuzz/corpus/*))
fuzz:
	@scripts/install-deps.sh fuzz
	@cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DCORRIDOR_FUZZ=ON -DBUILD_TESTING=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Records the golden inputs log anew (tests/golden/, read by golden_replay_test): only when a change of
# behaviour is meant, said in the commit.
golden: build
	@cmake --build $(BUILD) --target golden_record
	@$(BUILD)/tests/golden_record

# At a terminal the engine stays up after the scenarios (Ctrl-C stops it), so that they can be browsed
# in the console the demo names; elsewhere (a script, CI) it exits with the demo's own code.
demo: build
	@if [ -t 0 ]; then $(BUILD)/engine/corridor demo --serve; else $(BUILD)/engine/corridor demo; fi

bench: build
	@for b in $(BUILD)/bench/bench_*; do [ -x "$$b" ] && "$$b"; done; true

clean:
	@rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
