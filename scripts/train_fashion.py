#!/usr/bin/env python3
"""Train Lumen's bundled Fashion-MNIST CNN and export it to models/fashion-cnn.onnx.

Dev-only script (the product never runs Python). Needs Debian's python3-torch, python3-onnx,
dataset-fashion-mnist and python3-pil (for the sample PNGs):

    /usr/bin/python3 scripts/train_fashion.py            # train + export + samples (1 CPU thread; ~10 min on an idle core)

Outputs: models/fashion-cnn.onnx, models/fashion-cnn.json (sidecar), samples/fashion/*.png + labels.json.
"""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from lumen_onnx import export_onnx, write_json
from lumen_train import conv_block, fit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
MEAN, STD = 0.2860, 0.3530
SEED = 1234


def read_idx(path):
    """Read a gzipped IDX file (MNIST format) into a uint8 numpy array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(name):
    prefix = "train" if name == "train" else "t10k"
    images = read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    return images, labels.astype(np.int64)


def to_input(u8):
    """uint8 N×28×28 -> normalized float N×1×28×28, exactly as Lumen preprocesses it."""
    x = torch.from_numpy(u8.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - MEAN) / STD


class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *conv_block(1, 32),            # 28×28
            nn.MaxPool2d(2),               # 14×14
            *conv_block(32, 64),
            *conv_block(64, 64),
            nn.MaxPool2d(2),               # 7×7
            *conv_block(64, 128),          # last conv block: the CAM / Grad-CAM layer
        )
        self.pool = nn.AdaptiveAvgPool2d(1)  # exported as GlobalAveragePool
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(128, 10)

    def forward(self, x):
        return self.classifier(self.flatten(self.pool(self.features(x))))


def evaluate(model, x, y, batch=1000):
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            preds.append(model(x[i:i + batch]).argmax(1))
    preds = torch.cat(preds)
    acc = (preds == y).float().mean().item()
    per_class = [(preds[y == c] == c).float().mean().item() for c in range(10)]
    return acc, per_class, preds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    np.random.seed(SEED)

    train_u8, train_y = load_split("train")
    test_u8, test_y = load_split("test")
    x_train, y_train = to_input(train_u8), torch.from_numpy(train_y)
    x_test, y_test = to_input(test_u8), torch.from_numpy(test_y)

    model = FashionCNN()
    fit(model, len(x_train), lambda idx: F.cross_entropy(model(x_train[idx]), y_train[idx]), args.epochs, 3e-3, 128, SEED,
        note=lambda: f" test acc {evaluate(model, x_test, y_test)[0]:.4f}")

    acc, per_class, preds = evaluate(model, x_test, y_test)
    print("test accuracy", round(acc, 4))
    for c, a in zip(CLASSES, per_class):
        print(f"  {c:12s} {a:.4f}")

    os.makedirs(os.path.join(ROOT, "models"), exist_ok=True)
    onnx_path = os.path.join(ROOT, "models", "fashion-cnn.onnx")
    meta = {
        "classes": CLASSES,
        "normalization": {"mean": [MEAN], "std": [STD]},
        "testAccuracy": round(acc, 4),
    }
    default_layer = export_onnx(model, onnx_path, (1, 1, 28, 28), meta)
    sidecar = {
        "classes": CLASSES,
        "normalization": {"mean": [MEAN], "std": [STD]},
        "defaultLayer": default_layer,
        "testAccuracy": round(acc, 4),
        "perClassAccuracy": {c: round(a, 4) for c, a in zip(CLASSES, per_class)},
        "input": {"name": "input", "shape": ["batch", 1, 28, 28], "layout": "NCHW", "dtype": "float32"},
        "output": {"name": "logits", "shape": ["batch", 10], "kind": "logits"},
        "source": "scripts/train_fashion.py",
    }
    write_json(os.path.join(ROOT, "models", "fashion-cnn.json"), sidecar)
    print("default layer", default_layer, "size", os.path.getsize(onnx_path), "bytes")

    # Sample images: the first correctly classified test image of each class.
    from PIL import Image
    sample_dir = os.path.join(ROOT, "samples", "fashion")
    os.makedirs(sample_dir, exist_ok=True)
    labels = {}
    for c, name in enumerate(CLASSES):
        slug = name.lower().replace("/", "-").replace(" ", "-").replace("t-shirt", "tshirt")
        idx = next(i for i in range(len(test_y)) if test_y[i] == c and preds[i] == c)
        fname = f"{c}-{slug}.png"
        Image.fromarray(test_u8[idx], mode="L").save(os.path.join(sample_dir, fname))
        labels[fname] = c
        print(f"  sample {fname}: test index {idx}")
    with open(os.path.join(sample_dir, "labels.json"), "w") as f:
        json.dump(labels, f, indent=2)
        f.write("\n")

    # Reference logits for the parity check against onnxruntime (scripts/check-onnx-parity.ts).
    check = test_u8[:8]
    with torch.no_grad():
        ref = model(to_input(check)).numpy()
    ref_path = os.path.join(ROOT, ".cache", "fashion-parity.json")
    os.makedirs(os.path.dirname(ref_path), exist_ok=True)
    with open(ref_path, "w") as f:
        json.dump({"shape": [8, 1, 28, 28], "u8": check.reshape(-1).tolist(), "logits": ref.tolist(),
                   "mean": [MEAN], "std": [STD]}, f)


if __name__ == "__main__":
    main()
