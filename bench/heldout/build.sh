#!/bin/sh
# Builds the held-out corpora of bench/heldout/README.md into bench/results/heldout/ (git-ignored):
# TypeScript from npm packages' src/, C from Debian's glibc-source, Python from Debian python3-*
# packages. Nothing fetched is committed. Needs npm, apt-get (download only, no root), python3.
#   sh bench/heldout/build.sh [OUT]        default OUT: bench/results/heldout
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../results/heldout}
TOOLS=${BENCH_TOOLS:-$HERE/../../../shared/bench-tools}   # shared/ beside the repository
TARGET=${TARGET_CHARS:-4500000}          # ~4 MB of train per language (90/5/5 split by file)
mkdir -p "$OUT/src/ts" "$OUT/src/c" "$OUT/src/py"
OUT=$(cd "$OUT" && pwd)

# TypeScript: packages that ship their TypeScript sources (pinned versions).
TS_PACKAGES="rxjs@7.8.1 mobx@6.13.5 immer@10.1.1 @tanstack/query-core@5.59.0 @reduxjs/toolkit@2.2.7 @trpc/server@10.45.2 effect@3.10.0"
cd "$OUT/src/ts"
for p in $TS_PACKAGES; do
  dir=$(echo "$p" | sed 's/@[^@]*$//; s#[@/]#_#g')
  [ -d "$dir" ] && continue
  tgz=$(npm pack "$p" --silent 2>/dev/null | tail -1)
  mkdir -p "$dir" && tar -xzf "$tgz" -C "$dir" && rm -f "$tgz"
done
TS_SRCS=$(for d in */; do if [ -d "$d/package/src" ]; then echo "$OUT/src/ts/${d%/}/package/src"; fi; done)

# C: the GNU C library's sources, from Debian's glibc-source (a tarball inside the .deb).
cd "$OUT/src/c"
if [ ! -d glibc ]; then
  apt-get download glibc-source >/dev/null
  dpkg-deb -x glibc-source_*.deb deb && rm -f glibc-source_*.deb
  mkdir -p glibc && tar -xf deb/usr/src/glibc/glibc-*.tar.* -C glibc --strip-components=1 && rm -rf deb
fi

# Python: .py files of Debian python3-* packages (the big vendored or generated ones left out).
PY_DIST=/usr/lib/python3/dist-packages
PY_PACKAGES="requests urllib3 pyparsing oauthlib cryptography psutil pkg_resources hypothesis future mpmath setuptools dateutil yaml attr apt dbus OpenSSL jwt lazr softwareproperties sortedcontainers charset_normalizer gi torchgen"
cd "$OUT/src/py"
for p in $PY_PACKAGES; do if [ -d "$PY_DIST/$p" ] && [ ! -e "$p" ]; then ln -s "$PY_DIST/$p" "$p"; fi; done
PY_SRCS=$(for p in $PY_PACKAGES; do if [ -e "$OUT/src/py/$p" ]; then echo "$OUT/src/py/$p/"; fi; done)

cd "$OUT"
# shellcheck disable=SC2086
python3 "$TOOLS/make_corpus.py" "$OUT" ts $TS_SRCS --ext .ts,.tsx --target-chars "$TARGET"
python3 "$TOOLS/make_corpus.py" "$OUT" c "$OUT/src/c/glibc" --ext .c,.h --target-chars "$TARGET"
# shellcheck disable=SC2086
python3 "$TOOLS/make_corpus.py" "$OUT" py $PY_SRCS --ext .py --target-chars "$TARGET"
for n in ts c py; do wc -c "$OUT/$n/train.txt" "$OUT/$n/val.txt" "$OUT/$n/test.txt"; done
