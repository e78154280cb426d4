"""Shared pieces of Lumen's dev training scripts (train_fashion.py, train_shapes.py, train_shapes_objects.py).

conv_block: the CNNs' Conv-BN-ReLU block. fit: AdamW (weight decay 1e-4) with a one-cycle learning rate, shuffled
mini-batches drawn from a generator seeded with `seed` (independent of torch's global RNG, which the caller seeds
before building the model).
"""
import time

import torch
import torch.nn as nn


def conv_block(cin, cout):
    """Conv 3×3 (no bias) → BatchNorm → ReLU, as a list of modules."""
    # A separate ReLU module per activation (not inplace) so every activation is its own ONNX tensor.
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def fit(model, n, loss_fn, epochs, lr, batch, seed, log="", note=None):
    """Train `model` on `n` examples: `loss_fn(idx)` is the mean loss of the examples `idx` (a tensor of indices).

    Prints one line per epoch, `<log>epoch k: loss <mean><note()> (<seconds>s)`; `note` (optional) returns text such
    as " val acc 0.9800", computed after the epoch.
    """
    gen = torch.Generator().manual_seed(seed)
    steps = epochs * ((n + batch - 1) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            loss = loss_fn(idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        extra = note() if note else ""
        print(f"{log}epoch {epoch + 1}: loss {total / n:.4f}{extra} ({time.time() - t0:.0f}s)", flush=True)
