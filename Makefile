# ringcast: two commands.
#   make run   install what is missing, build, start ringcastd on the built-in config
#   make test  same setup, then every test
# Other targets: make build, make bench (micro-benchmarks), make clean.

SHELL := /bin/bash
BUILD ?= build
HTTP ?= 127.0.0.1:8080
DATA ?= var

# Debian 12 packages the build and the tests need. Nothing else is downloaded.
DEBS := g++ make pkg-config python3 meson ninja-build curl socat \
        liburing-dev node-llhttp libmimalloc-dev libsimdjson-dev libfmt-dev libspdlog-dev \
        libcli11-dev libtomlplusplus-dev libsystemd-dev libjwt-dev libssl-dev libsqlite3-dev \
        libgtest-dev libgmock-dev googletest libbenchmark-dev nginx-light
# Node.js and npm for clients/node, wanted by command rather than by package: a
# Node.js from elsewhere (NodeSource) bundles npm and conflicts with Debian's.
NODE_DEBS := $(if $(shell command -v npm),,nodejs npm)
NODE_CLIENT := clients/node

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build run test bench clean

all: build

deps:
	@missing=""; \
	for p in $(DEBS) $(NODE_DEBS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "==> installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	else \
	  echo "==> Debian packages: all present"; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release

# The Node client's compiler and types, from its lockfile (npm ci also compiles it).
$(NODE_CLIENT)/node_modules/.package-lock.json: $(NODE_CLIENT)/package-lock.json
	cd $(NODE_CLIENT) && npm ci --no-audit --no-fund

build: deps $(BUILD)/build.ninja $(NODE_CLIENT)/node_modules/.package-lock.json
	ninja -C $(BUILD)

run: build
	@mkdir -p $(DATA)
	@echo
	@echo "==> starting ringcastd on http://$(HTTP) (built-in configuration, data in ./$(DATA))"
	@echo "    watch a stream : curl -N 'http://$(HTTP)/api/sse/stream?channels=news'"
	@echo "    publish        : ./$(BUILD)/src/ringcast publish -c news -e update -d '{\"hello\":\"world\"}'"
	@echo "    stats          : ./$(BUILD)/src/ringcast stats"
	@echo "    (HTTP publish and stats need an API key or a token: docs/operations.md)"
	@echo "    backends       : echo '{\"op\":\"ping\",\"req\":1}' | socat - UNIX-CONNECT:$(DATA)/ringcast.sock"
	@echo "    every setting  : ./$(BUILD)/src/ringcastd --print-default-config"
	@echo "    logs           : below; Ctrl-C drains and stops the daemon"
	@echo
	exec ./$(BUILD)/src/ringcastd --http $(HTTP) --data-dir $(DATA)

test: build
	meson test -C $(BUILD) --print-errorlogs

bench: build
	./$(BUILD)/bench/ringcast-microbench

clean:
	rm -rf $(BUILD)
