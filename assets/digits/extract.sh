#!/bin/sh
# extract.sh - fetch Debian's python3-sklearn package and take the 8x8 digits data set out of it (see README).
# Usage: sh assets/digits/extract.sh   (needs apt-get and dpkg-deb, i.e. Debian or Ubuntu; no root needed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
apt-get download python3-sklearn
deb=$(ls python3-sklearn_*.deb)
dpkg-deb -x "$deb" root
src=root/usr/lib/python3/dist-packages/sklearn/datasets
cp "$src/data/digits.csv.gz" "$here/digits.csv.gz.new"
# Check before replacing: 1797 rows of 64 pixel values (0..16) and a label (0..9).
rows=$(gzip -dc "$here/digits.csv.gz.new" | awk -F, 'NF != 65 { bad = 1 } { for (i = 1; i <= 64; i++) if ($i < 0 || $i > 16) bad = 1;
       if ($65 < 0 || $65 > 9) bad = 1 } END { print bad ? -1 : NR }')
if [ "$rows" != 1797 ]; then rm -f "$here/digits.csv.gz.new"; echo "extract.sh: unexpected contents ($rows rows)" >&2; exit 1; fi
mv "$here/digits.csv.gz.new" "$here/digits.csv.gz"
cp "$src/descr/digits.rst" "$here/digits.rst"
echo "extract.sh: $here/digits.csv.gz from $deb ($rows rows); sha256 $(sha256sum "$here/digits.csv.gz" | cut -d' ' -f1)"
