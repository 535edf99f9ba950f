#!/bin/sh
# cli_meanfield.sh - the meanfield CLI's promises: JSON keys, files it writes, --help everywhere, and exit status 2
# with one line on stderr for every bad argument (ctest runs: sh cli_meanfield.sh build/dynlens build/).
name=cli_meanfield
. "$(dirname "$0")/lib/cli.sh"

j=$("$bin" meanfield point --act tanh --sw2 1.5 --sb2 0.05) || bad "point failed"
expect_keys point "$j" q_star c_star chi1 chi_c chi_q xi_q xi_c xi_grad depth_trainable phase
case "$j" in *'"phase": "ordered"'*) ok ;; *) bad "point: tanh (1.5, 0.05) should be ordered: $j" ;; esac
j=$("$bin" meanfield point --act=erf --sw2=3 --sb2=0.1)
case "$j" in *'"phase": "chaotic"'*) ok ;; *) bad "point: erf (3, 0.1) should be chaotic: $j" ;; esac
j=$("$bin" meanfield point --act relu --sw2 3 --sb2 0.1)
case "$j" in *'"phase": "unbounded"'*'') ok ;; *) bad "point: relu sw2 > 2 should be unbounded: $j" ;; esac
case "$j" in *'"q_star": 1e999'*) ok ;; *) bad "point: unbounded q* should be written 1e999: $j" ;; esac
j=$("$bin" meanfield critical --act tanh --sb2 0.05)
expect_keys critical "$j" sw2_crit q_star
case "$j" in *'"sw2_crit": 1.76095'*) ok ;; *) bad "critical: tanh at sb2 = 0.05 should be 1.760955: $j" ;; esac
j=$("$bin" meanfield critical --act tanh --sb2 0:0.3 --n 4)
expect_keys "critical line" "$j" sb2 sw2_crit
j=$("$bin" meanfield trajectory --depth 3)
expect_keys trajectory "$j" q c one_minus_c

# phase: the three files, well-formed
j=$("$bin" meanfield phase --act tanh --field xi_c --sw2 0.5:4 --sb2 0:0.3 --size 40x30 \
    --png "$out/p.png" --csv "$out/p.csv" --npy "$out/p.npy") || bad "phase failed"
expect_keys phase "$j" nx ny min max ms
is_png "$out/p.png"
[ "$(grep -vc '^#' "$out/p.csv")" -eq $((40 * 30 + 1)) ] && ok || bad "p.csv should have a header and 1200 rows"
grep -q '^sw2,sb2,xi_c$' "$out/p.csv" && ok || bad "p.csv header"
[ "$(head -c 6 "$out/p.npy" | tail -c 5)" = "NUMPY" ] && ok || bad "p.npy magic"
size=$(wc -c <"$out/p.npy")
[ "$size" -eq $((128 + 40 * 30 * 4)) ] && ok || bad "p.npy has $size bytes, want 128 + 4800"
grep -q "'shape': (30, 40)" "$out/p.npy" && ok || bad "p.npy shape (rows, columns)"
"$bin" meanfield phase --field phase --act relu --size 20x20 --png "$out/ph.png" >/dev/null && ok || bad "relu phase png"
"$bin" meanfield simulate --width 40 --depth 5 --seeds 3 --csv "$out/s.csv" --png "$out/s.png" >"$out/s.txt" && ok || bad "simulate"
grep -q 'c_theory' "$out/s.txt" && ok || bad "simulate prints the table"
[ "$(grep -vc '^#' "$out/s.csv")" -eq 7 ] && ok || bad "simulate csv rows"
j=$("$bin" meanfield simulate --width 40 --depth 5 --seeds 3 --json)
expect_keys simulate "$j" q_theory q_sim q_se c_theory c_sim c_se

# --help everywhere, exit 0
for c in point critical phase trajectory simulate; do
    "$bin" meanfield $c --help | grep -q '^usage:' && ok || bad "meanfield $c --help"
