#!/bin/sh
# cli_outputs.sh - the CLI's reading and writing promises (issue 11): gzip read whole or refused, CSV bytes, files
# written whole or not at all, only regular files replaced, --out replaced as a whole, JSON strings escaped.
name=cli_outputs
. "$(dirname "$0")/lib/cli.sh"

# no staged temp file (".<name>.tmp-XXXXXX", hidden) anywhere below a folder
no_temps() { [ -z "$(find "$1" -name '*.tmp*' 2>/dev/null)" ] && ok || bad "$2: temp files left: $(find "$1" -name '*.tmp*')"; }
train="landscape train --n 60 --depth 1 --width 4 --steps 5 --snapshots 2 --png-size 320x240"

# ---- gzip: every member, CRC-32 and ISIZE checked, a size cap with an early refusal
d=$out/gz && mkdir -p "$d"
{ echo "x,y,label"; i=0; while [ $i -lt 40 ]; do echo "$i,$((i * 3 % 7)),$((i % 2))"; i=$((i + 1)); done; } >"$d/a.csv"
head -n 21 "$d/a.csv" | gzip -c >"$d/two.csv.gz" && tail -n +22 "$d/a.csv" | gzip -c >>"$d/two.csv.gz"
j=$("$bin" $train --data "$d/two.csv.gz" --out "$d/r1") || bad "two-member gzip refused"
[ "$(key "$j" n)" = 40 ] && ok || bad "a two-member gzip gives all 40 rows, not $(key "$j" n) (was: only the first member)"
gzip -c "$d/a.csv" >"$d/crc.csv.gz"
size=$(wc -c <"$d/crc.csv.gz")
printf '\377' | dd of="$d/crc.csv.gz" bs=1 seek=$((size - 8)) conv=notrunc 2>/dev/null # the CRC-32's first byte
expect_error "damaged CRC" $train --data "$d/crc.csv.gz" --out "$d/r2"
expect_msg "CRC-32 does not match"
gzip -c "$d/a.csv" >"$d/isize.csv.gz"
printf '\007' | dd of="$d/isize.csv.gz" bs=1 seek=$((size - 4)) conv=notrunc 2>/dev/null
expect_error "wrong ISIZE" $train --data "$d/isize.csv.gz" --out "$d/r2"
expect_msg "trailer says"
head -c $((size - 12)) "$d/two.csv.gz" >"$d/cut.csv.gz"
expect_error "truncated gzip" $train --data "$d/cut.csv.gz" --out "$d/r2"
# a bomb: 300 MB of zeros in about 300 KB. Its trailer says 300 MB: refused before inflating anything.
head -c 300000000 /dev/zero | gzip -1 -c >"$d/bomb.csv.gz"
t0=$(date +%s%N)
expect_error "gzip bomb (honest trailer)" $train --data "$d/bomb.csv.gz" --out "$d/r2"
t1=$(date +%s%N)
expect_msg "says it inflates to 300000000 bytes"
# the same bomb with its trailer claiming 100 bytes: refused at the 256 MiB cap (was: 1 GB and 10 s for 1 MB)
bsize=$(wc -c <"$d/bomb.csv.gz")
printf 'd\000\000\000' | dd of="$d/bomb.csv.gz" bs=1 seek=$((bsize - 4)) conv=notrunc 2>/dev/null
expect_error "gzip bomb (lying trailer)" $train --data "$d/bomb.csv.gz" --out "$d/r2"
t2=$(date +%s%N)
expect_msg "inflates to more than the 256 MiB"
echo "gzip bomb refused in $(((t1 - t0) / 1000000)) ms (trailer) and $(((t2 - t1) / 1000000)) ms (inflated to the cap)"
[ $(((t2 - t1) / 1000000)) -lt 20000 ] && ok || bad "the lying bomb took more than 20 s"
no_temps "$d" gzip

# ---- CSV bytes: NUL and control bytes refused by the core (landscape and posterior alike), a BOM skipped
printf '1,3\000junk,0\n2,4,1\n5,6,0\n' >"$d/nul.csv"
expect_error "NUL in a landscape CSV" $train --data "$d/nul.csv" --out "$d/r3"
expect_msg "control character (0x00)"
printf 'x,y\n1,3\000junk\n2,4\n5,6\n' >"$d/nulreg.csv"
expect_error "NUL in a posterior CSV" posterior run --model linreg --data "$d/nulreg.csv" --steps 10
expect_msg "control character (0x00)"
printf '\357\273\277x,y,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n' >"$d/bom.csv"
j=$("$bin" $train --data "$d/bom.csv" --out "$d/r4") && [ "$(key "$j" n)" = 4 ] && ok || bad "a UTF-8 BOM is skipped"
# subnormal option values are numbers (was: "not a number")
"$bin" meanfield point --act tanh --sw2 1.5 --sb2 1e-310 >/dev/null && ok || bad "--sb2 1e-310 is a number"
expect_error "overflow" meanfield point --sb2 1e999
expect_msg "not a finite number"

# ---- outputs: a failure after the first output leaves no file (was: the CSV and NPY stayed)
w=$out/w && mkdir -p "$w"
DYNLENS_FONT=/nonexistent/font.ttf "$bin" meanfield phase --size 8x8 --csv "$w/p.csv" --npy "$w/p.npy" \
    --png "$w/p.png" >/dev/null 2>"$out/stderr"
