#!/bin/sh
# cli_isometry.sh - the isometry CLI's promises: JSON keys, exact values that have closed forms, the files it writes,
# --help everywhere, and exit status 2 with one line on stderr for every bad argument.
name=cli_isometry
. "$(dirname "$0")/lib/cli.sh"

# spectrum: the theory's keys and the sample's; an orthogonal linear net has every lambda = sw2^L exactly
j=$("$bin" isometry spectrum --act linear --weights orthogonal --sw2 2 --sb2 0 --depth 5 --width 30 --nets 2 \
    --npy "$out/s.npy" --png "$out/s.png") || bad "spectrum failed"
expect_keys spectrum "$j" act weights sw2 sb2 depth q mu1 mu2 chi1 s1 p_atom log_m1_theory rel_var_theory \
    log_m2_theory isometric width nets seed log_m1 se_log_m1 log_m2 rel_var se_rel_var frac_zero quantile_levels \
    log_quantiles ms
# ln(2^5) = 3.4657359027997265
case "$(key "$j" log_m1)" in 3.46573590279972*) ok ;; *) bad "orthogonal linear log_m1 should be 5 ln 2: $j" ;; esac
is_npy "$out/s.npy"
grep -q "'shape': (2, 30)" "$out/s.npy" && ok || bad "s.npy shape (nets, width)"
size=$(wc -c <"$out/s.npy")
[ "$size" -eq $((128 + 60 * 8)) ] && ok || bad "s.npy has $size bytes, want 128 + 480"
is_png "$out/s.png"
# the critical point by default; tanh at sb2 = 0.05 is 1.76095 (Schoenholz et al. 2017, as meanfield critical)
j=$("$bin" isometry spectrum --depth 3 --width 20)
case "$(key "$j" sw2)" in 1.76095*) ok ;; *) bad "default sw2 should be critical: $j" ;; esac
case "$(key "$j" chi1)" in 0.99999999*|1|1.0000000*) ok ;; *) bad "chi1 should be 1 at the critical point: $j" ;; esac
# ReLU: half of the units are off, an atom of mass 1/2 at 0
j=$("$bin" isometry spectrum --act relu --sw2 2 --sb2 0 --depth 2 --width 40)
case "$(key "$j" p_atom)" in 0.5) ok ;; *) bad "relu p_atom should be 0.5: $j" ;; esac

# density: Marchenko-Pastur at L = 1, sqrt(x (4 - x)) / (2 pi x): 0.27566444771089... at x = 1, 1/(2 pi) at x = 2
j=$("$bin" isometry density --act linear --sw2 1 --sb2 0 --depth 1 --x 1,2) || bad "density failed"
expect_keys density "$j" x density rel_var_theory
case "$j" in *'"density": [0.2756644477108'*', 0.159154943091'*) ok ;; *) bad "Marchenko-Pastur values: $j" ;; esac
j=$("$bin" isometry density --act hard_tanh --weights orthogonal --depth 4 --range 0.1:3 --n 5)
[ "$(echo "$j" | sed 's/.*"density": \[\([^]]*\)\].*/\1/' | tr ',' '\n' | wc -l)" -eq 5 ] && ok || bad "density --n 5: $j"

# gradients: orthogonal linear nets scale |g|^2 by exactly sw2 per layer, so ratio = theory = 1.5^(L-l)
j=$("$bin" isometry gradients --act linear --weights orthogonal --sw2 1.5 --sb2 0 --depth 4 --width 20 --nets 2 \
    --csv "$out/g.csv" --png "$out/g.png") || bad "gradients failed"
expect_keys gradients "$j" layer ratio ratio_se log_ratio theory
r=$(echo "$j" | sed 's/.*"ratio": \[\([^]]*\)\].*/\1/')
echo "$r" | awk -F', ' '{ e = 0; w[1] = 3.375; w[2] = 2.25; w[3] = 1.5; w[4] = 1
    for (i = 1; i <= 4; i++) { d = $i / w[i] - 1; if (d < 0) d = -d; if (d > e) e = d }; exit !(NF == 4 && e < 1e-12) }' \
    && ok || bad "orthogonal linear gradient ratios should be 1.5^3, 1.5^2, 1.5, 1 to 1e-12: $r"
echo "$j" | sed 's/.*"ratio_se": \[\([^]]*\)\].*/\1/' | awk -F', ' '{ for (i = 1; i <= NF; i++) if ($i > 1e-12) exit 1 }' \
    && ok || bad "equal ratios have a standard error of round-off: $j"
[ "$(grep -vc '^#' "$out/g.csv")" -eq 5 ] && ok || bad "g.csv should have a header and 4 rows"
is_png "$out/g.png"

# --help everywhere
for c in spectrum density gradients; do
    "$bin" isometry $c --help | grep -q '^usage:' && ok || bad "isometry $c --help"
done
"$bin" isometry --help | grep -q spectrum && ok || bad "isometry --help"
"$bin" --help | grep -q isometry && ok || bad "--help lists isometry"

# bad input: one line, exit 2, nothing half-written
expect_error "no isometry command" isometry
expect_error "unknown isometry command" isometry frob
expect_error "unknown weights" isometry spectrum --weights uniform
expect_msg "gaussian or orthogonal"
expect_error "negative sw2" isometry spectrum --sw2 -1
expect_error "NaN sw2" isometry spectrum --sw2 nan
expect_error "negative sb2" isometry spectrum --sb2 -0.5
expect_error "width 1" isometry spectrum --width 1
expect_error "width too large" isometry spectrum --width 100000
expect_error "depth 0" isometry spectrum --depth 0
expect_error "nets 0" isometry gradients --nets 0
expect_error "relu has no critical point at sb2 > 0" isometry spectrum --act relu --sb2 0.1
expect_msg "no critical point"
expect_error "too much work" isometry spectrum --width 2048 --depth 10000
expect_msg "floating-point operations"
expect_error "density at x = 0" isometry density --x 0,1
expect_error "density x not a number" isometry density --x 1,abc
expect_error "density empty entry" isometry density --x 1,,2
expect_error "png into a missing folder" isometry spectrum --depth 2 --width 10 --png /nonexistent/dir/x.png
[ ! -e "$out/bad.npy" ] && ok || bad "no file after an error"
finish