done
"$bin" --help | grep -q meanfield && ok || bad "--help"

# bad input: one line, exit 2, no crash, no half-written file
expect_error "no command"
expect_error "no meanfield command" meanfield
expect_error "unknown command" frobnicate
expect_error "unknown subcommand" meanfield frob
expect_error "unknown activation" meanfield point --act softplus
expect_error "sw2 = 0" meanfield point --sw2 0
expect_error "negative sw2" meanfield point --sw2 -1
expect_error "NaN sw2" meanfield point --sw2 nan
expect_error "inf sb2" meanfield point --sb2 inf
expect_error "not a number" meanfield point --sw2 abc
expect_error "trailing junk" meanfield point --sw2 1.5x
expect_error "negative sb2" meanfield point --sb2 -0.1
expect_error "sw2 too large" meanfield point --sw2 1e9
expect_error "missing value" meanfield point --sw2
expect_error "unknown option" meanfield point --sigma 1
expect_error "flag with value" meanfield phase --size 4x4 --scale
expect_error "order too small" meanfield point --order 5
expect_error "order not integer" meanfield point --order 1.5
expect_error "range without colon" meanfield phase --sw2 0.5
expect_error "empty range" meanfield phase --sw2 4:0.5
expect_error "half range" meanfield phase --sb2 0.1:
expect_error "range with NaN" meanfield phase --sw2 nan:2
expect_error "grid too large" meanfield phase --size 100000x100000
expect_error "grid malformed" meanfield phase --size 256
expect_error "grid zero" meanfield phase --size 0x10
expect_error "unknown field" meanfield phase --field entropy
expect_error "unknown colormap" meanfield phase --size 4x4 --cmap jet
expect_error "vmin above vmax" meanfield phase --size 4x4 --vmin 3 --vmax 1
expect_error "unknown scale" meanfield phase --size 4x4 --scale cubic
expect_error "c0 > 1" meanfield trajectory --c0 1.5
expect_error "q0 <= 0" meanfield simulate --q0 0
expect_error "width 1" meanfield simulate --width 1
expect_error "too much work" meanfield simulate --width 8000 --depth 5000 --seeds 1000
expect_msg 'meanfield simulate: about .* operations, .* more than --max-seconds 600'
"$bin" meanfield simulate --width 50 --depth 5 --seeds 2 --max-seconds 1 >/dev/null && ok || bad "a small simulation within 1 s"
expect_error "relu has no critical point at sb2 > 0" meanfield critical --act relu --sb2 0.1
expect_error "unwritable png" meanfield phase --size 4x4 --png /nonexistent-dir/x.png
[ -z "$(ls /nonexistent-dir 2>/dev/null)" ] && ok || bad "left a file behind"
DYNLENS_FONT=/nonexistent.ttf "$bin" meanfield phase --size 4x4 --png "$out/nofont.png" >/dev/null 2>"$out/stderr"
[ $? -eq 2 ] && grep -q fonts-dejavu-core "$out/stderr" && [ ! -e "$out/nofont.png" ] && ok || bad "missing font"
# the README's lists are the core's tables (the CLI's errors list them from the core: core_names in util.c)
readme="$(dirname "$0")/../README.md"
core_list() { "$bin" "$@" 2>&1 | sed 's/.*choose //; s/, / /g; s/ or / /'; }
acts=$(core_list meanfield point --act '?')
[ "$(sed -n 's/^Activations: `\([^`]*\)`.*/\1/p' "$readme")" = "$acts" ] && ok || bad "README's activations are not the core's: $acts"
fields=$(core_list meanfield phase --field '?')
grep -q "# fields: $fields\$" "$readme" && ok || bad "README's phase fields are not the core's: $fields"
"$bin" meanfield phase --help | grep -q -- "--field        $(echo "$fields" | sed 's/ /, /g; s/, \([^,]*\)$/ or \1/')" && ok || bad "--help lists the core's fields"
finish
