#!/usr/bin/env python3
"""The attention encoder pocketrec trains, in PyTorch, for a side-by-side speed and accuracy check.

Same model (pre-LayerNorm SASRec blocks: inputs x sqrt(d) + learned positions, causal self-attention
over unpadded keys, GELU feed-forward, residuals, final LayerNorm, tied item table plus a per-item
bias, full softmax cross-entropy), same data handling (leave-one-out, causal windows of L items
walking back from each user's newest training item), same optimizer (Adam, no decay), same batch
and thread count. Prints training targets per second and, per epoch, validation and test HR@10 /
NDCG@10 with full ranking and seen items excluded.

  python3 bench/torch_attention.py DATA_FILE [--length 200] [--epochs 3] [--batch 108] ...
Needs Debian's python3-torch (scripts/setup.sh --bench installs it).
"""
import argparse
import math
import random
import sys
import time

import torch
import torch.nn.functional as F


def read_sequences(path):
    """user -> items, from 'user item' lines or 'user item1 item2 ...' lines (line order)."""
    users, item_index = {}, {}
    with open(path) as f:
        lines = [line.split() for line in f if line.strip()]
    per_user = sum(len(l) > 2 for l in lines[:100]) * 2 > min(len(lines), 100)
    for fields in lines:
        pairs = [(fields[0], i) for i in fields[1:]] if per_user else [(fields[0], fields[1])]
        for user, item in pairs:
            idx = item_index.setdefault(item, len(item_index) + 1)
            users.setdefault(user, []).append(idx)
    return [s for s in users.values() if len(s) >= 3], len(item_index)


def windows(sequences, length):
    """Causal windows over each user's training part (all but the last two items)."""
    out = []
    for u, seq in enumerate(sequences):
        last = len(seq) - 3  # last training target position
        end = last
        while end >= 1:
            out.append((u, end))
            end -= length
    return out


def window_batch(sequences, batch, length):
    ctx = torch.zeros(len(batch), length, dtype=torch.long)
    tgt = torch.zeros(len(batch), length, dtype=torch.long)
    for b, (u, end) in enumerate(batch):
        seq = sequences[u]
        for j in range(length):
            src = end - length + j
            if src >= 0:
                ctx[b, j] = seq[src]
                tgt[b, j] = seq[src + 1]
    return ctx, tgt


class Block(torch.nn.Module):
    def __init__(self, d, heads, dropout):
        super().__init__()
        self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.qkv, self.out = torch.nn.Linear(d, 3 * d), torch.nn.Linear(d, d)
        self.ffn1, self.ffn2 = torch.nn.Linear(d, d), torch.nn.Linear(d, d)
        self.heads, self.dropout = heads, dropout

    def forward(self, x, key_mask):
        b, n, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        shape = (b, n, self.heads, d // self.heads)
        q, k, v = (t.view(shape).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        causal = torch.ones(n, n, dtype=torch.bool).triu(1)
        masked = causal[None, None] | ~key_mask[:, None, None, :]
        scores = scores.masked_fill(masked, -1e9)
        weights = F.dropout(torch.softmax(scores, -1), self.dropout, self.training)
        weights = weights * (~masked).any(-1, keepdim=True)  # no key: zero output
        ctx = (weights @ v).transpose(1, 2).reshape(b, n, d)
        h = x + F.dropout(self.out(ctx), self.dropout, self.training)
        f = self.ffn2(F.gelu(self.ffn1(self.ln2(h))))
        return h + F.dropout(f, self.dropout, self.training)


class Model(torch.nn.Module):
    def __init__(self, items, d, length, blocks, heads, dropout):
        super().__init__()
        self.items = torch.nn.Embedding(items + 1, d, padding_idx=0)
        torch.nn.init.normal_(self.items.weight, 0, 1 / math.sqrt(d))
        with torch.no_grad():
            self.items.weight[0].zero_()
        self.bias = torch.nn.Parameter(torch.zeros(items + 1))
        self.position = torch.nn.Parameter(torch.randn(length, d) / math.sqrt(d))
        self.blocks = torch.nn.ModuleList(Block(d, heads, dropout) for _ in range(blocks))
        self.ln = torch.nn.LayerNorm(d)
        self.d, self.dropout = d, dropout

    def forward(self, ctx):
        mask = ctx != 0
        x = self.items(ctx) * math.sqrt(self.d) + self.position
        x = F.dropout(x, self.dropout, self.training)
        for block in self.blocks:
            x = block(x, mask)
        return self.ln(x)

    def logits(self, users):
        return users @ self.items.weight[1:].T + self.bias[1:]


def evaluate(model, sequences, length, offset):
    """HR@10, NDCG@10 of each user's item at len - offset, history before it, seen excluded."""
    model.eval()
    hits = ndcg = 0.0
    with torch.no_grad():
        for start in range(0, len(sequences), 256):
            chunk = sequences[start:start + 256]
            ctx = torch.zeros(len(chunk), length, dtype=torch.long)
            for b, seq in enumerate(chunk):
                hist = seq[:len(seq) - offset][-length:]
                ctx[b, length - len(hist):] = torch.tensor(hist)
            scores = model.logits(model(ctx)[:, -1])
            for b, seq in enumerate(chunk):
                target = seq[len(seq) - offset] - 1
                seen = [i - 1 for i in seq[:len(seq) - offset] if i - 1 != target]
                row = scores[b]
                row[seen] = -float("inf")
                rank = int((row > row[target]).sum())
                if rank < 10:
                    hits += 1
                    ndcg += 1 / math.log2(rank + 2)
    model.train()
    return hits / len(sequences), ndcg / len(sequences)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("data")
    p.add_argument("--length", type=int, default=200)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--blocks", type=int, default=2)
    p.add_argument("--heads", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--batch", type=int, default=108)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--steps", type=int, default=0, help="stop each epoch after this many steps")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-eval", action="store_true", help="speed only: skip the per-epoch metrics")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    sequences, items = read_sequences(a.data)
    units = windows(sequences, a.length)
    model = Model(items, a.dim, a.length, a.blocks, a.heads, a.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {len(sequences)} users, "
          f"{items} items, {len(units)} windows of L={a.length}", flush=True)
    for epoch in range(1, a.epochs + 1):
        random.shuffle(units)
        targets, started = 0, time.perf_counter()
        steps = range(0, len(units), a.batch)
        for n, start in enumerate(steps):
            if a.steps and n >= a.steps:
                break
            ctx, tgt = window_batch(sequences, units[start:start + a.batch], a.length)
            out = model(ctx)
            keep = tgt != 0
            loss = F.cross_entropy(model.logits(out[keep]), tgt[keep] - 1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            targets += int(keep.sum())
        seconds = time.perf_counter() - started
        if a.no_eval:
            print(f"epoch {epoch}: {targets / seconds:.0f} targets/s ({seconds:.1f} s, {n} steps)",
                  flush=True)
            continue
        valid = evaluate(model, sequences, a.length, 2)
        test = evaluate(model, sequences, a.length, 1)
        print(f"epoch {epoch}: {targets / seconds:.0f} targets/s ({seconds:.1f} s), loss "
              f"{loss.item():.4f}, valid HR@10 {valid[0]:.4f} NDCG@10 {valid[1]:.4f}, "
              f"test HR@10 {test[0]:.4f} NDCG@10 {test[1]:.4f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
