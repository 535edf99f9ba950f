#!/bin/sh
# run.sh - runs one fuzz harness: replay its corpus, a fixed-seed run, or a timed run (ctest and `make fuzz` use it).
# usage: run.sh FUZZER CORPUS WORKDIR replay|runs N|seconds N
#   FUZZER  a libFuzzer binary (build/fuzz/fuzz_<name>) or a .mjs fuzzer (run with node)
#   CORPUS  tests/fuzz/corpus/<name>: read only; new inputs go to WORKDIR, which starts empty every time so that
#           a fixed-seed run is the same run each time (deterministic: same seed, same runs, same inputs)
#   replay      every corpus file once
#   runs N      replay, then N mutations with -seed=1
#   seconds N   replay, then mutations for N seconds (make fuzz FUZZ_SECONDS=N); findings stay in WORKDIR
# Crashes are written to WORKDIR/crash-* (libFuzzer prints the stack and the input); exit status nonzero.
set -e
fuzzer=$1 corpus=$2 work=$3 mode=$4 n=${5:-0}
rm -rf "$work" && mkdir -p "$work"
case $fuzzer in
*.mjs)
  case $mode in
  replay) exec node "$fuzzer" --corpus "$corpus" --runs 0 $FUZZ_JS_ARGS ;;
  runs) exec node "$fuzzer" --corpus "$corpus" --runs "$n" --seed 1 $FUZZ_JS_ARGS ;;
  seconds) exec node "$fuzzer" --corpus "$corpus" --seconds "$n" --seed "$(date +%s)" $FUZZ_JS_ARGS ;;
  esac ;;
esac
common="-artifact_prefix=$work/ -timeout=20 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1"
case $mode in
replay) exec "$fuzzer" $common -runs=0 "$work" "$corpus" ;;
runs) exec "$fuzzer" $common -seed=1 -runs="$n" "$work" "$corpus" ;;
seconds) exec "$fuzzer" $common -max_total_time="$n" "$work" "$corpus" ;;
*) echo "run.sh: unknown mode '$mode' (replay, runs N or seconds N)" >&2; exit 2 ;;
esac
