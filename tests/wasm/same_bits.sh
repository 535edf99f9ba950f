#!/bin/sh
# same_bits.sh - a digest program gives the same output natively and in WebAssembly: builds tests/wasm/NAME.c with
# emcc and the core files it uses (the Makefile's WASM_CFLAGS that matter for arithmetic: -O3
# -ffp-contract=off -msimd128), runs it in node (--no-experimental-fetch: Node 20 cannot load an Emscripten 3.1.6
# .wasm by path otherwise; NODERAWFS so that it reads its arguments' files) and compares its output with the native
# build's. The WebAssembly output is left in <build dir>/wasm-NAME/wasm.txt.
#   sh tests/wasm/same_bits.sh NAME <native NAME> <build dir> "<core files, e.g. act quad status>" [arguments of both]
set -eu
name=$1 native=$2 out=$3/wasm-$1 core=$4
shift 4
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
NODE_PATH=/usr/share/nodejs emcc -std=c11 -O3 -ffp-contract=off -msimd128 -I"$src/core" "$src/tests/wasm/$name.c" \
  $(for f in $core; do echo "$src/core/$f.c"; done) -sENVIRONMENT=node -sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 \
  -o "$out/$name.cjs"
"$native" "$@" > "$out/native.txt"
node --no-experimental-fetch "$out/$name.cjs" "$@" > "$out/wasm.txt"
if ! cmp -s "$out/native.txt" "$out/wasm.txt"; then
  echo "FAIL: native and WebAssembly outputs of $name differ:"; diff "$out/native.txt" "$out/wasm.txt" || true; exit 1
fi
echo "$name: $(wc -l < "$out/native.txt") digests identical natively and in WebAssembly"
