#!/usr/bin/env python3
"""Dev script (not run by the tests): torchvision CNNs exported to ONNX the way users export them, with PyTorch refs.

  /usr/bin/python3 scripts/export_torchvision.py tiny    # -> test/fixtures/torchvision/ (committed, small)
  /usr/bin/python3 scripts/export_torchvision.py sweep   # -> .cache/torchvision/ (gitignored; full-size networks)
  /usr/bin/python3 scripts/export_torchvision.py floor   # the sweep networks' float64 input gradients (PyTorch's own
                                                         # float32 error: the noise floor of the Saliency comparison)

tiny: small-width instances of torchvision classes (ShuffleNetV2: channel shuffle, Split, x.view with the batch;
RegNet: grouped convs, residuals, squeeze-excitation; MobileNetV3-small: Hardswish, Hardsigmoid SE gates), seeded
random weights (BatchNorm statistics too, so BN is not the identity), input 64x64, exported by torch.onnx.export
at opsets 7 (IR 3: weights listed as graph inputs), 9, 11, 13 and 17, each with a dynamic batch (dynamic_axes) and
with the batch fixed at 1 (the plain call, constant folding on: Reshape targets bake the 1 in). For each network:
input.npy (2 seeded images), logits.npy and saliency.npy (signed d logit[top1] / d input per image: PyTorch autograd,
= Captum Saliency(abs=False)).

sweep: ~20 torchvision architectures at their real widths, random weights (BatchNorm statistics calibrated on random
images, so the output depends on the input), input 128x128 (224 for VGG/AlexNet, whose
adaptive pooling torch exports only where it divides the map; googlenet and inception without aux heads; VGG/AlexNet
with the 4096-wide classifier reduced to 64 units so the files stay ~40 MB), opset 13
with a dynamic batch and opset 11 with the batch fixed at 1, with the same three references. scripts/sweep_torchvision.ts
runs Lumen on them.
"""
import json
import os
import sys

import numpy as np
import torch
import torchvision
from torchvision.models.mobilenetv3 import MobileNetV3, _mobilenet_v3_conf
from torchvision.models.regnet import BlockParams

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPSETS = [7, 9, 11, 13, 17]


def randomize_bn(model, seed):
    """Random BatchNorm statistics and affine parameters (default ones make BN the identity at eval)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))
                m.weight.copy_(1 + 0.2 * torch.randn(c, generator=g))
                m.bias.copy_(0.1 * torch.randn(c, generator=g))


def calibrate_bn(model, size, seed):
    """BatchNorm statistics of the network's own activations on random images (training-mode passes, cumulative
    average): with arbitrary statistics a deep random network's signal dies out and its output ignores the input."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    if not bns:
        return
    g = torch.Generator().manual_seed(seed)
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 3, size, size, generator=g))
    model.eval()


