#!/usr/bin/env python3
"""Train the "spot the shortcut" models on the synthetic shapes dataset (src/datasets/shapes.ts).

Dev-only script. First generate the data, then train (1 CPU thread, a few minutes per model):

    npx tsx scripts/gen-shapes.ts
    /usr/bin/python3 scripts/train_shapes.py            # both models
    /usr/bin/python3 scripts/train_shapes.py --only clean|shortcut

models/shapes-clean.onnx     trained without any marker.
models/shapes-shortcut.onnx  trained with a class-coding marker in the top-left corner of EVERY image
                             (perfectly correlated with the label), so it can solve the task by reading
                             the marker instead of the shape.
Both are evaluated on validation sets rendered from the same pictures with no marker, a consistent
marker and a swapped marker, and on the committed test split samples/shapes (50 consistent, 50 swapped).
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from lumen_onnx import export_onnx, write_json
from lumen_train import conv_block, fit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, ".cache", "shapes")
CLASSES = ["circle", "square", "triangle", "star", "cross"]
# 'unit' normalization: x = u8 / 255 (mean 0, std 1 per channel).
NORMALIZATION = {"mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}
SEED = 4321


def load(name):
    images = np.load(os.path.join(CACHE, f"{name}-images.npy"))
    labels = np.load(os.path.join(CACHE, f"{name}-labels.npy")).astype(np.int64)
    markers = np.load(os.path.join(CACHE, f"{name}-markers.npy")).astype(np.int64)
    return images, labels, markers


def load_test_split():
    from PIL import Image
    folder = os.path.join(ROOT, "samples", "shapes")
    with open(os.path.join(folder, "split.json")) as f:
        split = json.load(f)
    images = np.stack([np.asarray(Image.open(os.path.join(folder, e["file"])).convert("RGB")) for e in split["images"]])
    labels = np.array([e["label"] for e in split["images"]], dtype=np.int64)
    markers = np.array([e["marker"]["classIndex"] for e in split["images"]], dtype=np.int64)
    return images, labels, markers


def to_input(u8):
    """uint8 N×H×W×3 -> float N×3×H×W in [0, 1] ('unit' normalization)."""
    return torch.from_numpy(u8.astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()


class ShapesCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *conv_block(3, 16), nn.MaxPool2d(2),    # 32×32
            *conv_block(16, 32), nn.MaxPool2d(2),   # 16×16
            *conv_block(32, 64), nn.MaxPool2d(2),   # 8×8
            *conv_block(64, 64),                    # last conv block: the CAM layer (8×8)
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(64, len(CLASSES))

    def forward(self, x):
        return self.classifier(self.flatten(self.pool(self.features(x))))


def predict(model, x, batch=500):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)]).numpy()


def report(model, sets):
    """Accuracy per evaluation set, plus how often the prediction follows the marker where there is one."""
    out = {}
    for name, (images, labels, markers) in sets.items():
        pred = predict(model, to_input(images))
        entry = {"accuracy": round(float((pred == labels).mean()), 4), "n": int(len(labels))}
        has_marker = markers != 255
        if has_marker.any():
            entry["followsMarker"] = round(float((pred[has_marker] == markers[has_marker]).mean()), 4)
        out[name] = entry
    return out


def train(train_set, val_set, epochs, log_prefix, make_model=None, lr=3e-3, seed=SEED):
    """make_model: the network to train (default ShapesCNN), built after seeding (scripts/train_shortcut_vit.py)."""
    torch.manual_seed(seed)
    images, labels, _ = train_set
    x, y = to_input(images), torch.from_numpy(labels)
    xv, yv = to_input(val_set[0]), val_set[1]
    model = make_model() if make_model else ShapesCNN()
    fit(model, len(x), lambda idx: F.cross_entropy(model(x[idx]), y[idx]), epochs, lr, 64, seed, log=f"{log_prefix} ",
        note=lambda: f" val acc {float((predict(model, xv) == yv).mean()):.4f}")
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["clean", "shortcut"])
    ap.add_argument("--epochs", type=int, help="default: 8 for clean, 4 for shortcut (it is at 100%% after one)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    test_images, test_labels, test_markers = load_test_split()
    consistent = test_markers == test_labels
    eval_sets = {
        "val-clean": load("val-clean"),
        "val-consistent": load("val-consistent"),
        "val-swapped": load("val-swapped"),
        "test-consistent": (test_images[consistent], test_labels[consistent], test_markers[consistent]),
        "test-swapped": (test_images[~consistent], test_labels[~consistent], test_markers[~consistent]),
        "test-all": (test_images, test_labels, test_markers),
    }

    variants = {
        "clean": ("train-clean", "val-clean", 8, "no marker in training"),
        "shortcut": ("train-shortcut", "val-consistent", 4, "class-coding marker in every training image (consistent with the label)"),
    }
    for variant, (train_name, val_name, default_epochs, training_note) in variants.items():
        if args.only and args.only != variant:
            continue
        model = train(load(train_name), eval_sets[val_name], args.epochs or default_epochs, variant)
        results = report(model, eval_sets)
        for name, r in results.items():
            print(f"  {variant} {name:16s} {r}")
        path = os.path.join(ROOT, "models", f"shapes-{variant}.onnx")
        meta = {
            "classes": CLASSES,
            "normalization": NORMALIZATION,
            "testAccuracy": results["test-all"]["accuracy"],
            "dataset": "spot-the-shortcut shapes (src/datasets/shapes.ts)",
        }
        default_layer = export_onnx(model, path, (1, 3, 64, 64), meta)
        write_json(os.path.join(ROOT, "models", f"shapes-{variant}.json"), {
            "classes": CLASSES,
            "normalization": NORMALIZATION,
            "normalizationPreset": "unit",
            "defaultLayer": default_layer,
            "testAccuracy": results["test-all"]["accuracy"],
            "training": training_note,
            "evaluation": results,
            "input": {"name": "input", "shape": ["batch", 3, 64, 64], "layout": "NCHW", "dtype": "float32"},
            "output": {"name": "logits", "shape": ["batch", len(CLASSES)], "kind": "logits"},
            "source": "scripts/train_shapes.py",
        })
        print(f"  {variant}: default layer {default_layer}, {os.path.getsize(path)} bytes")
        # Reference logits for the onnxruntime parity check (scripts/check-onnx-parity.ts).
        with torch.no_grad():
            ref = model(to_input(test_images[:4])).numpy()
        os.makedirs(os.path.join(ROOT, ".cache"), exist_ok=True)
        with open(os.path.join(ROOT, ".cache", f"shapes-{variant}-parity.json"), "w") as f:
            json.dump({"shape": [4, 3, 64, 64], "u8_nhwc": test_images[:4].reshape(-1).tolist(), "logits": ref.tolist()}, f)


if __name__ == "__main__":
    main()
