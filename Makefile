# shoppingfeed-orders — every command the README names. `make test` and `make demo` do their own set-up.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)

CRATE_WASM := target/wasm32-unknown-unknown/release/shoppingfeed_orders.wasm
# Chromium's driver, named explicitly: the test runner would pick geckodriver first if both were on PATH.
export CHROMEDRIVER ?= /usr/bin/chromedriver

.PHONY: setup build test test-native test-wasm test-js test-vendure test-medusa test-scale lint demo bench clean

## setup: toolchain target, wasm-bindgen CLI of the Cargo.lock version, Chromium + driver (idempotent)
setup:
	@scripts/setup.sh

## build: release Wasm → pkg/nodejs (CommonJS) and pkg/web (ESM), sizes printed
build: setup
	@scripts/build.sh

## test: every layer — native Rust, clippy, Wasm in Node and in headless Chromium, JS suites
test: build
	@scripts/test.sh

test-native:
	cargo test --locked
	cargo clippy --locked --all-targets -- -D warnings
	cargo clippy --locked --target wasm32-unknown-unknown --lib -- -D warnings

test-wasm: build
	@scripts/test-wasm.sh

test-js: build
	node --test js-adapter/test/

## test-vendure: a Vendure 3 shop (sql.js) with the plugin installed from the packed tarball, against the sandbox
test-vendure: build
	@platforms/vendure/run-tests.sh

## test-medusa: a Medusa v2 shop (PostgreSQL started by the script) with the plugin from the packed tarball, against the sandbox
test-medusa: build
	@platforms/medusa/run-tests.sh

## test-scale: the scale-out suites alone (Redis and PostgreSQL started on 127.0.0.1 for the run, from apt when
## missing): 3 workers over 20 stores × 500 orders, PostgresStore and the store conformance suite
test-scale: build
	node --test js-adapter/test/scale/ js-adapter/test/stores/postgres.test.js js-adapter/test/stores/conformance.test.js

lint:
	cargo fmt --check
	cargo clippy --locked --all-targets -- -D warnings

## demo: sandbox + engine + SQLite store, the whole circuit, a summary, the dashboard (SERVE=1 keeps it up)
demo: build
	node js-adapter/bin/shoppingfeed-orders.js demo $(if $(DB),--db $(DB)) $(if $(filter 1 true yes,$(SERVE)),--serve)

## bench: printed figures (no timed tests)
bench: build
	node js-adapter/bench/sandbox.bench.js
	node js-adapter/bench/import.bench.js
	node js-adapter/bench/scale.bench.js

clean:
	rm -rf pkg target/wasm32-unknown-unknown/release/shoppingfeed_orders.wasm
