#!/bin/sh
# act_bits.sh - the activation kernels give the same bits natively and in WebAssembly: builds tests/wasm/act_digest.c
# with emcc (the flags of the Makefile's WASM_CFLAGS that matter for arithmetic: -O3 -ffp-contract=off -msimd128),
# runs it in node (--no-experimental-fetch: Node 20 cannot load an Emscripten 3.1.6 .wasm by path otherwise) and compares its output with the native build's.
#   sh tests/wasm/act_bits.sh <native act_digest> <build dir>
set -eu
native=$1
out=$2/wasm-act-bits
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
NODE_PATH=/usr/share/nodejs emcc -std=c11 -O3 -ffp-contract=off -msimd128 -I"$src/core" \
  "$src/tests/wasm/act_digest.c" "$src/core/act.c" "$src/core/quad.c" "$src/core/status.c" \
  -sENVIRONMENT=node -o "$out/act_digest.cjs"
"$native" > "$out/native.txt"
node --no-experimental-fetch "$out/act_digest.cjs" > "$out/wasm.txt"
if ! cmp -s "$out/native.txt" "$out/wasm.txt"; then
  echo "FAIL: native and WebAssembly activation bits differ:"; diff "$out/native.txt" "$out/wasm.txt" || true; exit 1
fi
if grep -v 'status=0' "$out/native.txt" >/dev/null || awk '{ split($5, a, "="); split($6, b, "="); if (a[2] != b[2]) bad = 1 } END { exit !bad }' "$out/native.txt"; then
  echo "FAIL: a bad status, or the array and scalar APIs differ:"; cat "$out/native.txt"; exit 1
fi
echo "act_bits: $(wc -l < "$out/native.txt") (activation, order) digests identical natively and in WebAssembly"
