#!/usr/bin/env bash
# Installs the built weft into a scratch prefix, then builds a program
# against it twice -- through the CMake package (find_package(weft)) and
# through pkg-config -- and runs both. Proves the install is usable.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR}
src=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src" -B "$work/cm" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cm" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib:$work/prefix/lib64:${LD_LIBRARY_PATH:-}" "$work/cm/consumer_cmake"
pcdir=$(dirname "$(find "$work/prefix" -name weft.pc | head -1)")
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs weft)
cc "$src/consumer.c" $flags -o "$work/consumer_pc"
LD_LIBRARY_PATH="$work/prefix/lib:$work/prefix/lib64:${LD_LIBRARY_PATH:-}" "$work/consumer_pc"
