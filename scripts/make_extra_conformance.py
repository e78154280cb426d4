#!/usr/bin/python3
"""Extra conformance set: the same reference definitions as conformance/ on other CNN families.

Dev script (needs Debian python3-torch, python3-onnx, python3-opencv, python3-numpy; CPU; ~1–2 min):

    /usr/bin/python3 scripts/make_extra_conformance.py [outdir=conformance-extra]

Builds three small seeded random-weight models (tiny_efficientnet: SiLU + squeeze-excitation MBConv blocks;
tiny_densenet: dense blocks with Concat, BN-ReLU-Conv, 1×1 conv + AvgPool2d(2) transitions; tiny_keras: a
Keras-style Conv/ReLU/MaxPool network whose output is Softmax probabilities), exports them to ONNX (opset 17,
dynamic batch) and computes reference attributions with plain PyTorch autograd + numpy + cv2, re-implementing
the definitions that conformance/README.md documents for pytorch-grad-cam and Captum (those libraries are NOT
used here). Everything is computed in float64 and stored as float32. Every method explains the raw logit
(for tiny_keras: the input of the final Softmax).
"""
import json
import os
import shutil
import sys

import cv2
import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "conformance-extra")
SRC = os.path.join(ROOT, "conformance")
INPUT = "chelsea64"
DT = torch.float64


# ----------------------------------------------------------------------------------------------- models

class SqueezeExcite(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(c, r, 1)
        self.act = nn.SiLU()
        self.expand = nn.Conv2d(r, c, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        return x * self.gate(self.expand(self.act(self.reduce(self.pool(x)))))


def conv_bn_silu(cin, cout, k, s=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.SiLU())


class MBConv(nn.Module):
    def __init__(self, cin, cout, expand, k, s):
        super().__init__()
        mid = cin * expand
        self.expand = conv_bn_silu(cin, mid, 1) if expand != 1 else nn.Identity()
        self.dw = conv_bn_silu(mid, mid, k, s, groups=mid)
        self.se = SqueezeExcite(mid, max(4, cin // 4))
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = s == 1 and cin == cout

    def forward(self, x):
        y = self.project(self.se(self.dw(self.expand(x))))
        return x + y if self.residual else y


class TinyEfficientNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn_silu(3, 16, 3, 2)                        # 32×32
        self.blocks = nn.Sequential(
            MBConv(16, 16, 1, 3, 1),
            MBConv(16, 24, 4, 3, 2),                                 # 16×16
            MBConv(24, 24, 4, 5, 1),
            MBConv(24, 40, 4, 3, 2),                                 # 8×8
        )
        self.head = conv_bn_silu(40, 128, 1)                         # target layer
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.head(self.blocks(self.stem(x)))), 1))


class DenseLayer(nn.Module):
    def __init__(self, cin, growth):
        super().__init__()
        self.body = nn.Sequential(
            nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, 4 * growth, 1, bias=False),
            nn.BatchNorm2d(4 * growth), nn.ReLU(), nn.Conv2d(4 * growth, growth, 3, 1, 1, bias=False))

    def forward(self, x):
        return torch.cat([x, self.body(x)], 1)


def transition(cin, cout):
    return nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, cout, 1, bias=False), nn.AvgPool2d(2))


