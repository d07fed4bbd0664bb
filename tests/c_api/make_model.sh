#!/usr/bin/env bash
# Test fixture: a small trained model exported to .tflite for the C API test.
set -euo pipefail
bin=$1 out=$2
work=$(dirname "$out")/c_api_fixture
rm -rf "$work" && mkdir -p "$work"
"$bin" synth "$work/data" --users 200 --items 120 > /dev/null
"$bin" train --data "$work/data" --out "$work/model.pkrec" --epochs 1 --dim 16 --quiet > /dev/null
"$bin" export --model "$work/model.pkrec" --out "$out" > /dev/null
