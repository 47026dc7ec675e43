# swifttune: the two commands of the README, and the developer targets.
#   make demo   build (release) and run the seed tutorial natively in Swift (DEMO_ARGS to change it)
#   make test   build and run every test the project has
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)

.PHONY: all build demo test test-swift bench-tpe bench-engine clean

all: build

build:
	$(SWIFT) build -c release

demo:
	$(SWIFT) run -c release swifttune-demo $(DEMO_ARGS)

test: test-swift

# Debug build: the tests use @testable import. The TPE domain test prints its success count.
test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Median time of one TPE suggestion with 100 / 1,000 / 10,000 trials of history.
bench-tpe:
	$(SWIFT) run -c release swifttune-bench

# The engine's overhead per report and per trial (no-op objective, 4 workers).
bench-engine:
	$(SWIFT) run -c release swifttune-engine-bench

clean:
	rm -rf .build