class TinyDenseNet(nn.Module):
    def __init__(self, growth=12):
        super().__init__()
        c = 24
        layers = [nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]   # 32×32
        for b in range(3):
            for _ in range(3):
                layers.append(DenseLayer(c, growth))
                c += growth
            if b < 2:
                layers.append(transition(c, c // 2))                                       # 16×16, 8×8
                c //= 2
        layers += [nn.BatchNorm2d(c), nn.ReLU()]                                           # target layer
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, 10)
        self.channels = c

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class TinyKeras(nn.Module):
    """Keras-style: Conv2D(bias, 'same') + ReLU, MaxPooling2D, GlobalAveragePooling2D, Dropout, Dense, Softmax."""

    def __init__(self):
        super().__init__()
        def cr(i, o):
            return [nn.Conv2d(i, o, 3, 1, 1), nn.ReLU()]
        self.features = nn.Sequential(
            *cr(3, 16), *cr(16, 16), nn.MaxPool2d(2),                # 32×32
            *cr(16, 32), *cr(32, 32), nn.MaxPool2d(2),               # 16×16
            *cr(32, 64), nn.MaxPool2d(2),                            # 8×8
            *cr(64, 64))                                             # target layer (last ReLU)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(64, 10)
        self.softmax = nn.Softmax(dim=1)
        self.with_softmax = True

    def forward(self, x):
        z = self.fc(self.dropout(torch.flatten(self.pool(self.features(x)), 1)))
        return self.softmax(z) if self.with_softmax else z


def init_model(model, seed, calib_noise):
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            fan_in = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
            m.weight.data = torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5
            if m.bias is not None:
                m.bias.data = torch.randn(m.bias.shape, generator=g) * 0.1
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.data = 0.5 + torch.rand(m.weight.shape, generator=g)
            m.bias.data = torch.randn(m.bias.shape, generator=g) * 0.2
            m.momentum = None  # cumulative average over the calibration batches
            m.reset_running_stats()
        elif isinstance(m, nn.Linear):
            m.weight.data = torch.randn(m.weight.shape, generator=g) / m.in_features ** 0.5
            m.bias.data = torch.randn(m.bias.shape, generator=g) * 0.1
    # BN statistics calibrated on seeded noise (smoothed so it has some spatial structure)
    model.train()
    with torch.no_grad():
        for _ in range(4):
            z = torch.randn(16, 3, 64, 64, generator=g)
            z = F.avg_pool2d(z, 5, 1, 2) * 2.0 if calib_noise == "smooth" else z
            model(z)
    model.eval()
    return g


def rescale_last_linear(model, x, get_logits):
    with torch.no_grad():
        logits = get_logits(x)
        s = logits.std().item()
        model.fc.weight.data *= 2.0 / s
        model.fc.bias.data *= 2.0 / s


# ------------------------------------------------------------------------------------- reference math

def minmax01(img):
    img = img - np.min(img)
    return img / (1e-7 + np.max(img))


def scale_cam_image(cam, target_size=None):
    """pytorch-grad-cam utils.image.scale_cam_image: per item min-max, then cv2.resize (INTER_LINEAR)."""
    out = []
    for img in cam:
        img = minmax01(img)
        if target_size is not None:
            img = cv2.resize(img, target_size)
        out.append(img)
    return np.float32(out)


def cam_final(raw, hw):
    """pytorch-grad-cam BaseCAM: relu → scale_cam_image(resize) → (one layer) relu, mean → scale_cam_image."""
    cam = np.maximum(raw, 0)
    scaled = scale_cam_image(cam, (hw[1], hw[0]))[:, None]
    agg = np.maximum(scaled, 0).mean(axis=1)
    return scale_cam_image(agg)


class Hooked:
    """Runs the model (float64) keeping the target layer's activation with a gradient tensor hook."""

    def __init__(self, model, layer_module, logits_fn):
        self.model, self.layer, self.logits_fn = model, layer_module, logits_fn
        self.act = None
        self.act_grad = None
        layer_module.register_forward_hook(self._fwd)

    def _fwd(self, module, inp, out):
        self.act = out
        if out.requires_grad:
            out.register_hook(self._save)

    def _save(self, g):
        self.act_grad = g

    def logits(self, x):
        return self.logits_fn(x)


def input_grad(logits_fn, x, k):
    x = x.clone().requires_grad_(True)
    y = logits_fn(x)[:, k].sum()
    (g,) = torch.autograd.grad(y, x)
    return g


class ModifiedReLU(torch.autograd.Function):
    """Captum GuidedBackprop (mode 'guided': relu(grad_out ⊙ [x>0])) / Deconvolution (mode 'deconv': relu(grad_out))."""

    @staticmethod
    def forward(ctx, x, guided):
        ctx.save_for_backward(x)
        ctx.guided = guided
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, go):
        (x,) = ctx.saved_tensors
        if ctx.guided:
            return F.relu(go * (x > 0).to(go.dtype)), None
        return F.relu(go), None


def with_modified_relus(model, mode, fn):
    """Run fn() with every nn.ReLU module's forward replaced (Captum hooks nn.ReLU modules only)."""
    relus = [m for m in model.modules() if type(m) is nn.ReLU]
    for m in relus:
        m.forward = (lambda x, _g=(mode == "guided"): ModifiedReLU.apply(x, _g))
    try:
        return fn()
    finally:
        for m in relus:
            del m.forward


# --- Captum DeepLift (0.8) re-implemented with the same hook mechanism: a forward pre-hook stores the module input
# and registers a tensor hook on it that rewrites its gradient; a forward hook stores the output and registers a
# tensor hook on it that records grad_out (so a hooked module consuming another's output sees the order quirk).
DL_RESCALE = (nn.ReLU, nn.ELU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softplus)


def _dl_nonlinear(inp, out, grad_input, grad_output, eps=1e-10):
    x, xr = inp.chunk(2)
    y, yr = out.chunk(2)
    din = torch.cat(2 * [x - xr])
    dout = torch.cat(2 * [y - yr])
    return torch.where(din.abs() < eps, grad_input, grad_output * dout / din)


