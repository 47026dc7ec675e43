# swifttune: the two commands of the README, and the developer targets.
#   make demo   build everything (release, the wheel into .venv) and run the seed tutorial: natively
#               in Swift (DEMO_ARGS), then the tutorial's Python script with only its imports changed
#               (PY_DEMO_ARGS)
#   make test   build everything and run every test: Swift tests, C API tests, the C example,
#               valgrind, the header checks, the Python tests against the installed wheel, the
#               wheel without Swift, auditwheel, the sdist and `pip install ./python`
#   make check  the fast loop (under 90 s): debug build, Swift tests, the Python tests not marked
#               slow or ray
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
SWIFTC ?= $(dir $(SWIFT))swiftc
CC ?= cc
CLANG ?= $(shell command -v clang 2>/dev/null || echo /opt/swift/usr/bin/clang)
PYTHON ?= python3
PREFIX ?= /usr/local
VERSION := $(shell cat VERSION)

# One release configuration for everything (the library links the Swift runtime statically).
RELEASE := -c release -Xswiftc -static-stdlib
LIB := .build/release/libswifttune.so
# `make test` installs into this prefix and builds the C programs against it with pkg-config.
TEST_PREFIX := $(CURDIR)/.build/c-prefix
VALGRIND := valgrind --quiet --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect

.PHONY: fuzz fuzz-build test-fuzz sanitize sanitize-address sanitize-thread all build lib header header-check install demo demo-swift demo-python wheel test test-swift test-c test-python test-wheel test-dist check venv deps bench bench-swift bench-seed bench-scale bench-fmin bench-anneal bench-pbt clean

all: build

build:
	$(SWIFT) build $(RELEASE)

lib:
	$(SWIFT) build $(RELEASE) --product swifttune

# One source for the boundary: scripts/gen_header.py writes Sources/CSwiftTune/Version.swift
# (from VERSION), then include/swifttune.h and python/swifttune/_capi.py (from the Swift
# compiler's header of Sources/CSwiftTune, and VERSION).
GEN_HEADER := $(PYTHON) scripts/gen_header.py $(SWIFTC) .build/release/Modules include/swifttune.h \
	--capi python/swifttune/_capi.py --version-swift Sources/CSwiftTune/Version.swift
header: lib
	$(GEN_HEADER)
	$(SWIFT) build $(RELEASE) --product swifttune

# Fails when the committed header, _capi.py or Version.swift is stale; then compiles the header
# warning-free as C99 (gcc, clang -pedantic) and as C++.
header-check: lib
	$(GEN_HEADER) --check
	printf '#include "swifttune.h"\nint main(void) { return st_version()[0] == 0; }\n' > .build/header_check.c
	cp .build/header_check.c .build/header_check.cpp
	gcc -std=c99 -Wall -Wextra -Werror -Iinclude -c .build/header_check.c -o /dev/null
	$(CLANG) -std=c99 -Wall -Wextra -pedantic -Werror -Iinclude -c .build/header_check.c -o /dev/null
	g++ -Wall -Werror -Iinclude -c .build/header_check.cpp -o /dev/null
	@echo "header checks passed: gcc -std=c99, clang -pedantic, g++"

# Installs libswifttune.so (stripped), swifttune.h and swifttune.pc under PREFIX.
install: lib
	install -d $(PREFIX)/lib/pkgconfig $(PREFIX)/include
	install -m 755 $(LIB) $(PREFIX)/lib/libswifttune.so
	strip --strip-unneeded $(PREFIX)/lib/libswifttune.so
	install -m 644 include/swifttune.h $(PREFIX)/include/swifttune.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' swifttune.pc.in > $(PREFIX)/lib/pkgconfig/swifttune.pc

demo: demo-swift demo-python

demo-swift:
	$(SWIFT) run $(RELEASE) swifttune-demo $(DEMO_ARGS)

# The seed tutorial's Python script, imports swapped to swifttune, run from the wheel installed
# into .venv.
demo-python: wheel
	.venv/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps dist/swifttune-*.whl
	.venv/bin/pip install --quiet --disable-pip-version-check cloudpickle
	.venv/bin/python examples/hyperopt_example.py $(PY_DEMO_ARGS)

test: deps test-swift test-c test-fuzz test-python test-wheel test-dist