def redraw_linears(model, seed):
    """Classifier layers with unit-scale outputs (torchvision's N(0, 0.01) init gives near-zero logits)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / m.in_features ** 0.5))
                m.bias.zero_()


def tiny_models():
    out = {}
    torch.manual_seed(5000)
    out['shufflenet_v2'] = torchvision.models.ShuffleNetV2([1, 1, 1], [8, 16, 32, 64, 64], num_classes=10)
    torch.manual_seed(5001)
    out['regnet'] = torchvision.models.RegNet(BlockParams.from_init_params(depth=4, w_0=8, w_a=8.0, w_m=2.0, group_width=8, se_ratio=0.25), stem_width=8, num_classes=10)
    torch.manual_seed(5002)
    setting, _ = _mobilenet_v3_conf('mobilenet_v3_small', width_mult=0.1)
    out['mobilenet_v3'] = MobileNetV3(setting, 32, num_classes=10)
    for i, m in enumerate(out.values()):
        randomize_bn(m, 6000 + i)
        redraw_linears(m, 7000 + i)
        m.eval()
    return out


def small_head(model, attr):
    """VGG/AlexNet: the same classifier structure with 64 hidden units instead of 4096 (files of ~40 MB, not 500)."""
    old = getattr(model, attr)
    first = [m for m in old if isinstance(m, torch.nn.Linear)][0]
    setattr(model, attr, torch.nn.Sequential(torch.nn.Dropout(), torch.nn.Linear(first.in_features, 64), torch.nn.ReLU(True), torch.nn.Dropout(), torch.nn.Linear(64, 64), torch.nn.ReLU(True), torch.nn.Linear(64, 1000)))
    return model


def sweep_models():
    tv = torchvision.models
    makers = {
        'resnet18': lambda: tv.resnet18(),
        'resnet50': lambda: tv.resnet50(),
        'resnext50_32x4d': lambda: tv.resnext50_32x4d(),
        'wide_resnet50_2': lambda: tv.wide_resnet50_2(),
        'mobilenet_v2': lambda: tv.mobilenet_v2(),
        'mobilenet_v3_small': lambda: tv.mobilenet_v3_small(),
        'mobilenet_v3_large': lambda: tv.mobilenet_v3_large(),
        'squeezenet1_0': lambda: tv.squeezenet1_0(),
        'squeezenet1_1': lambda: tv.squeezenet1_1(),
        'shufflenet_v2_x0_5': lambda: tv.shufflenet_v2_x0_5(),
        'shufflenet_v2_x1_0': lambda: tv.shufflenet_v2_x1_0(),
        'densenet121': lambda: tv.densenet121(),
        'efficientnet_b0': lambda: tv.efficientnet_b0(),
        'efficientnet_v2_s': lambda: tv.efficientnet_v2_s(),
        'regnet_x_400mf': lambda: tv.regnet_x_400mf(),
        'regnet_y_400mf': lambda: tv.regnet_y_400mf(),
        'mnasnet0_5': lambda: tv.mnasnet0_5(),
        'googlenet': lambda: tv.googlenet(aux_logits=False, init_weights=True),
        'inception_v3': lambda: tv.inception_v3(aux_logits=False, init_weights=True),
        'vgg11': lambda: small_head(tv.vgg11(), 'classifier'),
        'vgg16_bn': lambda: small_head(tv.vgg16_bn(), 'classifier'),
        'alexnet': lambda: small_head(tv.alexnet(), 'classifier'),
    }
    return makers


def references(model, x):
    x = x.clone().requires_grad_(True)
    logits = model(x)
    top = logits.argmax(dim=1)
    logits.gather(1, top[:, None]).sum().backward()
    return logits.detach().numpy(), x.grad.numpy(), top.numpy()


def export(model, x, path, opset, dynamic):
    kwargs = dict(input_names=['input'], output_names=['logits'], opset_version=opset, do_constant_folding=True)
    if dynamic:
        kwargs['dynamic_axes'] = {'input': {0: 'batch'}, 'logits': {0: 'batch'}}
    torch.onnx.export(model, x[:1], path, **kwargs)


def main(mode):
    if mode == 'tiny':
        out_dir = os.path.join(ROOT, 'test', 'fixtures', 'torchvision')
        for name, model in tiny_models().items():
            d = os.path.join(out_dir, name)
            os.makedirs(d, exist_ok=True)
            g = torch.Generator().manual_seed(sum(map(ord, name)))  # str hash() is salted per process
            x = torch.randn(2, 3, 64, 64, generator=g)
            logits, sal, top = references(model, x)
            np.save(os.path.join(d, 'input.npy'), x.numpy().astype(np.float32))
            np.save(os.path.join(d, 'logits.npy'), logits.astype(np.float32))
            np.save(os.path.join(d, 'saliency.npy'), sal.astype(np.float32))
            for opset in OPSETS:
                for dynamic in (True, False):
                    export(model, x, os.path.join(d, f'opset{opset}_{"dynamic" if dynamic else "fixed"}.onnx'), opset, dynamic)
            print(name, 'top1', top.tolist())
    elif mode == 'sweep':
        out_dir = os.path.join(ROOT, '.cache', 'torchvision')
        os.makedirs(out_dir, exist_ok=True)
        only = sys.argv[2].split(',') if len(sys.argv) > 2 else None
        index = {}
        for i, (name, make) in enumerate(sweep_models().items()):
            if only and name not in only:
                continue
            torch.manual_seed(8000 + i)
            model = make()
            g = torch.Generator().manual_seed(8500 + i)
            # VGG/AlexNet: torch exports their adaptive average pool only where it divides the feature map (224 px)
            size = 224 if name.startswith(('vgg', 'alexnet')) else 128
            randomize_bn(model, 9000 + i)
            calibrate_bn(model, size, 9200 + i)
            redraw_linears(model, 9500 + i)
            model.eval()
            x = torch.randn(2, 3, size, size, generator=g)
            entry = {}
            try:
                logits, sal, top = references(model, x)
                np.save(os.path.join(out_dir, f'{name}.input.npy'), x.numpy().astype(np.float32))
                np.save(os.path.join(out_dir, f'{name}.logits.npy'), logits.astype(np.float32))
                np.save(os.path.join(out_dir, f'{name}.saliency.npy'), sal.astype(np.float32))
                for opset, dynamic in ((13, True), (11, False)):
                    file = f'{name}.opset{opset}_{"dynamic" if dynamic else "fixed"}.onnx'
                    try:
                        export(model, x, os.path.join(out_dir, file), opset, dynamic)
                        entry[file] = 'exported'
                    except Exception as e:  # noqa: BLE001 (recorded: an export failure is a result of the sweep)
                        entry[file] = f'export failed: {type(e).__name__}: {str(e)[:200]}'
            except Exception as e:  # noqa: BLE001
                entry['error'] = f'{type(e).__name__}: {str(e)[:200]}'
            index[name] = entry
            print(name, entry, flush=True)
        prev = os.path.join(out_dir, 'index.json')
        merged = json.load(open(prev)) if os.path.exists(prev) else {}
        merged.update(index)
        json.dump(merged, open(prev, 'w'), indent=1)
    elif mode == 'floor':
        # PyTorch's own float32 error: the same networks in float64 (saliency64.npy; floor.json: max |g32 - g64| / max |g64|)
        out_dir = os.path.join(ROOT, '.cache', 'torchvision')
        floor = {}
        for i, (name, make) in enumerate(sweep_models().items()):
            torch.manual_seed(8000 + i)
            model = make()
            size = 224 if name.startswith(('vgg', 'alexnet')) else 128
            randomize_bn(model, 9000 + i)
            calibrate_bn(model, size, 9200 + i)
            redraw_linears(model, 9500 + i)
            model.eval()
            x = torch.from_numpy(np.load(os.path.join(out_dir, f'{name}.input.npy')))
            _, g32, _ = references(model, x)
            _, g64, _ = references(model.double(), x.double())
            np.save(os.path.join(out_dir, f'{name}.saliency64.npy'), g64)
            floor[name] = float(np.abs(g32 - g64).max() / np.abs(g64).max())
            print(name, floor[name], flush=True)
        json.dump(floor, open(os.path.join(out_dir, 'floor.json'), 'w'), indent=1)
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else '')