def _dl_maxpool(module, inp, out, grad_input, grad_output, eps=1e-10):
    with torch.no_grad():
        x, xr = inp.chunk(2)
        y, yr = out.chunk(2)
        din = torch.cat(2 * [x - xr])
        xmax = torch.max(y, yr)
        dout = torch.cat([xmax - yr, y - xmax])
        _, idx = F.max_pool2d(inp, module.kernel_size, module.stride, module.padding, module.dilation,
                              module.ceil_mode, True)
        un = F.max_unpool2d(grad_output * dout, idx, module.kernel_size, module.stride, module.padding,
                            list(inp.shape))
        a, b = un.chunk(2)
        un = torch.cat(2 * [a + b])
    return torch.where(din.abs() < eps, grad_input, un / din)


def deeplift_captum(model, logits_fn, x, k):
    handles = []
    for m in model.modules():
        if not (type(m) in DL_RESCALE or type(m) is nn.MaxPool2d):
            continue
        st = {}

        def pre(mod, inp, st=st):
            st["input"] = inp[0].clone().detach()

            def input_tensor_hook(g, mod=mod):
                if "grad_out" not in st:
                    return None
                if type(mod) is nn.MaxPool2d:
                    return _dl_maxpool(mod, st["input"], st["output"], g, st["grad_out"])
                return _dl_nonlinear(st["input"], st["output"], g, st["grad_out"])
            inp[0].register_hook(input_tensor_hook)

        def fwd(mod, inp, out, st=st):
            st["output"] = out.clone().detach()
            st.pop("grad_out", None)

            def rec(g):
                st["grad_out"] = g
            out.register_hook(rec)
        handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(fwd)]
    try:
        xi = x.clone().requires_grad_(True)
        both = torch.cat([xi, torch.zeros_like(x)])
        y = logits_fn(both)[:, k].sum()  # the target is selected on both halves
        (g,) = torch.autograd.grad(y, xi)
    finally:
        for h in handles:
            h.remove()
    return (x * g).detach()


# --- Captum LRP (0.8) re-implemented with the same hooks: ε-rule layers (Conv2d, Linear, BatchNorm2d, MaxPool2d,
# AvgPool2d, AdaptiveAvgPool2d) hook their input (grad·input, once per tensor) and output (grad/(z + ε·sign z),
# sign(0)=1) and return a clone of the output; ReLU/Dropout pass the relevance the next layer's input hook made.
LRP_RULE = (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)
LRP_PASS = (nn.ReLU, nn.Dropout, nn.Tanh)


def lrp_captum(model, logits_fn, x, k, eps=1e-9, skip=()):
    for m in model.modules():
        if len(list(m.children())) == 0 and m not in skip and type(m) not in LRP_RULE + LRP_PASS:
            raise TypeError(f"Module of type {type(m)} has no rule defined")
    with torch.no_grad():
        y0 = logits_fn(x)[0, k]
    handles = []
    for m in model.modules():
        if len(list(m.children())) > 0 or m in skip:
            continue
        if type(m) in LRP_RULE:
            def fwd(mod, inp, out):
                t = inp[0]
                if not hasattr(t, "hook_registered"):
                    data = t.data

                    def in_hook(g, data=data):
                        r = g * data
                        g.replace_out = r
                        return r
                    t.register_hook(in_hook)
                    t.hook_registered = True
                z = out.data

                def out_hook(g, z=z):
                    sign = torch.sign(z)
                    sign[sign == 0] = 1
                    return g / (z + sign * eps)
                out.register_hook(out_hook)
                return out.clone()
            handles.append(m.register_forward_hook(fwd))
        elif type(m) in LRP_PASS:
            st = {}

            def fwd2(mod, inp, out, st=st):
                st.clear()

                def rec(g):
                    st["g"] = g
                out.register_hook(rec)

            def pre2(mod, inp, st=st):
                def in_hook(g):
                    go = st.get("g")
                    if go is None:
                        return None
                    if hasattr(go, "replace_out"):
                        r = go.replace_out
                        del go.replace_out
                        return r
                    return go
                inp[0].register_hook(in_hook)
            handles += [m.register_forward_pre_hook(pre2), m.register_forward_hook(fwd2)]
        else:
            raise TypeError(f"Module of type {type(m)} has no rule defined")
    try:
        xi = x.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(logits_fn(xi + 0)[0, k], xi)
    finally:
        for h in handles:
            h.remove()
    return (g * y0).detach(), float(y0)


def stats(a):
    a = np.asarray(a, dtype=np.float64)
    return {"min": float(a.min()), "max": float(a.max()), "absmax": float(np.abs(a).max()), "mean": float(a.mean()),
            "nonzero_frac": float(np.count_nonzero(a) / a.size)}


# --------------------------------------------------------------------------------------------- export

def onnx_target(path):
    """The input tensor of the last GlobalAveragePool (= last spatial tensor before GAP) and its producer."""
    proto = onnx.load(path)
    gaps = [n for n in proto.graph.node if n.op_type == "GlobalAveragePool"]
    tensor = gaps[-1].input[0]
    producer = next(n for n in proto.graph.node if tensor in n.output)
    hist = {}
    for n in proto.graph.node:
        hist[n.op_type] = hist.get(n.op_type, 0) + 1
    return tensor, producer, dict(sorted(hist.items()))


