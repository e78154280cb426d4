"""Dev script: the PyTorch side of issue 9's comparisons, measured on THIS machine (not part of `npm test`).

Times, with torchvision's ResNet-50 / MobileNetV2 / ViT-B/16 (random weights, eval mode, 224x224, torch threads = 2):
  forward          model(x) under no_grad
  gradcam          what pytorch-grad-cam's GradCAM does per call: forward with an activation hook and a gradient
                   hook on the target layer, model.zero_grad(), loss.backward() (weight gradients included, as the
                   library leaves requires_grad on), channel weights = spatial mean of the gradient, ReLU'd weighted
                   sum, min-max and bilinear resize to the input size (ViT-B/16: layer encoder.layers[-1].ln_1 with
                   pytorch-grad-cam's vit_reshape_transform, class token dropped, 14x14 grid)
  saliency         what Captum's Saliency does: torch.autograd.grad of the target logit w.r.t. the input, abs
  ig50             Captum IntegratedGradients, 50 Gauss-Legendre steps in one internal batch of 50
Prints the medians and writes bench/pytorch-local.json, which `lumen bench` then uses (labelled "this machine")
next to the figures quoted in the issue. Usage: /usr/bin/python3 scripts/bench_pytorch.py [--repeats 7] [--models vit_b_16]
"""
import argparse
import json
import os
import platform
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

torch.set_num_threads(2)
torch.manual_seed(0)


def timed(fn, repeats):
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), samples


def vit_reshape_transform(t, height=14, width=14):
    # pytorch-grad-cam's documented ViT transform: drop the class token, tokens -> grid, channels first
    return t[:, 1:, :].reshape(t.size(0), height, width, t.size(2)).permute(0, 3, 1, 2)


def gradcam(model, layer, x, target, reshape=None):
    store = {}

    def fwd_hook(_m, _i, out):
        store['a'] = out.detach()
        out.register_hook(lambda g: store.__setitem__('g', g.detach()))

    handle = layer.register_forward_hook(fwd_hook)
    try:
        out = model(x)
        model.zero_grad()
        out[:, target].sum().backward(retain_graph=True)
    finally:
        handle.remove()
    a, g = store['a'], store['g']
    if reshape:
        a, g = reshape(a), reshape(g)
    cam = F.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(1, keepdim=True))
    cam = cam - cam.amin(dim=(2, 3), keepdim=True)
    cam = cam / (cam.amax(dim=(2, 3), keepdim=True) + 1e-7)
    return F.interpolate(cam, size=x.shape[-2:], mode='bilinear', align_corners=False)


def saliency(model, x, target):
    x = x.clone().requires_grad_()
    out = model(x)
    (g,) = torch.autograd.grad(out[:, target].sum(), x)
    return g.abs()


def integrated_gradients(model, x, target, steps=50):
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    alphas = 0.5 * (1 + nodes)
    pts = torch.cat([a * x for a in alphas]).requires_grad_()
    out = model(pts)
    (g,) = torch.autograd.grad(out[:, target].sum(), pts)
    w = torch.tensor(0.5 * weights, dtype=g.dtype).view(steps, 1, 1, 1)
    return (g * w).sum(0, keepdim=True) * x


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--out', default='bench/pytorch-local.json')
    parser.add_argument('--models', default='resnet50,mobilenet_v2,vit_b_16', help='comma-separated subset')
    args = parser.parse_args()
    results = {'date': time.strftime('%Y-%m-%dT%H:%M:%S'), 'torch': torch.__version__, 'threads': torch.get_num_threads(),
               'cpu': platform.processor() or platform.machine(), 'loadavg': os.getloadavg(), 'ms': {}}
    builders = {'resnet50': (torchvision.models.resnet50, lambda m: m.layer4[-1], None),
                'mobilenet_v2': (torchvision.models.mobilenet_v2, lambda m: m.features[-1], None),
                'vit_b_16': (torchvision.models.vit_b_16, lambda m: m.encoder.layers[-1].ln_1, vit_reshape_transform)}
    for name, (build, layer_of, reshape) in builders.items():
        if name not in args.models.split(','):
            continue
        model = build().eval()
        for p in model.parameters():
            p.requires_grad_(True)
        x = torch.randn(1, 3, 224, 224)
        with torch.no_grad():
            target = int(model(x).argmax())
        calls = {
            'forward': lambda: torch.no_grad()(model)(x),
            'gradcam': lambda: gradcam(model, layer_of(model), x, target, reshape),
            'saliency': lambda: saliency(model, x, target),
        }
        if name == 'resnet50':
            calls['ig50'] = lambda: integrated_gradients(model, x, target)
        for what, fn in calls.items():
            med, samples = timed(fn, args.repeats if what != 'ig50' else max(3, args.repeats // 2))
            results['ms'].setdefault(what, {})[name] = {'1': med}
            print(f'{name} b1 {what}: {med:.1f} ms (samples {", ".join(f"{s:.0f}" for s in samples)})', flush=True)
    results['loadavgEnd'] = os.getloadavg()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(results, f, indent=1)
    print(f'written {args.out}')


if __name__ == '__main__':
    main()
