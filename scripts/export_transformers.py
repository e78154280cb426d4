#!/usr/bin/env python3
"""Dev script (not run by the tests): export torchvision vision transformers to ONNX with reference outputs.

  /usr/bin/python3 scripts/export_transformers.py tiny   # -> test/fixtures/transformers/ (committed, small)
  /usr/bin/python3 scripts/export_transformers.py full   # -> .cache/transformers/ (gitignored; vit_b_16 is ~330 MB)

tiny: small-width instances of the same torchvision classes (VisionTransformer, SwinTransformer, MaxVit, ConvNeXt),
seeded random weights, opset 17, dynamic batch. For each: input.npy (2 seeded images), saliency.npy (signed
d logit[top1] / d input per image, PyTorch autograd = Captum Saliency(abs=False)) and logits.npy. For the ViT also
the attention maps (attention probabilities read by re-running each attention block with its own weights, checked
equal to the exported model's logits) and two attention explanations computed from them in numpy:
  rollout.npy          Abnar & Zuidema 2020: A_l = fuse_heads(attn_l); drop the lowest discard_ratio of each A_l
                       (never the class-token self entry); A_l = (A_l + I)/2; rows renormalised; R = A_L ... A_1;
                       map = R[class token, patch tokens] over the patch grid (head fusion 'mean', discard 0, and
                       'max' with discard 0.5 in rollout_max_d05.npy)
  relevance.npy        Chefer, Gur & Wolf (ICCV 2021 generic form): R = I; R += mean_h(relu(dY/dA_l * A_l)) R per block;
                       map = R[class token, patch tokens]
Both are [N, gh, gw], not normalised, not upsampled.
full: torchvision vit_b_16, swin_t, maxvit_t, convnext_tiny at their default (random) initialisation.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.models.convnext import CNBlockConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def redraw_head(linear, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        linear.weight.copy_(torch.randn(linear.weight.shape, generator=g) * (4.0 / linear.in_features ** 0.5))
        linear.bias.zero_()


def tiny_models():
    torch.manual_seed(3000)
    vit = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10)
    redraw_head(vit.heads.head, 3001)
    # 48x48 -> a 12x12 token map, then 6x6 after merging: window 4 does not divide 6, so the second stage pads
    torch.manual_seed(3002)
    swin = torchvision.models.SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4], stochastic_depth_prob=0.0, num_classes=10)
    torch.manual_seed(3003)
    maxvit = torchvision.models.MaxVit(input_size=(32, 32), stem_channels=8, partition_size=2, block_channels=[16, 32], block_layers=[1, 1], head_dim=8, stochastic_depth_prob=0.0, num_classes=10)
    torch.manual_seed(3004)
    # layer_scale 1 (torchvision's default 1e-6 leaves random blocks almost the identity)
    convnext = torchvision.models.ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)], stochastic_depth_prob=0.0, layer_scale=1.0, num_classes=10)
    return {'vit': (vit, 32), 'swin': (swin, 48), 'maxvit': (maxvit, 32), 'convnext': (convnext, 32)}


def full_models():
    torch.manual_seed(4000)
    vit = torchvision.models.vit_b_16()
    redraw_head(vit.heads.head, 4001)
    torch.manual_seed(4002)
    swin = torchvision.models.swin_t()
    torch.manual_seed(4003)
    maxvit = torchvision.models.maxvit_t()
    torch.manual_seed(4004)
    convnext = torchvision.models.convnext_tiny()
    return {'vit_b_16': (vit, 224), 'swin_t': (swin, 224), 'maxvit_t': (maxvit, 224), 'convnext_tiny': (convnext, 224)}


def batchnorm_stats(model, size, seed):
    """Give BatchNorm layers (MaxVit) running statistics of seeded noise, so eval-mode activations are not degenerate."""
    if not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()):
        return
    g = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 3, size, size, generator=g))
    model.eval()


def export(model, size, path):
    model.eval()
    x = torch.zeros(1, 3, size, size)
    torch.onnx.export(model, x, path, opset_version=17, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, do_constant_folding=True)


def save(path, a):
    np.save(path, np.ascontiguousarray(a, dtype=np.float32))


def vit_attention(vit, x):
    """Logits, the attention probabilities [N, heads, T, T] of every block and their gradients w.r.t. each row's top1
    logit, by running each encoder block with its attention computed explicitly from the block's own weights."""
    attns = []

    def block_forward(block, inp):
        h = block.ln_1(inp)
        mha = block.self_attention
        n, t, c = h.shape
        heads = mha.num_heads
        qkv = F.linear(h, mha.in_proj_weight, mha.in_proj_bias).reshape(n, t, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = torch.softmax(q @ k.transpose(-2, -1) / (c // heads) ** 0.5, dim=-1)
        a.retain_grad()
        attns.append(a)
        o = (a @ v).transpose(1, 2).reshape(n, t, c)
        o = F.linear(o, mha.out_proj.weight, mha.out_proj.bias)
        y = inp + o
        return y + block.mlp(block.ln_2(y))

    n = x.shape[0]
    t = vit._process_input(x)
    t = torch.cat([vit.class_token.expand(n, -1, -1), t], dim=1)
    enc = vit.encoder
    t = t + enc.pos_embedding
    for block in enc.layers:
        t = block_forward(block, t)
    t = enc.ln(t)
    logits = vit.heads(t[:, 0])
    top = logits.argmax(1)
    logits.gather(1, top[:, None]).sum().backward()
    return logits.detach(), [a.detach().numpy() for a in attns], [a.grad.numpy() for a in attns]


def rollout(attns, fusion='mean', discard=0.0):
    n, _, t, _ = attns[0].shape
    out = []
    for i in range(n):
        r = np.eye(t)
        for a in attns:
            f = {'mean': a[i].mean(0), 'max': a[i].max(0), 'min': a[i].min(0)}[fusion].astype(np.float64)
            if discard > 0:
                flat = f.reshape(-1).copy()
                k = int(flat.size * discard)
                idx = np.argsort(flat, kind='stable')[:k]
                idx = idx[idx != 0]
                flat[idx] = 0
                f = flat.reshape(t, t)
            f = (f + np.eye(t)) / 2
            f = f / f.sum(-1, keepdims=True)
            r = f @ r
        out.append(r[0, 1:])
    return np.stack(out)


def relevance(attns, grads):
    n, _, t, _ = attns[0].shape
    out = []
    for i in range(n):
        r = np.eye(t)
        for a, g in zip(attns, grads):
            cam = np.clip(g[i].astype(np.float64) * a[i], 0, None).mean(0)
            r = r + cam @ r
        out.append(r[0, 1:])
    return np.stack(out)


def tiny():
    out_dir = os.path.join(ROOT, 'test', 'fixtures', 'transformers')
    os.makedirs(out_dir, exist_ok=True)
    for k, (name, (model, size)) in enumerate(tiny_models().items()):
        batchnorm_stats(model, size, 3100 + k)
        model.eval()
        d = os.path.join(out_dir, name)
        os.makedirs(d, exist_ok=True)
        export(model, size, os.path.join(d, 'model.onnx'))
        g = torch.Generator().manual_seed(3200 + k)
        x = torch.randn(2, 3, size, size, generator=g)
        xg = x.clone().requires_grad_(True)
        logits = model(xg)
        top = logits.argmax(1)
        logits.gather(1, top[:, None]).sum().backward()
        save(os.path.join(d, 'input.npy'), x.numpy())
        save(os.path.join(d, 'logits.npy'), logits.detach().numpy())
        save(os.path.join(d, 'saliency.npy'), xg.grad.numpy())
        print(name, 'top1', top.tolist(), 'saliency max', float(xg.grad.abs().max()))
        if name == 'vit':
            with torch.no_grad():
                ref = model(x)
            vl, attns, grads = vit_attention(model, x)
            err = float((vl - ref).abs().max())
            assert err < 1e-5, f'explicit attention re-run differs from the model: {err}'
            grid = size // 8
            save(os.path.join(d, 'rollout.npy'), rollout(attns).reshape(2, grid, grid))
            save(os.path.join(d, 'rollout_max_d05.npy'), rollout(attns, 'max', 0.5).reshape(2, grid, grid))
            save(os.path.join(d, 'relevance.npy'), relevance(attns, grads).reshape(2, grid, grid))
            print('  attention re-run max|logit diff|', err)


def full():
    out_dir = os.path.join(ROOT, '.cache', 'transformers')
    os.makedirs(out_dir, exist_ok=True)
    for k, (name, (model, size)) in enumerate(full_models().items()):
        batchnorm_stats(model, size, 4100 + k)
        path = os.path.join(out_dir, f'{name}.onnx')
        export(model, size, path)
        print(name, os.path.getsize(path) // 1_000_000, 'MB')


if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else 'tiny'
    {'tiny': tiny, 'full': full}[what]()