[ $? -eq 2 ] && ok || bad "a missing font is an error"
[ ! -e "$w/p.csv" ] && [ ! -e "$w/p.npy" ] && [ ! -e "$w/p.png" ] && ok || bad "files written before the PNG failed: $(ls "$w")"
no_temps "$w" "failed PNG"
# only regular files are replaced: a symlink or a device is refused, untouched, before any work
echo keep >"$w/target.csv" && ln -s target.csv "$w/link.csv"
expect_error "symlink target" meanfield phase --size 8x8 --csv "$w/link.csv"
expect_msg "symbolic link"
[ -L "$w/link.csv" ] && [ "$(cat "$w/target.csv")" = keep ] && ok || bad "the symlink or its target changed"
# a special file: a FIFO here, never /dev/null (a broken build run as root would replace the machine's /dev/null)
mkfifo "$w/fifo.npy"
expect_error "special-file target" meanfield phase --size 8x8 --npy "$w/fifo.npy"
expect_msg "not a regular file"
[ -p "$w/fifo.npy" ] && ok || bad "the FIFO was replaced"
expect_error "folder target" meanfield phase --size 8x8 --png "$w"
expect_error "missing folder" meanfield phase --size 8x8 --csv "$w/no/such/dir/x.csv"
# a replaced file keeps its permission bits
echo old >"$w/mode.csv" && chmod 640 "$w/mode.csv"
"$bin" meanfield phase --size 8x8 --csv "$w/mode.csv" >/dev/null || bad "phase --csv"
[ "$(stat -c %a "$w/mode.csv")" = 640 ] && grep -q '^sw2,sb2,xi_c' "$w/mode.csv" && ok || bad "mode 640 kept: $(stat -c %a "$w/mode.csv")"
# SIGTERM and SIGINT during a long run: no temp file, no half folder, no target. timeout(1) sends the signal (a
# background job of this shell would ignore SIGINT, and dynlens keeps an ignored signal ignored).
for sig in TERM INT; do
    timeout -s $sig 1 "$bin" landscape train --n 400 --depth 3 --width 64 --steps 1000000 --max-seconds 1e6 --out "$w/long$sig" >/dev/null 2>&1
    st=$?
    [ $st -eq 124 ] && [ ! -e "$w/long$sig" ] && ok || bad "SIG$sig: status $st, $(ls -a "$w")"
    no_temps "$w" "SIG$sig"
done
# two runs writing one path at once: both succeed and the file is one run's whole file (was: corrupt, status 0)
"$bin" meanfield phase --size 64x64 --field chi1 --npy "$w/ref1.npy" >/dev/null
"$bin" meanfield phase --size 64x64 --field q_star --npy "$w/ref2.npy" >/dev/null
i=0
while [ $i -lt 6 ]; do
    "$bin" meanfield phase --size 64x64 --field chi1 --npy "$w/same.npy" >/dev/null & p1=$!
    "$bin" meanfield phase --size 64x64 --field q_star --npy "$w/same.npy" >/dev/null & p2=$!
    wait $p1 && wait $p2 && ok || bad "a concurrent run failed"
    cmp -s "$w/same.npy" "$w/ref1.npy" || cmp -s "$w/same.npy" "$w/ref2.npy" && ok || bad "concurrent writes mixed the file"
    i=$((i + 1))
done
no_temps "$w" concurrent

# ---- --out DIR: a new folder moved into place; an older run's files never mix with a new run's
o=$out/o
"$bin" landscape slice --n 60 --depth 1 --width 4 --steps 20 --size 5x5 --png-size 320x240 --out "$o" >/dev/null || bad "slice"
[ -e "$o/grid_loss.npy" ] && ok || bad "slice files"
"$bin" $train --out "$o" >/dev/null || bad "train over a slice folder"
[ -e "$o/theta.npy" ] && [ ! -e "$o/grid_loss.npy" ] && ok || bad "the old slice files stayed next to the new run: $(ls "$o")"
echo mine >"$o/notes.txt"
expect_error "a folder with a foreign file" $train --out "$o"
expect_msg "notes.txt"
[ "$(cat "$o/notes.txt")" = mine ] && [ -e "$o/theta.npy" ] && ok || bad "the refused folder changed"
expect_error "--out is a file" $train --out "$w/mode.csv"
no_temps "$out" "--out"

# ---- JSON strings: paths with quotes, backslashes and control characters stay parsable
q=$out/'we"ird\dir'
j=$("$bin" $train --out "$q") || bad "train into $q"
printf '%s' "$j" | grep -q '"out": ".*we\\"ird\\\\dir"' && ok || bad "--out escaped in JSON: $j"
cp "$d/a.csv" "$out/tab	\"q\".csv"
j=$("$bin" posterior run --model logistic --data "$out/tab	\"q\".csv" --steps 50)
printf '%s' "$j" | grep -q '"data": ".*tab\\t\\"q\\".csv"' && ok || bad "--data escaped in JSON"
if command -v python3 >/dev/null 2>&1; then
    printf '%s' "$j" | python3 -c 'import json,sys; json.load(sys.stdin)' && ok || bad "posterior JSON does not parse"
fi
finish
