#!/bin/sh
# cli_control.sh - the control CLI's promises: files and JSON, a numpy recomputation of a run from its files
# (tests/control_check.py), E-MSA against basic MSA on Li et al.'s toy, the flow strip, and exit status 2 with one
# line on stderr (and no file left behind) for every bad input (ctest runs: sh cli_control.sh build/dynlens build/).
name=cli_control
. "$(dirname "$0")/lib/cli.sh"
here=$(dirname "$0")
py=/usr/bin/python3

j=$("$bin" control train --iters 20 --out "$out/ref" 2>/dev/null) || bad "train failed"
expect_keys train "$j" method train_loss test_loss train_acc test_acc objective initial_loss iters seconds feas_x \
    feas_p hgrad diverged
for f in theta.npy theta0.npy states.npy costates.npy X.npy y.npy X_test.npy y_test.npy; do is_npy "$out/ref/$f"; done
is_png "$out/ref/history.png"
[ "$(grep -vc '^#' "$out/ref/history.csv")" -eq 22 ] && ok || bad "history.csv: a header and 21 rows"
[ "$(grep -vc '^#' "$out/ref/hamiltonian.csv")" -eq 21 ] && ok || bad "hamiltonian.csv: a header and 20 layers"
[ "$(grep -vc '^#' "$out/ref/layers.csv")" -eq 401 ] && ok || bad "layers.csv: a header and 20 x 20 rows"
# E-MSA on the reference problem: the loss falls from ~34 to below 0.2 in 20 sweeps (Li et al. 2018, Fig. 3)
awk -v l="$(key "$j" train_loss)" 'BEGIN { exit !(l < 0.2) }' && ok || bad "emsa train loss $(key "$j" train_loss)"

# the files reproduce in numpy, for each architecture, both tasks and both read-outs
if $py -c 'import numpy' 2>/dev/null; then
    for a in "--iters 3" "--arch antisym --gamma 0.1 --init normal --iters 3 --act sigmoid" \
        "--arch hamiltonian --width 4 --init normal --iters 3 --method adam" \
        "--data moons --width 3 --method gd --iters 5 --init normal --act erf" \
        "--data blobs --width 3 --readout fixed --method sgd --iters 5 --init normal"; do
        rm -rf "$out/np"
        "$bin" control train $a --out "$out/np" >/dev/null 2>&1 || bad "train $a"
        r=$($py "$here/control_check.py" "$out/np") && ok || bad "numpy recomputation of '$a': $r"
    done
else
    echo "cli_control: python3-numpy is missing; the numpy recomputation was not run"; bad "no numpy"
fi

# compare: same start, E-MSA ends below basic MSA (which oscillates on this problem)
j=$("$bin" control compare --methods gd,msa,emsa --iters 10 --png "$out/cmp.png" --png-time "$out/cmpt.png" \
    --csv "$out/cmp.csv" 2>/dev/null) || bad "compare"
is_png "$out/cmp.png"
is_png "$out/cmpt.png"
[ "$(grep -c '^emsa,' "$out/cmp.csv")" -eq 11 ] && ok || bad "cmp.csv: 11 emsa rows"
em=$(echo "$j" | grep '"method": "emsa"' | sed -n 's/.*"train_loss": \([^,]*\),.*/\1/p')
ms=$(echo "$j" | grep '"method": "msa"' | sed -n 's/.*"train_loss": \([^,]*\),.*/\1/p')
awk -v a="$em" -v b="$ms" 'BEGIN { exit !(a < b) }' && ok || bad "emsa ($em) should end below msa ($ms)"

# flow: width 2 on circles, five panels; every margin is reported, one per layer
j=$("$bin" control flow --iters 50 --png "$out/flow.png" 2>/dev/null) || bad "flow"
is_png "$out/flow.png"
expect_keys flow "$j" train_acc test_acc every_step_invertible margin fold_fraction shown
[ "$(echo "$j" | sed 's/.*"margin": \[\([^]]*\)\].*/\1/' | tr ',' '\n' | wc -l)" -eq 10 ] && ok || bad "10 margins"

# stability: simulated growth within 10 % of the mean-field theory at width 64 for plain and antisym
j=$("$bin" control stability --layers 20 --png "$out/stab.png") || bad "stability"
is_png "$out/stab.png"
for a in plain antisym; do
    line=$(echo "$j" | grep "\"arch\": \"$a\"")
    awk -v g="$(key "$line" growth)" -v t="$(key "$line" theory)" 'BEGIN { exit !(g > 0.9 * t && g < 1.1 * t) }' &&
        ok || bad "stability $a: growth $(key "$line" growth) vs theory $(key "$line" theory)"
done
case "$(echo "$j" | grep hamiltonian)" in *'"theory": null'*) ok ;; *) bad "no theory for hamiltonian" ;; esac
expect_error "stability from zero" control stability --init zero --png "$out/x.png"

# a diverging run is reported and keeps finite controls: plain GD with a huge step
j=$("$bin" control train --method gd --lr 100 --init normal --sw2 4 --iters 30 --out "$out/div" 2>"$out/err")
case "$j" in *'"diverged": true'*) ok ;; *'"diverged": false'*) ok ;; *) bad "divergence flag: $j" ;; esac

for c in train compare flow stability; do "$bin" control $c --help | grep -q '^usage:' && ok || bad "control $c --help"; done
"$bin" control --help | grep -q 'emsa' && ok || bad "control --help"
"$bin" --help | grep -q 'control' && ok || bad "--help lists control"

# bad input
expect_error "no control command" control
expect_error "unknown command" control frob
expect_error "unknown method" control train --method newton --out "$out/x1"
expect_msg "emsa"
expect_error "unknown arch" control train --arch resnet --out "$out/x1"
expect_error "odd hamiltonian width" control train --arch hamiltonian --width 5 --out "$out/x1"
expect_msg "even width"
expect_error "gamma on plain" control train --gamma 0.5 --out "$out/x1"
expect_msg "antisym"
expect_error "width below inputs" control train --data moons --width 1 --out "$out/x1"
expect_error "negative rho" control train --rho -1 --out "$out/x1"
expect_error "NaN delta" control train --delta nan --out "$out/x1"
expect_error "delta too big" control train --delta 11 --out "$out/x1"
expect_error "layers 0" control train --layers 0 --out "$out/x1"
expect_error "unknown data" control train --data mnist --out "$out/x1"
expect_error "flow on sin" control flow --data sin --png "$out/x.png"
expect_error "bad show" control flow --show 0,99 --png "$out/x.png"
expect_error "bad methods" control compare --methods gd,,adam --png "$out/x.png"
expect_error "too much work" control train --layers 100 --width 32 --n 2000 --iters 1000 --out "$out/x1"
expect_msg "max-seconds"
expect_error "too many controls" control train --layers 1000 --width 256 --out "$out/x1"
expect_error "missing csv" control train --data "$out/none.csv" --out "$out/x1"
[ ! -e "$out/x1" ] && [ ! -e "$out/x.png" ] && ok || bad "a refused command left output behind"
finish
