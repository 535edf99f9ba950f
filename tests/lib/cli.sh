# cli.sh - the shared harness of the CLI test scripts (sourced by tests/cli_<family>.sh with the script's own
# arguments: $1 the dynlens binary, $2 the build folder; $name set to the script's name before sourcing).
bin=$1
out=${2:-.}/$name
rm -rf "$out" && mkdir -p "$out"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_error "what" args...: exit status 2, exactly one line on stderr, nothing on stdout
expect_error() {
    what=$1; shift
    "$bin" "$@" >"$out/stdout" 2>"$out/stderr"
    st=$?
    lines=$(wc -l <"$out/stderr")
    if [ "$st" -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$out/stdout" ]; then ok
    else bad "$what: status $st, $lines stderr lines: $(cat "$out/stderr")"; fi
}
# expect_msg TEXT: the last error message mentions TEXT
expect_msg() { grep -q "$1" "$out/stderr" && ok || bad "message should mention '$1': $(cat "$out/stderr")"; }
# expect_keys "what" "json" keys...: every key appears in the JSON object
expect_keys() {
    what=$1; json=$2; shift 2
    for k in "$@"; do case "$json" in *"\"$k\": "*) ok ;; *) bad "$what: no key $k in $json" ;; esac; done
}
# key JSON NAME: a scalar value from one-line JSON
key() { echo "$1" | sed -n "s/.*\"$2\": \([^,}]*\).*/\1/p"; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] && ok || bad "$1 is not a PNG"; }
is_npy() { [ "$(head -c 6 "$1" | tail -c 5)" = "NUMPY" ] && ok || bad "$1 is not an NPY file"; }
# finish: no temporary file left anywhere below $out, the summary line, and the exit status
finish() {
    ls -aR "$out" | grep -q '\.tmp' && bad "temporary files left in $out" || ok
    echo "$name: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
