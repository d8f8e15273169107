#!/usr/bin/env bash
# Builds the native shim for 12-bit JPEG (jpeg12.c) into OUTPUT_DIR/libchestlens-jpeg12.so, linked
# against gdcm's 12-bit IJG library. Maven runs it (pom.xml, generate-resources) with target/native.
#
#   bash src/main/c/build.sh OUTPUT_DIR [required]
#
# Needs gcc (and libc6-dev) and libgdcm-dev at build time, libgdcm3.0 at run time (Debian 12). Where
# gcc or the gdcm headers are missing, it says why and exits 0: the service then refuses 12-bit JPEG
# with 415, naming the packages. With "required" (the container build), that is an error instead.
set -euo pipefail

out="${1:?usage: build.sh OUTPUT_DIR [required]}"
required="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
source="$here/jpeg12.c"
target="$out/libchestlens-jpeg12.so"
include=/usr/include/gdcm-3.0/gdcmjpeg/12

skip() {
  rm -f "$target"
  if [ "$required" = required ]; then
    echo "chestlens-jpeg12: cannot build: $1" >&2
    exit 1
  fi
  echo "chestlens-jpeg12 not built: $1; 12-bit JPEG uploads will be refused (415)."
  exit 0
}

command -v gcc >/dev/null 2>&1 || skip "gcc is not installed (Debian packages gcc and libc6-dev)"
[ -f /usr/include/stdio.h ] || skip "the C library headers are not installed (Debian package libc6-dev)"
[ -f "$include/jpeglib.h" ] || skip "gdcm's 12-bit IJG headers are not installed (Debian package libgdcm-dev)"
# The same build again only when the source or this script changed.
if [ -f "$target" ] && [ "$target" -nt "$source" ] && [ "$target" -nt "$0" ]; then
  exit 0
fi
mkdir -p "$out"
# -lgdcmjpeg12 records gdcm's soname (libgdcmjpeg12.so.3.0, package libgdcm3.0) as the run-time need.
gcc -std=c11 -O2 -g0 -fPIC -shared -Wall -Wextra -Werror=implicit-function-declaration \
  -fstack-protector-strong -D_FORTIFY_SOURCE=2 -Wl,-z,relro,-z,now -Wl,--no-undefined \
  -I"$include" "$source" -o "$target.tmp" -lgdcmjpeg12
mv "$target.tmp" "$target"
echo "chestlens-jpeg12: built $target"
