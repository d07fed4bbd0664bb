#!/usr/bin/env bash
# pocketrec's attention training against the same model in PyTorch (bench/torch_attention.py):
# speed on ml-1m-sasrec (L = 200, width 64, 2 blocks, batch 109, 2 threads), then accuracy after
# the same number of epochs on amazon-office. Needs `scripts/setup.sh --bench` (python3-torch with
# OpenBLAS; Debian's torch falls back to the reference BLAS without it, 3.6x slower).
#   bench/torch_compare.sh [DATA_DIR] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data}
epochs=${2:-10}
bin=build/pocketrec
[ -x "$bin" ] || ./scripts/build.sh release
for f in "$data/ml-1m-sasrec/ml-1m.txt" "$data/amazon-office/Office_Products.txt"; do
  [ -f "$f" ] || { echo "torch_compare: $f absent, skipping (see ../shared/data/README.md)"; exit 0; }
done
py=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_attention.py)
work=$(mktemp -d)
echo "== speed, ml-1m-sasrec, one epoch of pocketrec, 12 steps of PyTorch"
"$bin" train --data "$data/ml-1m-sasrec" --out "$work/speed.pkrec" --encoder attention --epochs 1 \
  --threads 2 --quiet 2>&1 | grep -E "recipe|speed"
"${py[@]}" "$data/ml-1m-sasrec/ml-1m.txt" --length 200 --batch 109 --lr 0.002 --epochs 1 \
  --steps 12 --no-eval --threads 2
echo "== accuracy after $epochs epochs, amazon-office (L = 20, dropout 0.5, batch 68, lr 1e-3)"
"$bin" train --data "$data/amazon-office" --out "$work/office.pkrec" --encoder attention \
  --epochs "$epochs" --patience "$epochs" --warmup 0 --threads 2 --quiet | grep -E "^ +10 |trained"
"${py[@]}" "$data/amazon-office/Office_Products.txt" --length 20 --batch 68 --dropout 0.5 \
  --epochs "$epochs" --threads 2
rm -rf "$work"
