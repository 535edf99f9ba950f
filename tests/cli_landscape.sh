#!/bin/sh
# cli_landscape.sh - the landscape CLI's promises: the files each command writes, JSON keys, numbers that must agree
# across commands, --help, and exit status 2 with one line on stderr for bad input (ctest: sh cli_landscape.sh dynlens build/).
name=cli_landscape
. "$(dirname "$0")/lib/cli.sh"

small="--data moons --n 120 --depth 2 --width 8 --steps 200 --snapshots 21 --png-size 480x360"
j=$("$bin" landscape train $small --out "$out/t") || bad "train failed"
expect_keys train "$j" loss acc initial_loss params snapshots train_ms
for f in theta.npy theta0.npy path.npy X.npy y.npy; do is_npy "$out/t/$f"; done
for f in loss.png boundary.png; do is_png "$out/t/$f"; done
grep -q '"layers"' "$out/t/net.json" && ok || bad "net.json has the layout"
# P = (8*2+8) + (8*8+8) + (2*8+2) = 114 float64: 128-byte header + 912 bytes
[ "$(wc -c <"$out/t/theta.npy")" -eq $((128 + 114 * 8)) ] && ok || bad "theta.npy size"
grep -q "'shape': (21, 114)" "$out/t/path.npy" && ok || bad "path.npy shape (snapshots, P)"
[ "$(key "$j" params)" = 114 ] && ok || bad "params = 114"
# the verdict (core/landscape.h, dyn_train_verdict): a step size of 5 blows the loss up (measured: 0.71 -> 5.7,
# above 2 ln 2), a warning on stderr and "diverged" in the JSON; the small net above learns (no warning)
[ "$(key "$j" verdict)" = '"learned"' ] && ok || bad "the small net learned: $(key "$j" verdict)"
j=$("$bin" landscape train --n 200 --lr 5 --steps 300 --snapshots 11 --out "$out/lr5" 2>"$out/lr5.err") || bad "lr 5 run"
[ "$(key "$j" verdict)" = '"diverged"' ] && ok || bad "lr 5: verdict $(key "$j" verdict)"
grep -q "warning: the net diverged: the loss rose to" "$out/lr5.err" && ok || bad "lr 5: no warning on stderr"
# determinism: the same options give the same bits
"$bin" landscape train $small --out "$out/t2" >/dev/null
cmp -s "$out/t/theta.npy" "$out/t2/theta.npy" && ok || bad "training is not deterministic for a seed"
"$bin" landscape train $small --seed 2 --out "$out/t3" >/dev/null
cmp -s "$out/t/theta.npy" "$out/t3/theta.npy" && bad "another seed gave the same weights" || ok

# slice: the centre of an odd grid is the trained loss (float32)
j=$("$bin" landscape slice $small --size 9x7 --out "$out/s") || bad "slice failed"
expect_keys slice "$j" center_loss min max slice_ms points_per_s gflops
for f in dirs.npy grid_loss.npy grid_acc.npy; do is_npy "$out/s/$f"; done
for f in slice.png surface.png; do is_png "$out/s/$f"; done
grep -q "'shape': (7, 9)" "$out/s/grid_loss.npy" && ok || bad "grid shape (rows, columns)"
[ "$(grep -vc '^#' "$out/s/slice.csv")" -eq $((9 * 7 + 1)) ] && ok || bad "slice.csv rows"
c=$(awk -F, '$1 == "0" && $2 == "0" { print $3 }' "$out/s/slice.csv")
want=$(key "$j" center_loss)
awk -v a="$c" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-6 * b) }' && ok || bad "slice centre $c != loss $want"
cmp -s "$out/t/theta.npy" "$out/s/theta.npy" && ok || bad "slice trains the same net as train"
for d in pca hessian; do
    "$bin" landscape slice $small --size 5x5 --dirs $d --out "$out/s-$d" >/dev/null && ok || bad "slice --dirs $d"
