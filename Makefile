# ringcast: two commands.
#   make run   install what is missing, build the daemon (with its pages, web/)
#              and the ringcast tool, start ringcastd on the built-in config with
#              a development API key
#   make test  same setup, then build everything and run every test
# Other targets: make build (everything), make bench (micro-benchmarks), make fuzz
# (each fuzz target for FUZZ_SECONDS), make clean.
# Variables: HTTP (listen address), DATA (data directory), CONFIG (a configuration
# file for make run), BUILD (build directory), SAN_BUILD (the sanitizer and fuzz
# build directory), FUZZ_SECONDS and FUZZ_TARGETS (make fuzz). docs/testing.md.

SHELL := /bin/bash
BUILD ?= build
SAN_BUILD ?= build-san
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?= http_request message_json socket_line jwt config sse_parser forwarded query alert_json web_path handover_codec tls_handshake resp_reply
HTTP ?= 127.0.0.1:8080
DATA ?= var
CONFIG ?=

# Debian 12 packages the build and the tests need (meson configures the tests and
# benchmarks with the daemon, so make run needs their libraries too). Node.js and
# npm build the pages the daemon embeds (web/, esbuild), so make run needs them
# too; they are wanted by command rather than by package (a Node.js from
# elsewhere, NodeSource, bundles npm and conflicts with Debian's).
DEBS := g++ make pkg-config python3 meson ninja-build curl socat openssl \
        liburing-dev node-llhttp libmimalloc-dev libsimdjson-dev libfmt-dev libspdlog-dev \
        libcli11-dev libtomlplusplus-dev libsystemd-dev libjwt-dev libssl-dev libsqlite3-dev \
        libnghttp2-dev zlib1g-dev libhiredis-dev libgtest-dev libgmock-dev googletest libbenchmark-dev \
        $(if $(shell command -v npm),,nodejs npm)
# What only the tests need (make build / make test): nginx for the
# reverse-proxy test (which runs its own nginx on a free port; where a service
# manager runs, Debian's package also starts its default site on port 80), and
# clang-format for the formatting check; clang with its runtimes (libclang-rt-14-dev:
# AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer, which
# -fsanitize=fuzzer links) and llvm (llvm-symbolizer, for readable reports) for the
# sanitizer build and the fuzz targets; chromium for the browser tests
# (tests/browser: playwright-core drives Debian's chromium, never a downloaded one);
# redis-server for the Redis link's tests (src/cluster), which start their own on a
# Unix socket and a free port (Debian's package also starts a service on 6379
# where a service manager runs; the tests never use it);
# systemd for systemd-socket-activate (tests/integration/socket_activation_test.cc)
# and systemd-analyze (the systemd-security test), which work without systemd as PID 1.
TEST_DEBS := redis-server nginx-light clang-format clang libclang-rt-14-dev llvm chromium systemd libnss3-tools
NODE_CLIENT := clients/node
BROWSER_CLIENT := clients/browser
BROWSER_TESTS := tests/browser
WEB := web
# The pages make run announces, when web/pages/ has them.
PAGES := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard $(WEB)/pages/*/main.ts $(WEB)/pages/*/main.tsx)))))

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps build san-build run test fuzz bench clean

all: build

# Installs the missing packages among $(1); $(2) names them in messages.
define apt_install
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "==> installing $(2):$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	else \
	  echo "==> $(2): all present"; \
	fi
endef

deps:
	$(call apt_install,$(DEBS),Debian packages)

test-deps:
	$(call apt_install,$(TEST_DEBS),packages the tests need)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release

# The second build: clang with AddressSanitizer and UndefinedBehaviorSanitizer,
# glibc's malloc instead of mimalloc (the two cannot share a process), and the
# fuzz targets. Its unit and integration tests run the sanitized code, the
# daemon included; its fuzz tests replay the corpora (docs/testing.md).
$(SAN_BUILD)/build.ninja:
	CC=clang CXX=clang++ meson setup $(SAN_BUILD) --buildtype=debugoptimized \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dmimalloc=false \
	  -Dbenchmarks=false -Dfuzz=true

san-build: deps test-deps $(SAN_BUILD)/build.ninja $(WEB)/node_modules/.package-lock.json
	ninja -C $(SAN_BUILD)

# The Node client's compiler and types, from its lockfile: npm ci downloads them
# from the npm registry (the only download besides Debian packages) and compiles
# the client. Only the tests need them.
$(NODE_CLIENT)/node_modules/.package-lock.json: $(NODE_CLIENT)/package-lock.json
	cd $(NODE_CLIENT) && npm ci --no-audit --no-fund

# The browser client's build tools and test dependencies (esbuild, TypeScript,
# React and its test renderer), the same way.
$(BROWSER_CLIENT)/node_modules/.package-lock.json: $(BROWSER_CLIENT)/package-lock.json
	cd $(BROWSER_CLIENT) && npm ci --no-audit --no-fund

# The browser tests' driver, playwright-core (it drives the chromium of
# TEST_DEBS; it downloads no browser), the same way.
$(BROWSER_TESTS)/node_modules/.package-lock.json: $(BROWSER_TESTS)/package-lock.json
	cd $(BROWSER_TESTS) && npm ci --no-audit --no-fund

