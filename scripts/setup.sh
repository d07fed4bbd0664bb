#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the tools need. Idempotent: packages already
# present are skipped, and apt is only touched when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang-format clang libclang-rt-dev
  zlib1g-dev libzip-dev libcurl4-openssl-dev libssl-dev
  nlohmann-json3-dev libcli11-dev libeigen3-dev libcpp-httplib-dev
  libflatbuffers-dev flatbuffers-compiler libhwy-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  zip curl
  emscripten chromium wrk
  libopenmpi-dev openmpi-bin
)

# --bench: also what bench/torch_compare.sh needs (PyTorch, and OpenBLAS for it to use).
[ "${1:-}" = "--bench" ] && packages+=(python3-torch libopenblas0-pthread)

# Node.js runs the official TFLite runtime (LiteRT's WASM build) in the export tests; a node already
# on the PATH (e.g. from NodeSource) is used as it is.
command -v node >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