def export(model, path, output_name):
    model.eval()
    torch.onnx.export(
        model.float(), torch.zeros(1, 3, 64, 64), path, opset_version=17, input_names=["input"],
        output_names=[output_name], dynamic_axes={"input": {0: "batch"}, output_name: {0: "batch"}},
        do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    proto = onnx.load(path)
    onnx.checker.check_model(proto)


# ------------------------------------------------------------------------------------------- main

GRADCAM_HOOKS = "forward hook on the target module stores A; tensor hook stores G = dY/dA; Y = logit k"
CAM_POST = ("final = minmax(resize_cv2_linear(minmax(relu(raw)), (W,H))) with minmax(a)=(a-min)/(max+1e-7) "
            "after subtracting min")
EXACT = {"kind": "exact", "metric": "max|ours-ref| / max|ref|", "tol": 0.0001}
CAM01 = {"kind": "exact", "metric": "max|ours-ref| (maps are in [0,1])", "tol": 0.0001}
SIGN = {"kind": "exact_up_to_global_sign", "metric": "min over s in {+1,-1} of max|ours - s*ref| / max|ref|", "tol": 0.0001}


def build(name):
    if name == "tiny_efficientnet":
        m = TinyEfficientNet()
        init_model(m, 2000, "smooth")
        return m, m.head, "model.head (1×1 conv-BN-SiLU)", "logits"
    if name == "tiny_densenet":
        m = TinyDenseNet()
        init_model(m, 2001, "smooth")
        return m, m.features[-1], "model.features[-1] (final BN-ReLU)", "logits"
    m = TinyKeras()
    init_model(m, 2002, "smooth")
    return m, m.features[-1], "model.features[-1] (last Conv2D-ReLU)", "probabilities"


def main():
    for sub in ("models", "inputs", "refs"):
        os.makedirs(os.path.join(OUT, sub), exist_ok=True)
    for ext in ("npy", "png"):
        shutil.copyfile(os.path.join(SRC, "inputs", f"{INPUT}.{ext}"), os.path.join(OUT, "inputs", f"{INPUT}.{ext}"))
    x32 = torch.from_numpy(np.load(os.path.join(OUT, "inputs", f"{INPUT}.npy")))
    H, W = x32.shape[-2:]

    manifest = {"description": "Extra conformance set: other CNN families (see README.md). Same schema as conformance/manifest.json.",
                "generator": "scripts/make_extra_conformance.py",
                "reference_source": "independent re-implementation of the pytorch-grad-cam / Captum definitions "
                                    "documented in conformance/README.md (plain PyTorch autograd + numpy + cv2), "
                                    "computed in float64, stored as float32; NOT produced by the libraries themselves",
                "torch": torch.__version__, "numpy": np.__version__, "opencv": cv2.__version__,
                "models": {}, "inputs": {INPUT: {"name": INPUT, "file": f"inputs/{INPUT}.npy", "png": f"inputs/{INPUT}.png",
                                                 "shape": list(x32.shape), "source": "copied from conformance/inputs"}},
                "cases": [], "references": [], "failures": []}

    for name in ("tiny_efficientnet", "tiny_densenet", "tiny_keras"):
        model, layer_mod, layer_expr, out_name = build(name)

        def logits_of(inp, model=model):
            if isinstance(model, TinyKeras):
                model.with_softmax = False
                try:
                    return model(inp)
                finally:
                    model.with_softmax = True
            return model(inp)

        rescale_last_linear(model, x32, logits_of)
        path = os.path.join(OUT, "models", f"{name}.onnx")
        export(model, path, out_name)
        tensor, producer, hist = onnx_target(path)
        nparams = sum(p.numel() for p in model.parameters())

        model = model.to(DT)
        x = x32.to(DT)
        hk = Hooked(model, layer_mod, logits_of)
        with torch.no_grad():
            logits = logits_of(x)[0]
        k = int(torch.argmax(logits))
        print(f"{name}: params {nparams}, onnx {os.path.getsize(path)} B, target layer {tensor} ({producer.op_type}), "
              f"logits {np.round(logits.numpy(), 3).tolist()}, k={k}")
        manifest["models"][name] = {
            "name": name, "file": f"models/{name}.onnx", "onnx_bytes": os.path.getsize(path), "params": nparams,
            "input_name": "input", "output_name": out_name, "input_shape": ["batch", 3, 64, 64], "opset": 17,
            "num_classes": 10, "weights": "random seeded, BN stats calibrated on seeded smoothed noise, last Linear rescaled",
            "explained_output": "logits" if out_name == "logits" else "the input of the final Softmax (pre-softmax logits)",
            "target_layer": {"pytorch_expr": layer_expr, "onnx_tensor": tensor, "onnx_producer_node": producer.name,
                             "onnx_producer_op": producer.op_type},
            "onnx_ops": hist,
            "normalization": {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
        }
        top5 = torch.argsort(logits, descending=True)[:5].tolist()
        manifest["cases"].append({"model": name, "input": INPUT, "input_file": f"inputs/{INPUT}.npy", "target": k,
                                  "target_rank": 1, "logits_torch": logits.tolist(), "top5": top5,
                                  "prob_target": float(torch.softmax(logits, 0)[k]), "computed_in": "float64"})
        rel = f"refs/{name}/{INPUT}/t{k}"
        os.makedirs(os.path.join(OUT, rel), exist_ok=True)

        def add(library, method, fname, arr, compare, variant=None, output=None, params=None, formula=None,
                postprocess=None, layer=True):
            arr = np.asarray(arr, dtype=np.float32)
            np.save(os.path.join(OUT, rel, fname), arr)
            row = {"model": name, "input": INPUT, "input_file": f"inputs/{INPUT}.npy", "target": k, "target_rank": 1,
                   "computed_in": "float64", "library": library, "method": method}
            if variant is not None:
                row["variant"] = variant
            if output is not None:
                row["output"] = output
            if params is not None:
                row["params"] = params
            if layer:
                row["target_layer_onnx"] = tensor
            if formula:
                row["formula"] = formula
            row["compare"] = compare
            if postprocess:
                row["postprocess"] = postprocess
            row.update({"file": f"{rel}/{fname}", "shape": list(arr.shape), "dtype": "float32", "stats": stats(arr)})
            manifest["references"].append(row)

        # --- target layer activation / gradient
        xg = x.clone().requires_grad_(True)
        y = hk.logits(xg)[0, k]
        y.backward()
        A = hk.act.detach().numpy()
        G = hk.act_grad.detach().numpy()
        sal = xg.grad.detach().numpy()
        add("torch", "TargetLayerActivation", "target_layer.activation.npy", A, EXACT, output="activation")
        add("torch", "TargetLayerGradient", "target_layer.gradient.npy", G, EXACT, output="gradient")

        # --- self-check: central finite differences (float64) of Y at 8 input elements against dY/dx
        gfd = torch.Generator().manual_seed(7)
        fd_err = 0.0
        with torch.no_grad():
            for _ in range(8):
                idx = tuple(int(torch.randint(0, d, (1,), generator=gfd)) for d in x.shape)
                e = torch.zeros_like(x)
                e[idx] = 1e-6
                fd = float(hk.logits(x + e)[0, k] - hk.logits(x - e)[0, k]) / 2e-6
                fd_err = max(fd_err, abs(fd - float(sal[idx])) / (np.abs(sal).max()))
        print(f"  finite differences vs dY/dx at 8 elements: max error / max|dY/dx| = {fd_err:.2e}")
        manifest["cases"][-1]["finite_difference_check"] = {"elements": 8, "step": 1e-6, "max_err_rel_to_max_grad": fd_err}

        # --- gradient CAMs
        sumA = A.sum(axis=(2, 3))
        w_grad = G.mean(axis=(2, 3))
        g2 = G ** 2
        g3 = g2 * G
        aij = g2 / (2 * g2 + sumA[:, :, None, None] * g3 + 1e-6)
        aij = np.where(G != 0, aij, 0)
        w_pp = (np.maximum(G, 0) * aij).sum(axis=(2, 3))
        w_x = (G * A / (sumA[:, :, None, None] + 1e-7)).sum(axis=(2, 3))
        cams = {
            "GradCAM": (w_grad, "weights[c] = mean_{h,w} dY/dA[c,h,w]; raw = sum_c weights[c]*A[c]"),
            "HiResCAM": (None, "raw = sum_c (G*A)[c]"),
            "GradCAMPlusPlus": (w_pp, "alpha = G^2/(2G^2 + sum_hw(A)*G^3 + 1e-6), 0 where G==0; w = sum_hw relu(G)*alpha; raw = sum_c w_c A_c"),
            "XGradCAM": (w_x, "w = sum_hw G*A/(sum_hw A + 1e-7); raw = sum_c w_c A_c"),
            "LayerCAM": (None, "raw = sum_c (relu(G)*A)[c]"),
        }
        for cname, (w, formula) in cams.items():
            if cname == "HiResCAM":
                raw = (G * A).sum(axis=1)
            elif cname == "LayerCAM":
                raw = (np.maximum(G, 0) * A).sum(axis=1)
            else:
                raw = (w[:, :, None, None] * A).sum(axis=1)
            add("pytorch-grad-cam", cname, f"{cname}.final.npy", cam_final(raw, (H, W)), CAM01, output="final",
                formula=formula, postprocess=CAM_POST)
            add("pytorch-grad-cam", cname, f"{cname}.raw.npy", raw, EXACT, output="raw_cam_pre_relu", formula=formula)
            if w is not None:
                add("pytorch-grad-cam", cname, f"{cname}.weights.npy", w, EXACT, output="channel_weights", formula=formula)

        # --- EigenCAM (no gradients)
        M = np.nan_to_num(A[0].reshape(A.shape[1], -1).T)
        M = M - M.mean(axis=0)
        _, _, VT = np.linalg.svd(M, full_matrices=True)
        raw = (M @ VT[0, :]).reshape(1, A.shape[2], A.shape[3])
        f = "first principal component projection of the centred activations (sign = LAPACK's choice)"
        add("pytorch-grad-cam", "EigenCAM", "EigenCAM.raw.npy", raw, SIGN, output="raw_cam_pre_relu", formula=f)
        # final: the library runs the SVD on the float32 activations of a float32 model, so the sign is taken there
        M32 = A[0].astype(np.float32).reshape(A.shape[1], -1).T
        M32 = M32 - M32.mean(axis=0)
        _, _, VT32 = np.linalg.svd(M32, full_matrices=True)
        sign = float(np.sign(VT32[0] @ VT[0]))
        add("pytorch-grad-cam", "EigenCAM", "EigenCAM.final.npy", cam_final(sign * raw, (H, W)), CAM01, output="final",
            formula=f + "; sign of the float32 SVD", postprocess=CAM_POST)
        # the same map for the other sign (an implementation may fix the sign its own way; see README)
        np.save(os.path.join(OUT, rel, "EigenCAM.final.other_sign.npy"), cam_final(-sign * raw, (H, W)).astype(np.float32))
        manifest["references"][-1]["file_other_sign"] = f"{rel}/EigenCAM.final.other_sign.npy"

        # --- AblationCAM (batch 32, ratio 1.0): the target layer returns the cached A with channel c ablated
        def head(act, model=model):
            return model.fc(torch.flatten(model.pool(act), 1)) if not isinstance(model, TinyKeras) \
                else model.fc(model.dropout(torch.flatten(model.pool(act), 1)))
        with torch.no_grad():
            At = torch.from_numpy(A)
            s_orig = np.float32(head(At)[0, k].item())
            C = A.shape[1]
            new_scores = []
            values = []
            for i0 in range(0, C, 32):
                n = min(32, C - i0)
                out = At.repeat(n, 1, 1, 1).clone()
                for i in range(n):
                    if torch.min(out) == 0:
                        out[i, i0 + i] = 0
                    else:
                        out[i, i0 + i] = torch.min(out) - 1e7
                    values.append(float(out[i, i0 + i, 0, 0]))
                new_scores.extend(head(out)[:, k].tolist())
            w_ab = ((s_orig - np.float32(new_scores)) / s_orig)[None]
        raw = (w_ab[:, :, None, None] * A).sum(axis=1)
        f = "w_c = (s - s_c)/s, s_c = Y with channel c of the cached A set to the ablation value (0 if min(batch)==0, else min-1e7 re-read after each write), batches of 32"
        add("pytorch-grad-cam", "AblationCAM", "AblationCAM.final.npy", cam_final(raw, (H, W)), CAM01, output="final", formula=f, postprocess=CAM_POST)
        add("pytorch-grad-cam", "AblationCAM", "AblationCAM.raw.npy", raw, EXACT, output="raw_cam_pre_relu", formula=f)
        add("pytorch-grad-cam", "AblationCAM", "AblationCAM.weights.npy", w_ab, EXACT, output="channel_weights", formula=f)
        for r in manifest["references"][-3:]:
            r["ablation_value"] = "0" if values[0] == 0 else f"min - (i+1)*1e7 (first {values[0]:.6g})"

        # --- FullGrad: bias layers = every Conv2d / BatchNorm2d with a bias
        blayers = [mm for mm in model.modules() if type(mm) in (nn.Conv2d, nn.BatchNorm2d) and mm.bias is not None]
        bias_data = []
        for mm in blayers:
            if isinstance(mm, nn.BatchNorm2d):
                bias_data.append((mm.bias - mm.running_mean * mm.weight / torch.sqrt(mm.running_var + mm.eps)).detach().numpy())
            else:
                bias_data.append(mm.bias.detach().numpy())
        outs = {}
        def keep(mod, inp, out):
            out.retain_grad()
            outs[mod] = out
        hs = [mm.register_forward_hook(keep) for mm in blayers]
        xg = x.clone().requires_grad_(True)
        hk.logits(xg)[0, k].backward()
        for h_ in hs:
            h_.remove()

        def scale_bc(t):
            b, c = t.shape[:2]
            return scale_cam_image(t.reshape(b * c, *t.shape[2:]), (W, H)).reshape(b, c, H, W)
        parts = [scale_bc(np.abs(xg.grad.numpy() * x.numpy()))]
        for mm, bias in zip(blayers, bias_data):
            gr = outs[mm].grad.numpy()
            parts.append(scale_bc(np.abs(bias[None, :, None, None] * gr)).sum(axis=1)[:, None])
        fg_raw = np.concatenate(parts, axis=1).sum(axis=1)[:, None]
        f = "raw = sum_c minmax(|x*dY/dx|)_c + sum_layers sum_c resize(minmax(|b_c*dY/dOut_c|)); final = minmax(raw)"
        add("pytorch-grad-cam", "FullGrad", "FullGrad.final.npy", scale_cam_image(fg_raw.sum(axis=1)), CAM01, output="final", formula=f, layer=False)
        add("pytorch-grad-cam", "FullGrad", "FullGrad.raw.npy", fg_raw, EXACT, output="raw_sum_before_final_minmax", formula=f, layer=False)
        manifest["references"][-1]["bias_layers"] = len(blayers)

        # --- ScoreCAM
        with torch.no_grad():
            up = nn.UpsamplingBilinear2d(size=(H, W))(torch.from_numpy(A))
            flat = up.view(1, up.shape[1], -1)
            mx, mn = flat.max(-1)[0][:, :, None, None], flat.min(-1)[0][:, :, None, None]
            up = (up - mn) / (mx - mn + 1e-8)
            masked = x[:, None] * up[:, :, None]
            scores = []
            for i in range(0, masked.shape[1], 16):
                scores.extend(hk.logits(masked[0, i:i + 16])[:, k].tolist())
            w_s = torch.softmax(torch.tensor(scores, dtype=DT), -1).numpy()[None]
        raw = (w_s[:, :, None, None] * A).sum(axis=1)
        f = "n_c = minmax(UpsamplingBilinear2d(align_corners=True)(A)_c) with +1e-8; score_c = Y(x*n_c), batches of 16; w = softmax(score); raw = sum_c w_c A_c"
        add("pytorch-grad-cam", "ScoreCAM", "ScoreCAM.final.npy", cam_final(raw, (H, W)), CAM01, output="final", formula=f, postprocess=CAM_POST)
        add("pytorch-grad-cam", "ScoreCAM", "ScoreCAM.raw.npy", raw, EXACT, output="raw_cam_pre_relu", formula=f)
        add("pytorch-grad-cam", "ScoreCAM", "ScoreCAM.weights.npy", w_s, EXACT, output="channel_weights", formula=f)

        # --- Captum gradient methods
        add("captum", "Saliency", "Saliency.abs.npy", np.abs(sal), EXACT, variant="Saliency.abs", layer=False)
        add("captum", "Saliency", "Saliency.signed.npy", sal, EXACT, variant="Saliency.signed", layer=False)
        add("captum", "InputXGradient", "InputXGradient.npy", x.numpy() * sal, EXACT, variant="InputXGradient", layer=False)
        for method in ("riemann_trapezoid", "gausslegendre"):
            n = 32
            if method == "gausslegendre":
                nodes, weights = np.polynomial.legendre.leggauss(n)
                alphas, steps = 0.5 * (1 + nodes), 0.5 * weights
            else:
                alphas = torch.linspace(0, 1, n).to(DT).numpy()
                steps = np.full(n, 1.0 / n)
                steps[0] /= 2
                steps[-1] /= 2
            a = torch.tensor(alphas, dtype=DT)[:, None, None, None]
            path_in = (a * x).requires_grad_(True)  # baseline 0
            (gr,) = torch.autograd.grad(hk.logits(path_in)[:, k].sum(), path_in)
            total = (gr * torch.tensor(steps, dtype=DT)[:, None, None, None]).sum(0, keepdim=True)
            ig = (x * total).detach().numpy()
            with torch.no_grad():
                delta = float(ig.sum() - (hk.logits(x)[0, k] - hk.logits(torch.zeros_like(x))[0, k]))
            add("captum", "IntegratedGradients", f"IntegratedGradients.{method}_32.npy", ig, EXACT,
                variant=f"IntegratedGradients.{method}_32", params={"n_steps": n, "method": method, "baseline": "zeros"},
                layer=False)
            manifest["references"][-1]["convergence_delta"] = delta
        gbp = {}
        for mode, mname in (("guided", "GuidedBackprop"), ("deconv", "Deconvolution")):
            gbp[mode] = with_modified_relus(model, mode, lambda: input_grad(hk.logits, x, k)).numpy()
            add("captum", mname, f"{mname}.npy", gbp[mode], EXACT, variant=mname, layer=False)
        lgc = (w_grad[:, :, None, None] * A).sum(axis=1, keepdims=True)
        add("captum", "LayerGradCam", "LayerGradCam.npy", lgc, EXACT, variant="LayerGradCam")
        up_nn = F.interpolate(torch.from_numpy(np.maximum(lgc, 0)), size=(H, W), mode="nearest").numpy()
        add("captum", "GuidedGradCam", "GuidedGradCam.npy", gbp["guided"] * up_nn, EXACT, variant="GuidedGradCam")

        # --- DeepLift (Captum 0.8 hooks, baseline 0)
        dl = deeplift_captum(model, hk.logits, x, k).numpy()
        with torch.no_grad():
            dl_delta = float(dl.sum() - (hk.logits(x)[0, k] - hk.logits(torch.zeros_like(x))[0, k]))
        add("captum", "DeepLift", "DeepLift.npy", dl, {**EXACT, "tol": 0.001, "why": "divisions by (in - in_ref) amplify float32 differences"},
            variant="DeepLift", params={"baseline": "zeros", "multiply_by_inputs": True}, layer=False)
        manifest["references"][-1]["convergence_delta"] = dl_delta

        # --- LRP (Captum 0.8 default ε-rules)
        try:
            skip = (model.softmax,) if isinstance(model, TinyKeras) else ()
            lrp, y0 = lrp_captum(model, hk.logits, x, k, skip=skip)
            lrp = lrp.numpy()
            ixg = x.numpy() * sal
            lrp_delta = float(y0 - lrp.sum())
            rel_ixg = float(np.abs(lrp - ixg).max() / np.abs(ixg).max())
            print(f"  LRP: max|attr| {np.abs(lrp).max():.3g}, convergence delta {lrp_delta:.3g}, vs InputXGradient {rel_ixg:.3g}")
            if name == "tiny_densenet":
                manifest["failures"].append({"model": name, "input": INPUT, "target": k, "method": "LRP", "library": "captum",
                    "error": f"excluded: Captum's ε-rule input hook multiplies the TOTAL gradient of a layer input by that input, "
                             f"so a tensor that also feeds a Concat skip path is multiplied again at every dense layer "
                             f"(max|attr| {np.abs(lrp).max():.3g}, convergence delta {lrp_delta:.3g}, rel. difference to "
                             f"InputXGradient {rel_ixg:.3g}); Lumen propagates Concat by its plain gradient"})
            else:
                add("captum", "LRP", "LRP.npy", lrp, {**EXACT, "tol": 0.001, "why": "divisions by z + 1e-9 amplify float32 differences"},
                    variant="LRP", params={"rules": "Captum defaults: EpsilonRule(1e-9) on Conv2d/Linear/BatchNorm2d/pools; ReLU, Dropout pass",
                                           "note": "applied to the logits (the Softmax module removed)" if skip else None}, layer=False)
                manifest["references"][-1]["convergence_delta"] = lrp_delta
        except TypeError as e:
            manifest["failures"].append({"model": name, "input": INPUT, "target": k, "method": "LRP", "library": "captum",
                                         "error": f"TypeError: {e} (Captum has no LRP rule for it)"})

        # --- IG completeness with more steps (for the invariant test): Gauss-Legendre 64
        nodes, weights = np.polynomial.legendre.leggauss(64)
        a = torch.tensor(0.5 * (1 + nodes), dtype=DT)[:, None, None, None]
        pin = (a * x).requires_grad_(True)
        (gr,) = torch.autograd.grad(hk.logits(pin)[:, k].sum(), pin)
        ig64 = float(((gr * torch.tensor(0.5 * weights, dtype=DT)[:, None, None, None]).sum(0) * x[0]).sum())
        with torch.no_grad():
            change = float(hk.logits(x)[0, k] - hk.logits(torch.zeros_like(x))[0, k])
        manifest["cases"][-1]["ig_gausslegendre_64"] = {"sum_attr": ig64, "f_x_minus_f_0": change, "gap": ig64 - change}

        # --- Occlusion: window (3,8,8), stride (3,4,4), baseline 0
        with torch.no_grad():
            y0 = float(hk.logits(x)[0, k])
            pos = [(i, j) for i in range(0, H - 8 + 1, 4) for j in range(0, W - 8 + 1, 4)]
            assert len(pos) == 15 * 15
            attr = np.zeros((1, 3, H, W))
            cnt = np.zeros((1, 3, H, W))
            for b in range(0, len(pos), 32):
                batch = x.repeat(len(pos[b:b + 32]), 1, 1, 1)
                for t, (i, j) in enumerate(pos[b:b + 32]):
                    batch[t, :, i:i + 8, j:j + 8] = 0
                ys = hk.logits(batch)[:, k].numpy()
                for t, (i, j) in enumerate(pos[b:b + 32]):
                    attr[0, :, i:i + 8, j:j + 8] += y0 - ys[t]
                    cnt[0, :, i:i + 8, j:j + 8] += 1
        add("captum", "Occlusion", "Occlusion.npy", attr / cnt, EXACT, variant="Occlusion",
            params={"sliding_window_shapes": [3, 8, 8], "strides": [3, 4, 4], "baselines": 0}, layer=False)

    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")
    print(f"{len(manifest['references'])} references written to {OUT}")


if __name__ == "__main__":
    main()
