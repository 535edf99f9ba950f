#!/bin/sh
# act_bits.sh - the activation kernels give the same bits natively and in WebAssembly (same_bits.sh), and the array
# and scalar APIs agree with a good status (dyn_exp_array and dyn_exp too: the "exp" lines), and the fused phi' and
# phi'' (the "d1d2" lines) have the bits of the two separate array kernels (the "d1" and "d2" lines).
#   sh tests/wasm/act_bits.sh <native act_digest> <build dir>
set -eu
sh "$(dirname "$0")/same_bits.sh" act_digest "$1" "$2" "act quad status"
out=$2/wasm-act_digest
if grep -v -e 'status=0' -e '^exp ' "$out/native.txt" >/dev/null || awk '
    $1 == "exp" { split($3, a, "="); split($4, b, "="); if (a[2] != b[2]) bad = 1; next }
    { split($5, a, "="); split($6, b, "=") }
    $2 != "d1d2" { if (a[2] != b[2]) bad = 1; arr[$1 " " $2] = a[2] }
    $2 == "d1d2" { if (a[2] != arr[$1 " d1"] || b[2] != arr[$1 " d2"]) bad = 1 }
    END { exit !bad }' "$out/native.txt"; then
  echo "FAIL: a bad status, the array and scalar APIs differ, or the fused derivatives differ from the separate ones:"; cat "$out/native.txt"; exit 1
fi
