#!/usr/bin/env python3
"""Train a small semantic-segmentation network and a small YOLO-style detector on the synthetic shapes dataset.

Dev-only script (issue 17: targets beyond classification). First generate the data, then train:

    npx tsx scripts/gen-shapes-objects.ts
    /usr/bin/python3 scripts/train_shapes_objects.py            # both models
    /usr/bin/python3 scripts/train_shapes_objects.py --only seg|det

models/shapes-seg.onnx  input [N, 3, 64, 64] (unit normalization) -> logits [N, 6, 64, 64]:
                        background + the five shapes (category = class + 1).
models/shapes-det.onnx  input [N, 3, 64, 64] -> a raw YOLOv5-style head [N, 64, 10]: one candidate per cell of
                        an 8x8 grid, columns cx, cy, w, h (input pixels), objectness, 5 class scores (sigmoids).
Their validation accuracy (mIoU, mAP@0.5 on 500 images) is printed and written to models/shapes-objects.json.
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
from train_shapes import to_input

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, ".cache", "shapes-objects")
CLASSES = ["circle", "square", "triangle", "star", "cross"]
NORMALIZATION = {"mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}
SEED = 1717
GRID = 8
STRIDE = 8
ANCHOR = 16.0


def load(split):
    get = lambda k: np.load(os.path.join(CACHE, f"{split}-{k}.npy"))
    return get("images"), get("labels").astype(np.int64), get("masks").astype(np.int64), get("boxes").astype(np.float32)


class SegNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            *conv_block(3, 16), nn.MaxPool2d(2), *conv_block(16, 32), nn.MaxPool2d(2),
            *conv_block(32, 64), nn.MaxPool2d(2), *conv_block(64, 64), *conv_block(64, 64),
        )
        self.head = nn.Conv2d(64, len(CLASSES) + 1, 1)

    def forward(self, x):
        # stride 8: the receptive field sees the whole shape; bilinear upsampling back to the input (a Resize node)
        return F.interpolate(self.head(self.encoder(x)), scale_factor=8.0, mode="bilinear", align_corners=False)


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            *conv_block(3, 16), nn.MaxPool2d(2), *conv_block(16, 32), nn.MaxPool2d(2),
            *conv_block(32, 64), nn.MaxPool2d(2), *conv_block(64, 64),
        )
        self.head = nn.Conv2d(64, 5 + len(CLASSES), 1)
        gy, gx = torch.meshgrid(torch.arange(GRID, dtype=torch.float32), torch.arange(GRID, dtype=torch.float32), indexing="ij")
        self.register_buffer("gx", gx.reshape(1, 1, GRID, GRID))
        self.register_buffer("gy", gy.reshape(1, 1, GRID, GRID))

    def raw(self, x):
        return self.head(self.backbone(x))

    def forward(self, x):
        return self.decode(self.raw(x))

    def decode(self, t):
        cx = (torch.sigmoid(t[:, 0:1]) + self.gx) * STRIDE
        cy = (torch.sigmoid(t[:, 1:2]) + self.gy) * STRIDE
        wh = torch.exp(t[:, 2:4].clamp(max=4.0)) * ANCHOR
        scores = torch.sigmoid(t[:, 4:])
        out = torch.cat([cx, cy, wh, scores], 1)  # [N, 10, 8, 8]
        return out.flatten(2).transpose(1, 2)  # [N, 64, 10]: rows, YOLOv5 layout


def train_loop(model, loss_fn, n, epochs, lr, log):
    torch.manual_seed(SEED)
    fit(model, n, loss_fn, epochs, lr, 64, SEED, log=f"{log} ")


def seg_targets(labels, masks):
    return torch.from_numpy(masks * (labels[:, None, None] + 1))


def miou(model, images, labels, masks):
    model.eval()
    x = to_input(images)
    truth = (masks * (labels[:, None, None] + 1))
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 250]).argmax(1) for i in range(0, len(x), 250)]).numpy()
    ious = []
    for k in range(len(CLASSES) + 1):
        inter = np.logical_and(pred == k, truth == k).sum()
        union = np.logical_or(pred == k, truth == k).sum()
        ious.append(inter / union if union else float("nan"))
    return float(np.nanmean(ious)), [round(float(v), 4) for v in ious], float((pred == truth).mean())


def responsible_cells(boxes):
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    gx = np.clip((cx // STRIDE).astype(np.int64), 0, GRID - 1)
    gy = np.clip((cy // STRIDE).astype(np.int64), 0, GRID - 1)
    return gy * GRID + gx


def det_loss(model, x, labels, boxes, cells):
    raw = model.raw(x)
    out = model.decode(raw)  # [B, 64, 10]
    t = raw.flatten(2).transpose(1, 2)  # logits for objectness / classes
    b = torch.arange(len(x))
    obj_target = torch.zeros(out.shape[:2])
    obj_target[b, cells] = 1.0
    loss_obj = F.binary_cross_entropy_with_logits(t[:, :, 4], obj_target)
    cls_target = F.one_hot(labels, len(CLASSES)).float()
    loss_cls = F.binary_cross_entropy_with_logits(t[b, cells, 5:], cls_target)
    gt = torch.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2, boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], 1)
    loss_box = F.smooth_l1_loss(out[b, cells, :4] / 64.0, gt / 64.0)
    return 5.0 * loss_obj + loss_cls + 10.0 * loss_box


def iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def detections(row, score_threshold=0.01, iou_threshold=0.45):
    """Class-wise greedy NMS over one image's rows [64, 10] (score = objectness x class), as src/targets/detection.ts."""
    cands = []
    for a, r in enumerate(row):
        cls = int(np.argmax(r[5:] * r[4]))
        score = float(r[5 + cls] * r[4])
        if score >= score_threshold:
            cands.append((score, a, cls, [r[0] - r[2] / 2, r[1] - r[3] / 2, r[0] + r[2] / 2, r[1] + r[3] / 2]))
    cands.sort(key=lambda c: (-c[0], c[1]))
    kept = []
    for c in cands:
        if all(k[2] != c[2] or iou(k[3], c[3]) <= iou_threshold for k in kept):
            kept.append(c)
    return kept