# The test environment: .venv with pytest, mypy, cloudpickle and build, plus Ray Tune, hyperopt
# and pandas for the parity tests against the real libraries, and the libraries Ray's wrappers
# (BayesOptSearch, NevergradSearch) drive, at the version Ray names, mlflow and wandb for the
# tracking integrations, and tensorboard, whose reader reads the event files back (all from PyPI;
# ray[tune] brings tensorboardX). wandb 0.31.0 is the newest release Ray 2.53's integration
# imports and runs with (its tests run it offline: no network, no account). Optuna for the
# Optuna TPE's comparisons, and psycopg2 for its study shared through PostgreSQL (Debian's
# postgresql, which `deps` installs; the test starts its own server). nbclient, nbformat and
# ipykernel run the seed tutorial as a notebook in a real Jupyter kernel; matplotlib and plotly draw the plots;
# websocket-client drives Debian's Chromium (which `deps` installs) to load the report page; pyspark runs
# SparkTrials on a local Spark (with Debian's Java 17, which `deps` installs).
VENV_PACKAGES := pytest "mypy==2.4.1" cloudpickle pandas "ray[tune]==2.53.0" "hyperopt==0.3.0" build \
	"bayesian-optimization==1.4.3" "nevergrad==1.0.3" "mlflow==3.17.2" "wandb==0.31.0" "tensorboard==2.21.0" \
	"scikit-learn==1.9.1" "ConfigSpace==1.2.2" "optuna==5.0.0" "psycopg2-binary==2.9.13" \
	"nbclient==0.11.0" "nbformat==5.11.1" "ipykernel==7.4.0" "matplotlib==3.11.2" "websocket-client==1.9.2" \
	"plotly==7.1.0" "pyspark==4.0.1"
venv: .venv/.ready .venv-bohb/.ready
.venv/.ready: .venv/bin/python Makefile
	.venv/bin/pip install --quiet --disable-pip-version-check $(VENV_PACKAGES)
	touch .venv/.ready
.venv/bin/python:
	$(PYTHON) -m venv .venv
# Ray's TuneBOHB needs hpbandster and ConfigSpace 0.7 (Ray 2.53's converter passes `q`, which
# ConfigSpace 1.x refuses), whose compiled code needs NumPy 1.x, which the test environment's other
# libraries no longer take: the Ray side of the BOHB tests runs in a venv of its own
# (SWIFTTUNE_RAY_BOHB_PYTHON), swifttune's side in .venv.
BOHB_PACKAGES := "ray[tune]==2.53.0" "numpy==1.26.4" "pyarrow==19.0.1" "pandas==2.3.3" "ConfigSpace==0.7.1" "hpbandster==0.7.4" \
	"statsmodels==0.15.0" cloudpickle
.venv-bohb/.ready: Makefile
	$(PYTHON) -m venv .venv-bohb
	.venv-bohb/bin/pip install --quiet --disable-pip-version-check $(BOHB_PACKAGES)
	touch .venv-bohb/.ready

# The Python tests run against what users install: the wheel, installed into .venv, imported from
# outside the source tree (no PYTHONPATH, no SWIFTTUNE_LIBRARY). mypy checks the package's source.
PYTEST_RUN := .build/pytest-run
test-python: wheel venv
	cd python && ../.venv/bin/mypy --ignore-missing-imports swifttune
	.venv/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps dist/swifttune-*.whl
	rm -rf $(PYTEST_RUN) && mkdir -p $(PYTEST_RUN)
	cd $(PYTEST_RUN) && env -u PYTHONPATH -u SWIFTTUNE_LIBRARY SWIFTTUNE_RAY_BOHB_PYTHON=$(CURDIR)/.venv-bohb/bin/python \
		$(CURDIR)/.venv/bin/python -m pytest -q -p no:cacheprovider --durations=25 $(CURDIR)/python/tests $(PYTEST_ARGS)

# The fast loop: a debug build, the Swift tests, and the Python tests not marked slow or ray, on the
# debug library and the package's source.
check: venv
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	PYTHONPATH=python SWIFTTUNE_LIBRARY=$(CURDIR)/.build/debug/libswifttune.so .venv/bin/python -m pytest -q -p no:cacheprovider -m "not slow and not ray and not installed" python/tests

# What the tests need beyond the Swift toolchain, from Debian's packages when missing.
deps:
	@missing=""; \
	for tool in valgrind:valgrind pkg-config:pkgconf gcc:gcc g++:g++; do \
	  command -v $${tool%%:*} >/dev/null || missing="$$missing $${tool##*:}"; \
	done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Sanitizers (not part of `make test`: 5 min 41 s here with both builds cached). sanitize-address: the Swift library
