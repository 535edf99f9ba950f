#!/bin/sh
# cli_control_lr.sh - "dynlens control lr": JSON keys, numbers against the closed forms, files, and exit status 2 with
# one line on stderr (and no file left behind) for every bad input (ctest runs: sh cli_control_lr.sh build/dynlens build/).
name=cli_control_lr
. "$(dirname "$0")/lib/cli.sh"

# near: |$1 - $2| <= $3 (awk does the arithmetic)
near() { awk -v x="$1" -v y="$2" -v t="$3" 'BEGIN { d = x - y; if (d < 0) d = -d; exit !(d <= t) }'; }

j=$("$bin" control lr --schedules optimal,discrete,const:1,const:0.25,inv:1,direct:20 --runs 400 \
    --csv "$out/lr.csv" --npy "$out/lr.npy" --png "$out/lr.png") || bad "control lr failed"
expect_keys lr "$j" d a sigma2 x0 eta batch T steps runs seed loss_0 t_switch loss_T_optimal_closed schedules \
    name loss_T_ode loss_T_sgd loss_T_mc loss_T_mc_se z_T max_abs_z sme_rel_gap loss_T_direct_opt u_T best ms
is_png "$out/lr.png"
is_npy "$out/lr.npy"
# a header naming every column, then N + 1 = 1001 rows of 1 + 6 x 5 numbers
grep -q '^t,optimal_ode,optimal_sgd,optimal_mc,optimal_se,optimal_u1,optimal_dJdu,discrete_ode' "$out/lr.csv" && ok || bad "csv header"
[ "$(grep -v '^#' "$out/lr.csv" | tail -n +2 | wc -l)" -eq 1001 ] && ok || bad "csv rows"
[ "$(grep -v '^#' "$out/lr.csv" | tail -1 | tr ',' '\n' | wc -l)" -eq 37 ] && ok || bad "csv columns"
# the switching function: dJ/du_k is 0 (to rounding) wherever the discrete law is inside (0, 1), <= 0 where it is 1;
# const:0.25 is too slow everywhere, so raising u anywhere lowers E f(x_N): dJ/du < 0 in every row but the last
awk -F, -v OFS=, '/^#/ { next } !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
    { u = $(c["discrete_u1"]); g = $(c["discrete_dJdu"]); q = $(c["const:0.25_dJdu"]); n++ }
    n <= 1000 && u < 1 && (g > 1e-15 || g < -1e-15) { bad++ } n <= 1000 && u == 1 && g > 0 { bad++ }
    n <= 1000 && !(q < 0) { bad++ } END { exit bad > 0 }' "$out/lr.csv" && ok || bad "switching function signs"
# the optimal schedule's ODE loss is the closed form (a = sigma2 = x0 = 1, eta = 0.01, T = 10):
# t* = ln(2 a m0 / (eta s2) - 1) / (2a) = ln(199) / 2, then E f = eta s2 / (2 (1 + a (T - t*)))
closed=$(awk 'BEGIN { ts = log(199) / 2; printf "%.15g", 0.01 / (2 * (1 + (10 - ts))) }')
ode=$(echo "$j" | sed 's/.*"name": "optimal", "loss_T_ode": \([^,]*\),.*/\1/')
near "$ode" "$closed" 1e-9 && ok || bad "optimal loss_T_ode $ode vs closed form $closed"
near "$(key "$j" loss_T_optimal_closed)" "$closed" 1e-15 && ok || bad "loss_T_optimal_closed"
near "$(echo "$j" | sed 's/.*"t_switch": \[\([^]]*\)\].*/\1/')" "$(awk 'BEGIN { printf "%.15g", log(199) / 2 }')" 1e-12 &&
    ok || bad "t_switch"
