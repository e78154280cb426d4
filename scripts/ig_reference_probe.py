"""Dev probe (issue 3): can ANY implementation that starts from the ONNX files reproduce Captum's Integrated Gradients
references? Runs Captum's IG arithmetic (same alphas, same step sizes, same float32 interpolation) in PyTorch on the
exported ONNX graphs (BatchNorm folded into the convolutions, as Lumen sees them), in float32 and in float64, and
prints max|ours - ref| / max|ref| and its 99.9th percentile for every IntegratedGradients row of a conformance folder.

Usage: /usr/bin/python3 scripts/ig_reference_probe.py conformance [--save DIR]
  --save DIR  also write the float64 result of every float32-reference row to DIR/ig64_<model>_<method>.npy, which
              `npx tsx scripts/compare-ig-float64.ts DIR` compares with Lumen's float32 and float64 IG
Needs Debian's python3-torch and python3-onnx (dev only; the product and its tests do not use Python).
Result (2026-11-23) and what it means: docs/methods-gradient.md, "Integrated Gradients vs Captum".
"""
import json, sys
import numpy as np, onnx, torch, torch.nn.functional as F
from onnx import numpy_helper

def run(model_path, x, dtype):
    g = onnx.load(model_path).graph
    env = {i.name: torch.tensor(numpy_helper.to_array(i)).to(dtype) if numpy_helper.to_array(i).dtype.kind == 'f' else torch.tensor(numpy_helper.to_array(i)) for i in g.initializer}
    env[g.input[0].name] = x
    for n in g.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
        ins = [env[i] if i else None for i in n.input]
        t = n.op_type
        if t == 'Constant':
            v = numpy_helper.to_array(a['value']); out = torch.tensor(v).to(dtype) if v.dtype.kind == 'f' else torch.tensor(v)
        elif t == 'Conv':
            p = a.get('pads', [0, 0, 0, 0]); xin = ins[0]
            if p[0] != p[2] or p[1] != p[3]:
                xin = F.pad(xin, (p[1], p[3], p[0], p[2])); pad = 0
            else: pad = (p[0], p[1])
            out = F.conv2d(xin, ins[1], ins[2] if len(ins) > 2 else None, stride=a.get('strides', [1, 1]), padding=pad, dilation=a.get('dilations', [1, 1]), groups=a.get('group', 1))
        elif t == 'Relu': out = F.relu(ins[0])
        elif t == 'Clip': out = torch.clamp(ins[0], float(ins[1]), float(ins[2]))
        elif t == 'MaxPool':
            p = a.get('pads', [0, 0, 0, 0])
            out = F.max_pool2d(ins[0], a['kernel_shape'], a.get('strides', a['kernel_shape']), (p[0], p[1]), ceil_mode=bool(a.get('ceil_mode', 0)))
        elif t == 'GlobalAveragePool': out = ins[0].mean(dim=(2, 3), keepdim=True)
        elif t == 'Flatten': out = ins[0].flatten(1)
        elif t == 'Gemm':
            w = ins[1].t() if a.get('transB', 0) else ins[1]
            out = ins[0] @ w + ins[2]
        elif t == 'Add': out = ins[0] + ins[1]
        else: raise SystemExit(f'op {t}')
        env[n.output[0]] = out
    return env[g.output[0].name]

def ig(model_path, x, target, method, dtype, n=32):
    if method == 'gausslegendre':
        nodes, w = np.polynomial.legendre.leggauss(n); alphas = list(0.5 * (1 + nodes)); steps = list(0.5 * w)
    else:  # Captum's riemann_* rules: torch.linspace (float32) alphas, steps 1/n (trapezoid: ends halved)
        lo, hi = {'riemann_trapezoid': (0, 1), 'riemann_left': (0, 1 - 1 / n), 'riemann_right': (1 / n, 1), 'riemann_middle': (1 / (2 * n), 1 - 1 / (2 * n))}[method]
        alphas = torch.linspace(lo, hi, n).tolist(); steps = [1 / n] * n
        if method == 'riemann_trapezoid': steps[0] /= 2; steps[-1] /= 2
    x = x.to(dtype); b = torch.zeros_like(x)
    pts = torch.cat([b + a * (x - b) for a in alphas]).requires_grad_()
    out = run(model_path, pts, dtype)[:, target]
    (gr,) = torch.autograd.grad(torch.unbind(out), pts)
    sg = gr.contiguous().view(n, -1) * torch.tensor(steps).view(n, 1)
    return (sg.sum(0).view(x.shape) * (x - b)).detach().double().numpy(), gr.detach().double().numpy()

if __name__ == '__main__':
    root = sys.argv[1]
    save = sys.argv[sys.argv.index('--save') + 1] if '--save' in sys.argv else None
    man = json.load(open(f'{root}/manifest.json'))
    torch.set_num_threads(2)
    for r in man['references']:
        if r['method'] != 'IntegratedGradients': continue
        x = torch.tensor(np.load(f"{root}/{r['input_file']}"))
        ref = np.load(f"{root}/{r['file']}").astype(np.float64)
        method = r['params'].get('method', 'gausslegendre')
        line = [r['model'], r['input'], r['target'], method, 'computed_in', r.get('computed_in')]
        for dt in (torch.float32, torch.float64):
            a, _ = ig(f"{root}/models/{r['model']}.onnx", x, r['target'], method, dt)
            if save and dt == torch.float64 and r.get('computed_in') == 'float32':
                np.save(f"{save}/ig64_{r['model']}_{method}.npy", a)
            e = np.abs(a - ref).ravel() / np.abs(ref).max()
            line += [str(dt).split('.')[-1], f'max {e.max():.2e}', f'p99.9 {np.quantile(e, 0.999):.2e}']
        print(*line, flush=True)
