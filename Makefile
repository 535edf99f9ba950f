# Makefile - the front door: make (build), make test, make serve, make dist, make bench, make deps, make clean.
.POSIX:
SHELL := /bin/bash
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps native test test-native test-asan bench clean fuzz

all: native

# Debian packages the build needs: "command-or-file:package" pairs. As root they are installed with apt-get;
# otherwise the exact command is printed and make stops.
DEB_NEEDS := cmake:cmake gcc:gcc /usr/include/stb/stb_image_write.h:libstb-dev \
	/usr/include/cglm/cglm.h:libcglm-dev /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core \
	/usr/lib/python3/dist-packages/numpy/__init__.py:python3-numpy \
	/usr/include/zlib.h:zlib1g-dev clang-14:clang-14 \
	/usr/lib/llvm-14/lib/clang/14.0.6/include/fuzzer/FuzzedDataProvider.h:libclang-rt-14-dev

deps:
	@missing=""; for need in $(DEB_NEEDS); do \
	  what=$${need%%:*}; pkg=$${need##*:}; \
	  if [ "$${what#/}" != "$$what" ]; then [ -e "$$what" ] || missing="$$missing $$pkg"; \
	  else command -v "$$what" >/dev/null 2>&1 || missing="$$missing $$pkg"; fi; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make deps: installing$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || exit 1; \
	  else \
	    echo "make deps: missing Debian packages. Run:"; \
	    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

native: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

test: test-native test-asan

test-native: native
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same native tests once more under AddressSanitizer and UndefinedBehaviorSanitizer. Not the browser suites nor the
# WASM-vs-native digests (wasm_*): their WebAssembly half is emcc's either way, and the native code they run is the
# code test_act, test_net and test_isometry already run sanitized.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDYN_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -E '^(browser|wasm)_'

# Every fuzz harness (tests/fuzz/) for FUZZ_SECONDS each, starting from its corpus; `make test` only replays the
# corpora and runs a short fixed-seed run of each. New inputs and crashes land in $(BUILD)/fuzz/long-<name>/: to
# keep the interesting ones, merge them into the corpus (build/fuzz/fuzz_<name> -merge=1 tests/fuzz/corpus/<name>
# $(BUILD)/fuzz/long-<name>) and commit. The page's URL-state fuzzer runs in node against dist/ (make dist).
FUZZ_SECONDS ?= 60
fuzz: native
	@for f in $(BUILD)/fuzz/fuzz_*; do n=$${f##*/fuzz_}; log=$(BUILD)/fuzz/long-$$n.log; \
	  echo "== fuzz_$$n: $(FUZZ_SECONDS) s =="; \
	  sh tests/fuzz/run.sh $$f tests/fuzz/corpus/$$n $(BUILD)/fuzz/long-$$n seconds $(FUZZ_SECONDS) > $$log 2>&1; st=$$?; \
	  grep -E '^Done|stat::average_exec_per_sec' $$log; \
	  if [ $$st != 0 ]; then tail -n 40 $$log; echo "make fuzz: fuzz_$$n failed (log: $$log)"; exit 1; fi; \
	done
	@echo "== fuzz_state (node): $(FUZZ_SECONDS) s =="
	@FUZZ_JS_ARGS="--dist $(DIST)" sh tests/fuzz/run.sh tests/fuzz/fuzz_state.mjs tests/fuzz/corpus/state \
	  $(BUILD)/fuzz/long-state seconds $(FUZZ_SECONDS)

# every native benchmark program (tests/bench/*.c), the slice against PyTorch when Debian's python3-torch is
# there (bench-peers installs it), then the WebAssembly timings (bench-web)
bench: native
	@for b in $(BUILD)/bench_*; do [ -x "$$b" ] && echo "== $$b ==" && "$$b" || true; done
	@if /usr/bin/python3 -c 'import torch' 2>/dev/null; then echo "== tests/bench/peers.py =="; \
	  /usr/bin/python3 tests/bench/peers.py $(BUILD); \
	else echo "(no PyTorch: make bench-peers installs Debian's python3-torch and runs the comparison)"; fi
	@echo "== tests/bench/control_peer.py (the numpy/scipy way, for bench_control's ratios) =="
	@/usr/bin/python3 tests/bench/control_peer.py 2>/dev/null || \
	  echo "skipped: needs python3-numpy and python3-scipy (apt-get install python3-numpy python3-scipy)"
	@$(MAKE) --no-print-directory bench-web

# The PyTorch comparison alone; installs python3-torch (Debian) first when missing. Never needed by make test.
.PHONY: bench-peers
bench-peers: native
	@/usr/bin/python3 -c 'import torch' 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch; \
	  else echo "make bench-peers: PyTorch is missing. Run:"; \
	    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch"; exit 1; fi; }
	/usr/bin/python3 tests/bench/peers.py $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# ---- web: the WebAssembly build, the static site and the browser tests (wasm/, web/, tests/browser/) --------
# make wasm   build/wasm/: dynlens-core.{mjs,wasm} (emcc) beside the loader, worker and pool from wasm/
# make dist   dist/: the static site, for any static host (no special headers, no other host contacted)
# make serve  dist/ on http://127.0.0.1:$(PORT)/
.PHONY: deps-web wasm dist serve bench-web clean-web
EMCC ?= emcc
DIST ?= dist
PORT ?= 8000
WASM_DIR := $(BUILD)/wasm
# Every core/*.c goes into the .wasm except the native-only files listed here, each with its reason (a new core
# file is built automatically; one that does not compile with emcc stops the build, naming the file):
#   figure.c  draws PNG figures for the CLI (stb_truetype, a font file); the page draws on canvas.
WASM_NATIVE_ONLY := core/figure.c
WASM_CORE := $(filter-out $(WASM_NATIVE_ONLY),$(wildcard core/*.c))
WASM_CORE_OBJ := $(patsubst core/%.c,$(WASM_DIR)/core/%.o,$(WASM_CORE))
WASM_JS := $(wildcard wasm/*.js)
WASM_WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wdouble-promotion
# -isystem only at a folder of links to cglm and stb: -I/usr/include would pull glibc headers into the WASM build.
# -msimd128: WebAssembly SIMD (Chrome 91, Firefox 89, Safari 16.4 and later); clang vectorises core/act.c's kernels
# and the dense loops with it, and tests/wasm/act_bits.sh checks that the bits stay those of the native build.
WASM_CFLAGS := -std=c11 -O3 -ffp-contract=off -msimd128 -Icore -isystem $(WASM_DIR)/include -isystem $(WASM_DIR)/include/stb
WASM_LDFLAGS := -O3 -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createDynlensCore -sALLOW_MEMORY_GROWTH=1 \
	-sENVIRONMENT=web,worker -sFILESYSTEM=0 -sEXPORTED_FUNCTIONS=_malloc,_free -sEXPORTED_RUNTIME_METHODS=UTF8ToString
# Debian's emcc needs its acorn from /usr/share/nodejs to link at -O2 and above.
EMENV := NODE_PATH=/usr/share/nodejs

deps: deps-web
deps-web:
	@missing=""; for need in emcc:emscripten chromium:chromium node:nodejs npm:npm; do \
	  command -v "$${need%%:*}" >/dev/null 2>&1 || missing="$$missing $${need##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make deps-web: installing$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || exit 1; \
	  else \
	    echo "make deps-web: missing Debian packages. Run:"; \
	    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
	@# playwright-core only drives the Debian chromium: never let it download a browser.
	@[ -f node_modules/playwright-core/package.json ] || \
	  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

$(WASM_DIR)/include/.links:
	mkdir -p $(WASM_DIR)/include
	ln -sfn /usr/include/cglm $(WASM_DIR)/include/cglm
	ln -sfn /usr/include/stb $(WASM_DIR)/include/stb
	touch $@

# Warnings are errors here too: clang (emcc) catches a few that gcc does not (e.g. float->double promotions).
$(WASM_DIR)/dynw.o: wasm/dynw.c $(wildcard core/*.h) $(WASM_DIR)/include/.links
	$(EMENV) $(EMCC) $(WASM_CFLAGS) $(WASM_WARN) -Werror -c $< -o $@

# One object per core file: an error names its file, make -j compiles them in parallel, and a stale object of a
# deleted file is never linked (the link takes exactly the objects of the files that exist now).
$(WASM_DIR)/core/%.o: core/%.c $(wildcard core/*.h) $(WASM_DIR)/include/.links
	@mkdir -p $(@D)
	$(EMENV) $(EMCC) $(WASM_CFLAGS) $(WASM_WARN) -Werror -c $< -o $@

$(WASM_DIR)/dynlens-core.mjs: $(WASM_DIR)/dynw.o $(WASM_CORE_OBJ)
	@for f in $(WASM_NATIVE_ONLY); do [ -f "$$f" ] || { echo "Makefile: WASM_NATIVE_ONLY names $$f, which does not exist"; exit 1; }; done
	$(EMENV) $(EMCC) $(WASM_CORE_OBJ) $(WASM_DIR)/dynw.o $(WASM_LDFLAGS) -o $@

wasm: $(WASM_DIR)/dynlens-core.mjs $(WASM_JS)
	cp $(WASM_JS) $(WASM_DIR)/

dist: wasm
	rm -rf $(DIST) && mkdir -p $(DIST)/wasm
	cp -r web/. $(DIST)/
	cp $(WASM_DIR)/dynlens-core.mjs $(WASM_DIR)/dynlens-core.wasm $(WASM_JS) $(DIST)/wasm/
	@# the digits set for the isometry tab's trainability grid (its licence and provenance travel with it)
	mkdir -p $(DIST)/assets/digits && cp assets/digits/digits.csv.gz assets/digits/README $(DIST)/assets/digits/
	@echo "make dist: $(DIST)/ is a static site; copy it to any web server"

serve: dist
	node tests/browser/static-server.mjs $(DIST) $(PORT)

# The browser tests are ctest tests (names start with "browser"); they need the site and playwright-core.
test-native: dist

# bench-web's second native side: the same code without its AVX2 clones (DYN_NO_VEC_CLONES), 2 doubles per vector
# (SSE2) as in WebAssembly's SIMD128, so that one ratio isolates what vector width costs and the other the rest
SAME_WIDTH := $(BUILD)/same-width
bench-web: dist native
	cmake -S . -B $(SAME_WIDTH) $(CMAKE_FLAGS) -DCMAKE_C_FLAGS=-DDYN_NO_VEC_CLONES >/dev/null
	cmake --build $(SAME_WIDTH) -j $(JOBS) --target dynlens bench_posterior >/dev/null
	node tests/browser/bench.mjs --dist $(DIST) --cli $(BUILD)/dynlens --cli-same-width $(SAME_WIDTH)/dynlens --out $(BUILD)

clean: clean-web
clean-web:
	rm -rf $(DIST)
