#!/bin/sh
# cli_trainability.sh - the trainability grid's promises: the files it writes, threads and shards giving the same bytes
# as one process, merge's checks, --help, and exit status 2 with one line on stderr for every bad argument.
name=cli_trainability
. "$(dirname "$0")/lib/cli.sh"

small="--depth 2:5 --ny 2 --sw2 0.5:3 --nx 3 --width 8 --steps 15 --batch 16"
j=$("$bin" trainability grid $small --threads 2 --csv "$out/full.csv" --npy "$out/full.npy" --png "$out/full.png" \
    2>"$out/progress") || bad "grid failed: $(cat "$out/progress")"
expect_keys grid "$j" cells grid_cells shard threads min max ms cells_per_s
[ "$(key "$j" cells)" = 6 ] && ok || bad "6 cells: $j"
grep -q 'floating-point operations' "$out/progress" && ok || bad "the work estimate on stderr"
grep -q '6/6 cells' "$out/progress" && ok || bad "progress on stderr: $(cat "$out/progress")"
head -1 "$out/full.csv" | grep -q '^# dynlens trainability grid: act=tanh weights=gaussian' && ok || bad "CSV parameter line"
[ "$(grep -vc '^#' "$out/full.csv")" -eq 7 ] && ok || bad "full.csv: a header and 6 rows"
is_npy "$out/full.npy"
grep -q "'shape': (2, 3)" "$out/full.npy" && ok || bad "full.npy shape (depths, sw2 values)"
is_png "$out/full.png"
# accuracies are fractions of the training set
awk -F, '!/^#/ && NR > 2 { if ($4 < 0 || $4 > 1) bad = 1 } END { exit bad }' "$out/full.csv" && ok || bad "accuracy in [0, 1]"

# one thread gives the same bytes as two: every cell's streams derive from (seed, cell)
"$bin" trainability grid $small --threads 1 --csv "$out/one.csv" --npy "$out/one.npy" >/dev/null 2>&1
cmp -s "$out/full.csv" "$out/one.csv" && ok || bad "threads change the CSV"
cmp -s "$out/full.npy" "$out/one.npy" && ok || bad "threads change the NPY"

# three shards, merged, give the same files as one machine
for k in 1 2 3; do
    "$bin" trainability grid $small --shard $k/3 --csv "$out/s$k.csv" >/dev/null 2>&1 || bad "shard $k/3"
done
[ "$(grep -vc '^#' "$out/s1.csv")" -eq 3 ] && ok || bad "shard 1/3 has cells 0 and 3"
j=$("$bin" trainability merge "$out/s3.csv" "$out/s1.csv" "$out/s2.csv" --csv "$out/m.csv" --npy "$out/m.npy" \
    --png "$out/m.png") || bad "merge failed"
expect_keys merge "$j" cells shards files
cmp -s "$out/full.csv" "$out/m.csv" && ok || bad "merged CSV differs from one machine's"
cmp -s "$out/full.npy" "$out/m.npy" && ok || bad "merged NPY differs from one machine's"
cmp -s "$out/full.png" "$out/m.png" && ok || bad "merged PNG differs from one machine's"

# orthogonal initialisation runs and is recorded
"$bin" trainability grid $small --weights orthogonal --csv "$out/o.csv" >/dev/null 2>&1 && ok || bad "orthogonal grid"
head -1 "$out/o.csv" | grep -q 'weights=orthogonal' && ok || bad "orthogonal in the parameter line"

for c in grid merge; do "$bin" trainability $c --help | grep -q '^usage:' && ok || bad "trainability $c --help"; done
"$bin" --help | grep -q trainability && ok || bad "--help lists trainability"

expect_error "no trainability command" trainability
expect_error "bad shard" trainability grid $small --shard 4/3
expect_error "shard syntax" trainability grid $small --shard 2
expect_error "a shard writes no PNG" trainability grid $small --shard 1/2 --png "$out/x.png"
expect_msg "merge"
expect_error "depth beyond the net module" trainability grid --depth 10:500
expect_error "fractional depth" trainability grid --depth 1.5:3
expect_error "negative sw2" trainability grid --sw2 -1:2
expect_error "bad weights" trainability grid --weights he
expect_error "missing data file" trainability grid $small --data "$out/none.csv"
expect_error "zero lr" trainability grid $small --lr 0
expect_error "merge without files" trainability merge --csv "$out/x.csv"
expect_error "merge a missing shard" trainability merge "$out/s1.csv" "$out/s2.csv" --csv "$out/x.csv"
expect_msg "shard 3/3 is missing"
expect_error "merge a shard twice" trainability merge "$out/s1.csv" "$out/s1.csv" "$out/s2.csv" "$out/s3.csv"
expect_msg "twice"
"$bin" trainability grid --depth 2:5 --ny 2 --sw2 0.5:3 --nx 3 --width 8 --steps 16 --batch 16 --shard 2/3 \
    --csv "$out/other.csv" >/dev/null 2>&1
expect_error "merge shards of different grids" trainability merge "$out/s1.csv" "$out/other.csv" "$out/s3.csv"
expect_msg "differ"
expect_error "merge a file that is not a grid" trainability merge "$out/full.npy"
[ ! -e "$out/x.csv" ] && ok || bad "no output after a failed merge"
finish
