#!/usr/bin/env python3
"""Train a small vision transformer on the "spot the shortcut" shapes with the class-coding marker (dev script).

    npx tsx scripts/gen-shapes.ts                   # the training/validation splits in .cache/shapes
    /usr/bin/python3 scripts/train_shortcut_vit.py   # -> test/fixtures/transformers/shortcut-vit/model.onnx (+ .json)

torchvision VisionTransformer(image_size=64, patch_size=8, 3 layers, 4 heads, hidden 48, MLP 96, 5 classes): an 8×8
patch grid plus a class token. Trained like scripts/train_shapes.py's shortcut model (the marker in the top-left
corner, box [2, 2, 8, 8] = inside patch (0, 0), agrees with the label in every training image), so it can read the
marker instead of the shape; the evaluation on swapped markers says whether it does. test/methods/attention-shortcut.test.ts
checks that the attention methods point at the marker's patch.
"""
import os

import torch
import torchvision

from train_shapes import CLASSES, NORMALIZATION, load, load_test_split, report, train
from lumen_onnx import write_json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 4322


def main():
    torch.set_num_threads(1)
    out = os.path.join(ROOT, 'test', 'fixtures', 'transformers', 'shortcut-vit')

    def make_model():
        return torchvision.models.VisionTransformer(image_size=64, patch_size=8, num_layers=3, num_heads=4, hidden_dim=48, mlp_dim=96, num_classes=len(CLASSES))

    model = train(load('train-shortcut'), load('val-consistent'), 2, 'vit', make_model=make_model, lr=2e-3, seed=SEED)
    model.eval()
    test_images, test_labels, test_markers = load_test_split()
    consistent = test_markers == test_labels
    results = report(model, {
        'val-clean': load('val-clean'),
        'val-swapped': load('val-swapped'),
        'test-consistent': (test_images[consistent], test_labels[consistent], test_markers[consistent]),
        'test-swapped': (test_images[~consistent], test_labels[~consistent], test_markers[~consistent]),
    })
    for name, r in results.items():
        print(f'  {name:16s} {r}')
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, 'model.onnx')
    torch.onnx.export(model, torch.zeros(1, 3, 64, 64), path, opset_version=17, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    write_json(os.path.join(out, 'model.json'), {
        'classes': CLASSES,
        'normalization': NORMALIZATION,
        'normalizationPreset': 'unit',
        'training': 'spot-the-shortcut shapes with a class-coding marker in every training image (scripts/train_shortcut_vit.py)',
        'evaluation': results,
    })
    print(f'{path}: {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