# and tests built with AddressSanitizer (and LeakSanitizer), the C API tests and the 8-thread
# stress test compiled with clang's -fsanitize=address,undefined against that library (Swift on
# Linux has no UndefinedBehaviorSanitizer; its debug builds trap overflow and out-of-bounds
# access themselves). sanitize-thread: the same under ThreadSanitizer, built with SWIFTTUNE_TSAN
# (the locks annotate their critical sections, Sources/SwiftTune/Concurrency/Locked.swift).
# Any report fails the target. Build folders: .build/asan, .build/tsan.
SAN_CLANG := $(dir $(SWIFT))clang
SAN_RUNTIME := $(abspath $(dir $(SWIFT))../lib/swift/linux)
SAN_C := -std=c99 -g -O1 -fno-omit-frame-pointer -pthread -Iinclude
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/sanitizers/lsan.supp \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
sanitize: sanitize-address sanitize-thread

sanitize-address:
	$(SWIFT) build --build-path .build/asan --sanitize=address --build-tests
	$(ASAN_ENV) $(SWIFT) test --build-path .build/asan --sanitize=address --skip-build
	set -e -o pipefail; for t in test_api test_stress; do \
	  $(SAN_CLANG) $(SAN_C) -fsanitize=address,undefined -fno-sanitize-recover=all Tests/c/$$t.c \
	    -L.build/asan/debug -lswifttune -Wl,-rpath,$(CURDIR)/.build/asan/debug -lm -o .build/asan/$$t 2>&1 \
	    | { grep -v "Cannot export local symbol" || true; }; \
	done
	$(ASAN_ENV) .build/asan/test_api
	$(ASAN_ENV) .build/asan/test_stress
	@echo "AddressSanitizer, LeakSanitizer and (C) UndefinedBehaviorSanitizer: no reports"

sanitize-thread:
	SWIFTTUNE_TSAN=1 $(SWIFT) build --build-path .build/tsan --sanitize=thread --build-tests
	$(TSAN_ENV) SWIFTTUNE_TSAN=1 $(SWIFT) test --build-path .build/tsan --sanitize=thread --skip-build
	set -e -o pipefail; for t in test_api test_stress; do \
	  $(SAN_CLANG) $(SAN_C) -fsanitize=thread Tests/c/$$t.c -L.build/tsan/debug -lswifttune \
	    -Wl,-rpath,$(CURDIR)/.build/tsan/debug -L$(SAN_RUNTIME) -ldispatch -lBlocksRuntime -Wl,-rpath,$(SAN_RUNTIME) \
	    -lm -o .build/tsan/$$t 2>&1 | { grep -v "Cannot export local symbol" || true; }; \
	done
	$(TSAN_ENV) .build/tsan/test_api
	$(TSAN_ENV) .build/tsan/test_stress
	@echo "ThreadSanitizer: no reports"

# Fuzzing: libFuzzer targets (Tests/fuzz/README.md) linked against the
# library built with AddressSanitizer and libFuzzer's coverage (swiftc -sanitize=fuzzer), each run
# for FUZZ_SECONDS from the committed seed corpus (Tests/fuzz/corpus/<target>, read only) plus what
# earlier runs found (.build/fuzz/corpus-<target>). A crash, leak, hang (FUZZ_TIMEOUT s per input)
# or broken invariant fails the target and leaves the input in .build/fuzz/<target>-crash-*.
FUZZ_SECONDS ?= 180
FUZZ_TIMEOUT ?= 10
FUZZ_TARGETS := space specs restore sequence
FUZZ_ENV := SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/sanitizers/lsan.supp
fuzz-build:
	$(SWIFT) build --build-path .build/fuzz --sanitize=address -Xswiftc -sanitize=fuzzer --product swifttune
	set -e -o pipefail; for t in $(FUZZ_TARGETS); do \
	  $(SAN_CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude Tests/fuzz/fuzz_$$t.c -L.build/fuzz/debug \
	    -lswifttune -Wl,-rpath,$(CURDIR)/.build/fuzz/debug -lm -o .build/fuzz/fuzz_$$t 2>&1 \
	    | { grep -v "Cannot export local symbol" || true; }; \
	done

fuzz: fuzz-build
	set -e -o pipefail; for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build/fuzz/corpus-$$t; \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  $(FUZZ_ENV) .build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 $(FUZZ_FLAGS) \
	    -artifact_prefix=.build/fuzz/$$t- .build/fuzz/corpus-$$t Tests/fuzz/corpus/$$t 2>&1 \
	    | grep -E "^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::|==[0-9]+==ERROR|invariant failed|SUMMARY)"; \
	done
	@echo "fuzz: no crash, leak, hang or broken invariant in $(FUZZ_SECONDS) s per target"

# `make test`'s short fuzz run: every committed seed input (the regression inputs among them) and
# what grows from them, for FUZZ_SHORT_SECONDS per target, with a fixed seed (the same inputs in
# the same order on every machine, as far as the time allows).
FUZZ_SHORT_SECONDS ?= 15
test-fuzz:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SHORT_SECONDS) FUZZ_FLAGS=-seed=1