done
j=$("$bin" landscape interp $small --points 11 --out "$out/i") || bad "interp"
expect_keys interp "$j" loss_A loss_B barrier
is_png "$out/i/interp.png"
[ "$(grep -vc '^#' "$out/i/interp.csv")" -eq 12 ] && ok || bad "interp.csv rows"
"$bin" landscape interp $small --points 5 --b-batch 0 --out "$out/i2" >/dev/null && ok || bad "interp between two solutions"
j=$("$bin" landscape hessian $small --k 3 --out "$out/h") || bad "hessian"
expect_keys hessian "$j" sharpness eigenvalues residuals lambda_min two_over_lr
grep -q "'shape': (3, 114)" "$out/h/hess_dirs.npy" && ok || bad "hess_dirs shape"
# CSV input (and a regression target) and the shipped digits
printf 'a,b,label\n0,0,0\n1,1,1\n0,1,1\n1,0,0\n0.2,0.1,0\n0.9,0.8,1\n' >"$out/d.csv"
"$bin" landscape train --data "$out/d.csv" --depth 1 --width 4 --steps 20 --out "$out/c" >/dev/null && ok || bad "CSV data"
printf '0,0.5\n1,1.5\n2,2.5\n3,3.5\n' >"$out/r.csv"
"$bin" landscape train --data "$out/r.csv" --task regress --depth 1 --width 4 --steps 20 --out "$out/r" >/dev/null && ok || bad "CSV regression"
j=$("$bin" landscape train --data digits --depth 1 --width 16 --steps 30 --batch 64 --out "$out/g") || bad "digits"
[ "$(key "$j" n)" = 1797 ] && [ "$(key "$j" features)" = 64 ] && [ "$(key "$j" classes)" = 10 ] && ok || bad "digits: 1797 x 64, 10 classes: $j"
# the digits are found through the assets path CMake compiles in, from any working directory and for a copy of
# the program outside the build folder (no guessing from /proc/self/exe); $DYNLENS_ASSETS overrides it
mkdir -p "$out/elsewhere" && cp "$bin" "$out/elsewhere/dynlens-copy"
(cd / && "$out/elsewhere/dynlens-copy" landscape train --data digits --depth 0 --steps 2 --out "$out/g2") >/dev/null && ok || bad "digits from another folder"
DYNLENS_ASSETS="$out/no-such-assets" "$bin" landscape train --data digits --depth 0 --steps 2 --out "$out/g3" 2>"$out/err.txt" >/dev/null
[ $? -eq 2 ] && grep -q "no-such-assets/digits/digits.csv.gz" "$out/err.txt" && [ "$(wc -l <"$out/err.txt")" -eq 1 ] && ok || bad "DYNLENS_ASSETS is used and a missing file named: $(cat "$out/err.txt")"
# numpy, when present, reproduces the slice from the written files
if python3 -c 'import numpy' 2>/dev/null; then
    (cd "$out/s" && python3 reproduce.py) >"$out/repro.txt" 2>&1 && grep -q 'worst relative difference' "$out/repro.txt" && ok || bad "reproduce.py: $(cat "$out/repro.txt")"
    w=$(sed -n 's/worst relative difference \([^ ]*\).*/\1/p' "$out/repro.txt")
    awk -v w="$w" 'BEGIN { exit !(w < 1e-6) }' && ok || bad "numpy disagrees with the slice: $w"
fi

for c in train slice interp hessian; do "$bin" landscape $c --help | grep -q '^usage:' && ok || bad "landscape $c --help"; done
"$bin" --help | grep -q landscape && ok || bad "--help lists landscape"

