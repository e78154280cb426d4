"""Shared ONNX export for Lumen's dev training scripts (train_fashion.py, train_shapes.py).

Conventions: opset 17, input `input` and output `logits` with a dynamic batch dim, eval mode (the
exporter folds BatchNorm into the convolutions), weights embedded, `lumen.*` metadata_props.
"""
import json

import onnx
import torch


def last_relu_output(model_proto):
    """ONNX tensor name of the last Relu's output: the default CAM layer."""
    relus = [n for n in model_proto.graph.node if n.op_type == "Relu"]
    return relus[-1].output[0]


def export_onnx(model, path, input_shape, meta, output_name="logits"):
    """Export `model` to `path` and embed `meta` as lumen.* metadata. Returns the default layer name.

    Every value of `meta` is stored as JSON, except strings which are stored as is. `output_name` names the output
    (e.g. "detections" for a detection head).
    """
    model.eval()
    dummy = torch.zeros(*input_shape)
    torch.onnx.export(
        model, dummy, path, opset_version=17, input_names=["input"], output_names=[output_name],
        dynamic_axes={"input": {0: "batch"}, output_name: {0: "batch"}},
        do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL,
    )
    proto = onnx.load(path)
    assert not any(n.op_type == "BatchNormalization" for n in proto.graph.node), "BN was not folded"
    default_layer = last_relu_output(proto)
    props = {"lumen.defaultLayer": default_layer}
    for key, value in meta.items():
        props[f"lumen.{key}"] = value if isinstance(value, str) else json.dumps(value)
    del proto.metadata_props[:]
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    return default_layer


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
