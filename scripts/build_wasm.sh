#!/usr/bin/env bash
# Builds the runtime for WebAssembly with Debian's emscripten into build-wasm/: the ES module
# pocketrec_runtime.mjs, pocketrec_runtime.wasm, and the JavaScript API wasm/pocketrec.mjs beside
# them (see docs/WASM.md). Installs emscripten through scripts/setup.sh when it is missing.
#   scripts/build_wasm.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build-wasm}")
if ! command -v emcmake > /dev/null; then
  echo "emscripten is missing: installing it (scripts/setup.sh)"
  ./scripts/setup.sh
fi
mkdir -p "$out/host-headers"
for lib in hwy flatbuffers nlohmann; do
  [ -d "/usr/include/$lib" ] || { echo "/usr/include/$lib missing: run scripts/setup.sh" >&2; exit 1; }
  ln -sfn "/usr/include/$lib" "$out/host-headers/$lib"
done
# Debian's emscripten runs its JavaScript tools with Debian's node modules (acorn), which a node
# from elsewhere (NodeSource) does not search by default.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
emcmake cmake -S wasm -B "$out" -G Ninja -DPOCKETREC_HOST_HEADERS="$out/host-headers" > /dev/null
cmake --build "$out" -j "$(nproc 2>/dev/null || echo 2)"
cp wasm/pocketrec.mjs "$out/"
ls -l "$out/pocketrec_runtime.wasm" "$out/pocketrec_runtime.mjs" "$out/pocketrec.mjs"
