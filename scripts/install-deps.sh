#!/usr/bin/env bash
# Installs what weft needs to build, test and benchmark on Debian/Ubuntu:
# compilers, CMake, and the field's own libraries (OpenMPI and Gloo as
# baselines, hwloc, rdma-core, cJSON) from the distribution. Installs only
# what is missing; needs root (or sudo).
set -euo pipefail

# clang with libclang-rt-dev (libFuzzer, sanitizer runtimes) and llvm (the
# symbolizer for sanitizer reports): tests/fuzz and scripts/sanitize.sh.
packages=(build-essential cmake pkg-config clang libclang-rt-dev llvm python3 iproute2 procps
          libopenmpi-dev openmpi-bin libgloo-dev libhwloc-dev libibverbs-dev libcjson-dev
          gnuplot-nox)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