def mean_ap(model, images, labels, boxes):
    """VOC-style all-point AP at IoU 0.5 per class (one object per image), averaged over the classes."""
    model.eval()
    with torch.no_grad():
        rows = model(to_input(images)).numpy()
    aps = []
    for k in range(len(CLASSES)):
        preds = []
        for i, row in enumerate(rows):
            for score, _, cls, box in detections(row):
                if cls == k:
                    preds.append((score, i, box))
        preds.sort(key=lambda p: -p[0])
        n_gt = int((labels == k).sum())
        matched = set()
        tp = []
        for score, i, box in preds:
            hit = labels[i] == k and i not in matched and iou(box, boxes[i]) >= 0.5
            if hit:
                matched.add(i)
            tp.append(1.0 if hit else 0.0)
        tp = np.array(tp)
        fp = 1.0 - tp
        if n_gt == 0:
            continue
        rec = np.cumsum(tp) / n_gt if len(tp) else np.zeros(0)
        prec = np.cumsum(tp) / np.maximum(np.cumsum(tp) + np.cumsum(fp), 1e-9) if len(tp) else np.zeros(0)
        mrec = np.concatenate([[0.0], rec, [1.0]])
        mpre = np.concatenate([[0.0], prec, [0.0]])
        for j in range(len(mpre) - 2, -1, -1):
            mpre[j] = max(mpre[j], mpre[j + 1])
        idx = np.where(mrec[1:] != mrec[:-1])[0]
        aps.append(float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1])))
    return float(np.mean(aps)), [round(a, 4) for a in aps]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["seg", "det"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seg-epochs", type=int, default=8)
    ap.add_argument("--det-epochs", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    images, labels, masks, boxes = load("train")
    vimages, vlabels, vmasks, vboxes = load("val")
    x = to_input(images)
    summary_path = os.path.join(ROOT, "models", "shapes-objects.json")
    summary = json.load(open(summary_path)) if os.path.exists(summary_path) else {}

    if args.only in (None, "seg"):
        torch.manual_seed(SEED)
        seg = SegNet()
        y = seg_targets(labels, masks)
        weights = torch.ones(len(CLASSES) + 1)
        weights[0] = 0.3  # the background covers most pixels
        train_loop(seg, lambda idx: F.cross_entropy(seg(x[idx]), y[idx], weight=weights), len(x), args.seg_epochs, 4e-3, "seg")
        m, per_class, pixel_acc = miou(seg, vimages, vlabels, vmasks)
        print(f"seg: val mIoU {m:.4f} (per category {per_class}), pixel accuracy {pixel_acc:.4f}")
        layer = export_onnx(seg, os.path.join(ROOT, "models", "shapes-seg.onnx"), (1, 3, 64, 64), {
            "classes": ["background", *CLASSES], "normalization": NORMALIZATION,
            "description": "shapes segmentation (scripts/train_shapes_objects.py): logits [N, 6, 64, 64], category = shape class + 1",
        })
        summary["segmentation"] = {"model": "models/shapes-seg.onnx", "valImages": int(len(vimages)), "mIoU": round(m, 4), "perCategoryIoU": per_class, "pixelAccuracy": round(pixel_acc, 4), "epochs": args.seg_epochs, "defaultLayer": layer}
        write_json(summary_path, summary)

    if args.only in (None, "det"):
        torch.manual_seed(SEED)
        det = Detector()
        lab, bx, cells = torch.from_numpy(labels), torch.from_numpy(boxes), torch.from_numpy(responsible_cells(boxes))
        train_loop(det, lambda idx: det_loss(det, x[idx], lab[idx], bx[idx], cells[idx]), len(x), args.det_epochs, 4e-3, "det")
        m, per_class = mean_ap(det, vimages, vlabels, vboxes)
        print(f"det: val mAP@0.5 {m:.4f} (per class {per_class})")
        layer = export_onnx(det, os.path.join(ROOT, "models", "shapes-det.onnx"), (1, 3, 64, 64), {
            "classes": CLASSES, "normalization": NORMALIZATION,
            "description": "shapes detector (scripts/train_shapes_objects.py): raw YOLOv5-style head [N, 64, 10] = 8x8 cells x (cx, cy, w, h, objectness, 5 class scores)",
        }, output_name="detections")
        summary["detection"] = {"model": "models/shapes-det.onnx", "valImages": int(len(vimages)), "mAP50": round(m, 4), "perClassAP50": per_class, "epochs": args.det_epochs, "defaultLayer": layer}

    write_json(summary_path, summary)


if __name__ == "__main__":
    main()