# Debug build: the tests use @testable import. The TPE domain test prints its success count.
test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The C API: install into a scratch prefix, build the tests and the example with cc and
# pkg-config, run them, and run the API tests and the example under valgrind.
test-c: header-check
	$(MAKE) --no-print-directory install PREFIX=$(TEST_PREFIX)
	export PKG_CONFIG_PATH=$(TEST_PREFIX)/lib/pkgconfig; \
	flags="$$(pkg-config --cflags --libs swifttune)"; \
	set -e; \
	$(CC) -std=c99 -Wall -Wextra -Werror Tests/c/test_api.c $$flags -lm -o .build/test_api; \
	$(CC) -std=c99 -Wall -Wextra -Werror -pthread Tests/c/test_stress.c $$flags -o .build/test_stress; \
	$(CC) -std=c99 -Wall -Wextra -Werror examples/c/tune_seed.c $$flags -o .build/tune_seed
	.build/test_api
	.build/test_stress
	.build/tune_seed 1000
	$(VALGRIND) .build/test_api
	$(VALGRIND) .build/tune_seed 40
	@echo "C API checks passed (valgrind: no definite or indirect leaks, no invalid accesses)"

# The wheel: the Python package with libswifttune.so inside, a platform wheel (files in the platlib
# root) tagged py3-none-<the manylinux tag auditwheel reports for it>.
WHEEL_TOOLS := auditwheel wheel
.venv/.wheel-tools: .venv/bin/python
	.venv/bin/pip install --quiet --disable-pip-version-check $(WHEEL_TOOLS)
	touch .venv/.wheel-tools
wheel: lib .venv/.wheel-tools
	rm -rf dist python/build
	SWIFTTUNE_BUNDLE_LIBRARY=$(CURDIR)/$(LIB) .venv/bin/pip wheel --quiet --disable-pip-version-check --no-deps -w dist ./python
	rm -rf python/build python/*.egg-info
	.venv/bin/python scripts/tag_wheel.py dist/swifttune-*.whl
	@ls -l dist/*.whl

# Installs the wheel into a new venv with the Swift toolchain hidden (a PATH without it, no
# LD_LIBRARY_PATH, no SWIFTTUNE_LIBRARY), then imports every public module, runs `python -m
# swifttune info` and the seed tutorial's script, scaled, from outside the repository; checks
# the wheel's layout and that its tag is the one auditwheel reports.
WHEEL_ENV := env -i HOME=$(HOME) PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8
test-wheel: wheel
	.venv/bin/python scripts/tag_wheel.py dist/swifttune-*.whl --check
	rm -rf .build/wheel-venv .build/wheel-run && mkdir -p .build/wheel-run
	$(PYTHON) -m venv .build/wheel-venv
	$(WHEEL_ENV) .build/wheel-venv/bin/pip install --quiet --disable-pip-version-check dist/swifttune-*.whl
	$(WHEEL_ENV) sh -c '! command -v swift && ! command -v swiftc' >/dev/null
	cd .build/wheel-run && $(WHEEL_ENV) ../wheel-venv/bin/python -c "import swifttune.integrations.ray, swifttune.tune.search.basic_variant, swifttune.tune.search.concurrency_limiter, swifttune.hyperopt"
	cd .build/wheel-run && $(WHEEL_ENV) ../wheel-venv/bin/python -m swifttune info | tee info.txt
	grep -q "wheel-venv/lib/.*/site-packages/swifttune/_lib/libswifttune.so" .build/wheel-run/info.txt
	cd .build/wheel-run && $(WHEEL_ENV) ../wheel-venv/bin/python $(CURDIR)/examples/hyperopt_example.py --num-samples 20 --storage-path $(CURDIR)/.build/wheel-run/results | tail -n 2
	@echo "wheel checks passed: a manylinux platform wheel, installed and run without the Swift toolchain"