# The pages' build tools and React (and TypeScript, for their type check), from
# web/package-lock.json: esbuild bundles
# web/pages/ during the build and ringcastd embeds the result (src/web/README.md),
# so make run needs them as well.
$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund

build: deps test-deps $(BUILD)/build.ninja $(NODE_CLIENT)/node_modules/.package-lock.json \
       $(BROWSER_CLIENT)/node_modules/.package-lock.json $(WEB)/node_modules/.package-lock.json \
       $(BROWSER_TESTS)/node_modules/.package-lock.json
	ninja -C $(BUILD)

# Only what it runs: the daemon and the ringcast tool. The API key is made once
# (32 random bytes, hex), readable by this user only; RINGCAST_MAKE_RUN tells the
# daemon to word its hints as make variables (HTTP=, DATA=) rather than flags.
run: deps $(BUILD)/build.ninja $(WEB)/node_modules/.package-lock.json
	ninja -C $(BUILD) src/ringcastd src/ringcast
	@mkdir -p $(DATA)
	@if [ ! -e $(DATA)/api-key ]; then \
	  (umask 077 && od -An -vtx1 -N32 /dev/urandom | tr -d ' \n' > $(DATA)/api-key.new && \
	   echo >> $(DATA)/api-key.new && mv $(DATA)/api-key.new $(DATA)/api-key) && \
	  echo "==> made a development API key for the HTTP API: $(DATA)/api-key (mode 0600)"; \
	fi
	@echo
	@echo "==> starting ringcastd on http://$(HTTP) ($(if $(CONFIG),$(CONFIG) over the built-in configuration,built-in configuration), data in ./$(DATA))"
	@echo "    watch a stream : curl -N 'http://$(HTTP)/api/sse/stream?channels=news'"
	@echo "    publish        : ./$(BUILD)/src/ringcast publish -c news -e update -d '{\"hello\":\"world\"}'"
	@echo "    publish (HTTP) : curl -X POST http://$(HTTP)/api/publish -H \"X-API-Key: \$$(cat $(DATA)/api-key)\" -d '{\"channel\":\"news\",\"event\":\"update\",\"data\":{\"hello\":\"world\"}}'"
	@echo "    as a user      : curl -N --cookie \"ringcast_token=\$$(./$(BUILD)/src/ringcast token --user 42 --role admin)\" 'http://$(HTTP)/api/admin/sse/stream'"
	@echo "    stats          : ./$(BUILD)/src/ringcast stats"
	@echo "    stats (HTTP)   : curl -H \"X-API-Key: \$$(cat $(DATA)/api-key)\" http://$(HTTP)/api/stats"
	@echo "    backends       : echo '{\"op\":\"ping\",\"req\":1}' | socat - UNIX-CONNECT:$(DATA)/ringcast.sock"
	@for p in $(PAGES); do printf '    %-15s: http://$(HTTP)/%s/\n' "$$p page" "$$p"; done
	@echo "    every setting  : ./$(BUILD)/src/ringcastd --print-default-config (try one: make run CONFIG=file.toml)"
	@echo "    logs           : below; Ctrl-C drains and stops the daemon"
	@echo
	exec env RINGCAST_MAKE_RUN=1 ./$(BUILD)/src/ringcastd --http $(HTTP) --data-dir $(DATA) \
	  --api-key-file $(DATA)/api-key $(if $(CONFIG),--config $(CONFIG))

# Every test of the release build, then the unit, integration and fuzz tests of
# the sanitizer build (the checks of files, the Node client and the load smoke
# test once are enough).
test: build san-build
	meson test -C $(BUILD) --print-errorlogs
	meson test -C $(SAN_BUILD) --print-errorlogs unit integration
	meson test -C $(SAN_BUILD) --print-errorlogs --suite fuzz

# Each target of FUZZ_TARGETS for FUZZ_SECONDS, one after the other, from its
# committed corpus and what earlier runs found ($(SAN_BUILD)/fuzz/out/<target>,
# not in git). A crash stops the run and names the input to reproduce it.
fuzz: deps test-deps $(SAN_BUILD)/build.ninja
	ninja -C $(SAN_BUILD) $(foreach t,$(FUZZ_TARGETS),fuzz/$(t)_fuzzer)
	@for t in $(FUZZ_TARGETS); do \
	  python3 fuzz/run_fuzzer.py --seconds $(FUZZ_SECONDS) --out $(SAN_BUILD)/fuzz/out/$$t \
	    $(SAN_BUILD)/fuzz/$${t}_fuzzer fuzz/corpus/$$t $$(ls fuzz/dict/$$t.dict 2>/dev/null) \
	    > $(SAN_BUILD)/fuzz/$$t.log 2>&1; rc=$$?; tail -n 1 $(SAN_BUILD)/fuzz/$$t.log; \
	  if [ $$rc -ne 0 ]; then tail -n 60 $(SAN_BUILD)/fuzz/$$t.log; exit $$rc; fi; \
	done

bench: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) bench/micro/ringcast-microbench
	./$(BUILD)/bench/micro/ringcast-microbench

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
