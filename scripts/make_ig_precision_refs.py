"""Dev script (issue 25): inputs and float64 Integrated Gradients references for test/methods/gradient/ig-precision.test.ts.

Photos from scikit-image's data folder (Debian python3-skimage: /usr/lib/python3/dist-packages/skimage/data, or
`apt-get download python3-skimage` and `dpkg-deb -x`), prepared as conformance/inputs/chelsea64.npy: centre square
crop, PIL bilinear resize to 64x64, ImageNet normalization in float32. For each photo and each quadrature rule,
Captum's IG arithmetic in PyTorch float64 on conformance/models/tiny_mobilenet.onnx (scripts/ig_reference_probe.py:
double path points, float32 step sizes), target 0, 32 steps, zeros baseline; saved as float32.
Usage: /usr/bin/python3 scripts/make_ig_precision_refs.py SKIMAGE_DATA_DIR
"""
import os, sys
import numpy as np, torch
from PIL import Image
sys.path.insert(0, os.path.dirname(__file__))
from ig_reference_probe import ig

OUT = 'test/fixtures/ig-precision'
PHOTOS = ['coffee', 'astronaut', 'motorcycle_left']
RULES = ['gausslegendre', 'riemann_trapezoid', 'riemann_left', 'riemann_right', 'riemann_middle']
MEAN, STD = np.float32([0.485, 0.456, 0.406]), np.float32([0.229, 0.224, 0.225])

def prepare(path):
    im = Image.open(path).convert('RGB')
    w, h = im.size; s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    im = im.crop((left, top, left + s, top + s)).resize((64, 64), Image.BILINEAR)
    u = np.asarray(im, dtype=np.uint8).astype(np.float32) / np.float32(255)
    return ((u - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)

torch.set_num_threads(2)
os.makedirs(OUT, exist_ok=True)
for photo in PHOTOS:
    x = prepare(f'{sys.argv[1]}/{photo}.png')
    np.save(f'{OUT}/{photo}64.npy', x)
    for rule in RULES:
        a, _ = ig('conformance/models/tiny_mobilenet.onnx', torch.tensor(x), 0, rule, torch.float64)
        np.save(f'{OUT}/ig64_{photo}_{rule}.npy', a.astype(np.float32))
        print(photo, rule, float(np.abs(a).max()), flush=True)