# The other two ways to install: the sdist (it carries the Swift package and compiles the library
# with the toolchain) and `pip install ./python` from this checkout, each into a new venv.
test-dist: venv
	rm -rf .build/sdist .build/sdist-venv .build/src-venv .build/dist-run && mkdir -p .build/dist-run
	.venv/bin/python -m build --sdist --outdir .build/sdist python
	rm -rf python/*.egg-info
	$(PYTHON) -m venv .build/sdist-venv
	.build/sdist-venv/bin/pip install --quiet --disable-pip-version-check .build/sdist/swifttune-*.tar.gz
	cd .build/dist-run && ../sdist-venv/bin/python -m swifttune info > sdist-info.txt && grep -q "sdist-venv/lib/.*/site-packages/swifttune/_lib/libswifttune.so" sdist-info.txt
	cd .build/dist-run && ../sdist-venv/bin/python $(CURDIR)/examples/hyperopt_example.py --num-samples 10 --storage-path $(CURDIR)/.build/dist-run/sdist | tail -n 1
	$(PYTHON) -m venv .build/src-venv
	.build/src-venv/bin/pip install --quiet --disable-pip-version-check ./python
	rm -rf python/build python/*.egg-info
	cd .build/dist-run && ../src-venv/bin/python -m swifttune info > src-info.txt && grep -q "src-venv/lib/.*/site-packages/swifttune/_lib/libswifttune.so" src-info.txt
	cd .build/dist-run && ../src-venv/bin/python $(CURDIR)/examples/hyperopt_example.py --num-samples 10 --storage-path $(CURDIR)/.build/dist-run/src | tail -n 1
	@echo "sdist and source checks passed: both installed and ran"

# `make bench`: swifttune side by side with hyperopt, Optuna and Ray Tune, each from PyPI, in one
# run (bench/compare.py, about 18 minutes here for its five sections): tables, plots and bench/results/summary.md.
BENCH_PACKAGES := cloudpickle pandas matplotlib==3.11.2 "hyperopt==0.3.0" "optuna==5.0.0" "ray[tune]==2.53.0"
bench: lib .venv-bench/.ready
	PYTHONPATH=python SWIFTTUNE_LIBRARY=$(CURDIR)/$(LIB) .venv-bench/bin/python bench/compare.py $(BENCH_ARGS)
.venv-bench/.ready: Makefile
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet --disable-pip-version-check $(BENCH_PACKAGES)
	touch .venv-bench/.ready

# `make bench-swift`: the Swift-native benchmarks (bench/swift, ordo-one's package-benchmark):
# wall time, allocations and peak memory of the core's hot paths.
bench-swift:
	cd bench/swift && swift package --disable-sandbox benchmark --no-progress --time-units microseconds

# The seed tutorial side by side: swifttune's two executors and Ray Tune + HyperOptSearch (.venv has Ray);
# with BASELINE=REV, swifttune as of git revision REV too (built in .build/baseline), alternating, medians of 5.
bench-seed: lib venv
	PYTHONPATH=python SWIFTTUNE_LIBRARY=$(CURDIR)/$(LIB) .venv/bin/python bench/seed_overhead.py $(if $(BASELINE),--baseline $(BASELINE))

# Experiments far larger than the tests', their state journalled as they run (docs/reliability.md,
# "Scale"): 100,000 trials through the Swift engine, then 20,000 through Python's tune.Tuner.
bench-scale: lib venv
	$(SWIFT) build $(RELEASE) --product swifttune-scale
	.build/release/swifttune-scale $(SCALE_ARGS)
	PYTHONPATH=python SWIFTTUNE_LIBRARY=$(CURDIR)/$(LIB) .venv/bin/python bench/scale.py

# PBT on Ray's pbt_function toy problem, swifttune's and Ray's side by side (5 seeds; Ray takes ~3 min a run).
bench-pbt: lib venv
	PYTHONPATH=python SWIFTTUNE_LIBRARY=$(CURDIR)/$(LIB) .venv/bin/python bench/pbt_toy.py $(BENCH_ARGS)

# hyperopt's fmin and swifttune.hyperopt's fmin side by side (.venv has hyperopt).
bench-fmin: lib venv
	PYTHONPATH=python SWIFTTUNE_LIBRARY=$(CURDIR)/$(LIB) .venv/bin/python bench/fmin_speed.py

bench-anneal: lib venv
	PYTHONPATH=python SWIFTTUNE_LIBRARY=$(CURDIR)/$(LIB) .venv/bin/python bench/anneal_domains.py

clean:
	rm -rf .build