# const:1 on the exact recursion has a closed form: m_k = minf + (1 - minf) (1 - eta)^(2k), minf = eta / (2 - eta)
c1=$(echo "$j" | sed 's/.*"name": "const:1", "loss_T_ode": [^,]*, "loss_T_sgd": \([^,]*\),.*/\1/')
want=$(awk 'BEGIN { m = 0.01 / 1.99; printf "%.15g", 0.5 * (m + (1 - m) * 0.99 ^ 2000) }')
near "$c1" "$want" 1e-13 && ok || bad "const:1 loss_T_sgd $c1 vs $want"
# the best schedule is one of the optimal laws (the direct piecewise-constant optimum is within a whisker)
case "$(key "$j" best)" in '"optimal"'|'"discrete"') ok ;; *) bad "best is $(key "$j" best)" ;; esac
# every Monte Carlo mean is within 4.5 standard errors of SGD's exact moments at every time
for z in $(echo "$j" | grep -o '"max_abs_z": [^,]*' | sed 's/.*: //'); do
    awk -v z="$z" 'BEGIN { exit !(z < 4.5) }' && ok || bad "max_abs_z $z"
done
# several coordinates, batch, per-coordinate x0, and a caller-given schedule
awk 'BEGIN { for (k = 0; k < 500; k++) print 0.5 }' >"$out/u.csv"
j=$("$bin" control lr --a 1,0.2,3 --sigma2 1,2,0.5 --x0 1,-2,0.5 --batch 4 --eta 0.02 --schedules optimal,given,inv:2:1 \
    --u "$out/u.csv" --runs 200 --png "$out/d3.png") || bad "d = 3 with given"
expect_keys d3 "$j" t_switch schedules
case "$j" in *'"name": "given"'*) ok ;; *) bad "given schedule missing" ;; esac
# given 0.5 = const:0.5: the same numbers
j2=$("$bin" control lr --a 1,0.2,3 --sigma2 1,2,0.5 --x0 1,-2,0.5 --batch 4 --eta 0.02 --schedules const:0.5 --runs 200)
[ "$(echo "$j" | sed 's/.*"name": "given", "loss_T_ode": \([^,]*\),.*/\1/')" = \
  "$(echo "$j2" | sed 's/.*"name": "const:0.5", "loss_T_ode": \([^,]*\),.*/\1/')" ] && ok || bad "given 0.5 = const:0.5"
"$bin" control --help | grep -q '^  lr ' && ok || bad "family help"
"$bin" control lr --help | grep -q -- '--schedules' && ok || bad "command help"

# bad inputs: one line, status 2, nothing written
expect_error "no command" control
expect_error "unknown command" control fly
expect_error "a = 0" control lr --a 1,0
expect_msg "positive"
expect_error "a not a number" control lr --a 1,x
expect_error "sigma2 count" control lr --a 1,2 --sigma2 1,2,3
expect_msg "coordinates"
expect_error "sigma2 < 0" control lr --sigma2 -1
expect_error "x0 too large" control lr --x0 1e200
expect_msg "too large"
expect_error "x0 NaN" control lr --x0 nan
expect_error "eta too big" control lr --a 10 --eta 0.5
expect_msg "diverges"
expect_error "eta 0" control lr --eta 0
expect_error "T < 0" control lr --T -1
expect_error "too many steps" control lr --T 1e9
expect_error "runs 1" control lr --runs 1
expect_error "work bound" control lr --runs 10000000 --T 1000
expect_error "unknown schedule" control lr --schedules optimal,fast
expect_msg "choose"
expect_error "const > 1" control lr --schedules const:2
expect_error "duplicate" control lr --schedules optimal,optimal
expect_error "direct pieces" control lr --T 0.05 --schedules direct:10
expect_error "given without --u" control lr --schedules given
expect_error "--u without given" control lr --u "$out/u.csv"
expect_error "u too short" control lr --schedules given --u "$out/u.csv" --T 10
printf '0.5\n2\n' >"$out/bad.csv"
expect_error "u out of range" control lr --schedules given --u "$out/bad.csv" --T 0.02
expect_error "png too small" control lr --png "$out/x.png" --png-size 400x300
expect_error "unwritable csv" control lr --runs 2 --csv /nonexistent/dir/x.csv
[ -e "$out/x.png" ] && bad "a failed run left x.png" || ok
finish
