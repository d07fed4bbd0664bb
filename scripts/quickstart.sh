#!/usr/bin/env bash
# Sets up, builds and runs `pocketrec quickstart` (arguments are passed on, e.g. --data DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh release
./build/pocketrec quickstart "$@"
