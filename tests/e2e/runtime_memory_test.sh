#!/usr/bin/env bash
# The runtime's memory for a 1,000,000-item int8 model, as an app loading it sees it: after the
# load, at most the file's size plus the filter's codes plus 8 MiB (docs/BENCHMARKS.md).
set -euo pipefail
bin=${POCKETREC:?set POCKETREC to the pocketrec binary}
probe=${PROBE:?set PROBE to pocketrec_runtime_memory}
work=${1:-$(mktemp -d)}
rm -rf "$work" && mkdir -p "$work"
"$bin" bench --synthetic-items 1000000 --dim 32 --int8 --queries 1 --threads 1 \
  --save-model "$work/big.tflite" > /dev/null
"$probe" "$work/big.tflite" > "$work/memory.json"
cat "$work/memory.json"
python3 - "$work/memory.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
mib = 1 << 20
held = (m["rss_loaded_mib"] - m["rss_before_mib"]) * mib
bound = m["file_bytes"] + m["filter_bytes"] + 8 * mib
print(f"held {held / mib:.1f} MiB; bound {bound / mib:.1f} MiB "
      f"(file {m['file_bytes'] / mib:.1f} + filter {m['filter_bytes'] / mib:.1f} + 8)")
if m["items"] != 1000000 or held > bound:
    sys.exit("FAIL: the runtime holds more than the file, its filter codes and 8 MiB")
PY
rm -rf "$work"