expect_error "no landscape command" landscape
expect_error "unknown subcommand" landscape frob
expect_error "unknown data" landscape train --data swirl --out "$out/x"
expect_error "missing csv" landscape train --data "$out/none.csv" --out "$out/x"
printf 'a,b,c\n1,2,0\n3,4\n' >"$out/ragged.csv"
expect_error "ragged csv" landscape train --data "$out/ragged.csv" --out "$out/x"
grep -q 'line 3: 2 fields, but line 1 has 3' "$out/stderr" && ok || bad "ragged message: $(cat "$out/stderr")"
printf '1,2,0\n1,2,x\n' >"$out/nan.csv"
expect_error "non-number" landscape train --data "$out/nan.csv" --out "$out/x"
grep -q "line 2, field 3: 'x' is not a number" "$out/stderr" && ok || bad "non-number message: $(cat "$out/stderr")"
: >"$out/empty.csv"
expect_error "empty csv" landscape train --data "$out/empty.csv" --out "$out/x"
printf '1,2,1\n3,4,1\n' >"$out/one.csv"
expect_error "one class" landscape train --data "$out/one.csv" --out "$out/x"
grep -q 'classification needs at least 2 classes' "$out/stderr" && ok || bad "one-class message"
expect_error "unknown act" landscape train --act softplus --out "$out/x"
expect_error "unknown opt" landscape train --opt rmsprop --out "$out/x"
expect_error "unknown loss" landscape train --loss hinge --out "$out/x"
expect_error "too deep" landscape train --depth 999 --out "$out/x"
expect_error "negative lr" landscape train --lr -1 --out "$out/x"
expect_error "bad noise" landscape train --noise -1 --out "$out/x"
expect_error "moons with 3 classes" landscape train --data moons --classes 3 --out "$out/x"
expect_error "diverges" landscape train --data blobs --act linear --loss mse --opt sgd --lr 90 --steps 100 --out "$out/x"
expect_error "unknown dirs" landscape slice $small --dirs eigen --out "$out/x"
expect_error "unknown norm" landscape slice $small --norm unit --out "$out/x"
expect_error "tiny grid" landscape slice $small --size 1x1 --out "$out/x"
expect_error "bad range" landscape slice $small --range 1:-1 --out "$out/x"
expect_error "bad k" landscape hessian $small --k 20 --out "$out/x"
# sizes and work are checked right after parsing, before training: nothing written, and no time lost
expect_error "slice larger than the 3-D surface" landscape slice $small --size 2049x2 --out "$out/x"
grep -q -- '--size: 2049x2 is too large for the 3-D surface (surface.png): each side at most 2048' "$out/stderr" && ok || bad "2049x2 message: $(cat "$out/stderr")"
# bounded work (core/work.h and each module's *_work estimate): refused before any work, with the flag to raise
expect_error "slice over the work limit" landscape slice --width 64 --size 2048x2048 --out "$out/x"
expect_msg 'more than --max-seconds 600; ask for less, or raise --max-seconds'
expect_error "10 million training steps" landscape train --steps 10000000 --out "$out/x"
expect_msg 'landscape train: about .* operations, an estimated .* s'
# --depth 16 --width 1024: 100 snapshots of P = 15.7 million doubles are 12.6 GB, 13.2 GB with the training
# state (4 P doubles) and the rest; past the time, the memory
expect_error "a 12.6 GB training path" landscape train --depth 16 --width 1024 --max-seconds 1e12 --out "$out/x"
expect_msg 'an estimated 13.2 GB of memory, more than --max-gb 4; ask for less, or raise --max-gb to 14'
[ ! -e "$out/x" ] && ok || bad "a refused job created its --out folder"
expect_error "a tiny budget" landscape train $small --max-seconds 1e-6 --out "$out/x"
expect_error "a zero budget" landscape train $small --max-gb 0 --out "$out/x"
expect_msg 'max-gb: 0 must be positive'
"$bin" landscape hessian $small --max-seconds 5 --out "$out/hb" >/dev/null && ok || bad "a small job inside a 5 s budget runs"
expect_error "png too large for the surface" landscape slice $small --png-size 5000x400 --out "$out/x"
expect_error "k above P" landscape hessian $small --depth 0 --k 8 --out "$out/x"
grep -q -- '--k: 8 eigenpairs, but this net has only P = 6 parameters' "$out/stderr" && ok || bad "k > P message: $(cat "$out/stderr")"
expect_error "xent on a regression target" landscape train --data "$out/r.csv" --task regress --loss xent --out "$out/x"
grep -q -- '--loss xent needs class labels' "$out/stderr" && ok || bad "xent/regress message: $(cat "$out/stderr")"
printf '1.0,NA,0\n2,3,1\n4,5,0\n' >"$out/na.csv"
expect_error "a first row with NA is not a header" landscape train --data "$out/na.csv" --out "$out/x"
grep -q "line 1, field 2: 'NA' is not a number, and field 1 is, so this is not a header line" "$out/stderr" && ok || bad "NA message: $(cat "$out/stderr")"
[ ! -e "$out/x" ] && ok || bad "a failed command left $out/x behind"
# --momentum 0 means no momentum (not the descriptor's default 0.9): the heavy ball with mu = 0 is plain SGD
"$bin" landscape train $small --opt momentum --momentum 0 --out "$out/m0" >/dev/null && ok || bad "momentum 0"
"$bin" landscape train $small --opt sgd --out "$out/m1" >/dev/null && ok || bad "sgd"
cmp -s "$out/m0/theta.npy" "$out/m1/theta.npy" && ok || bad "--momentum 0 differs from sgd"
expect_error "unwritable out" landscape train $small --out /nonexistent-dir/sub
finish
