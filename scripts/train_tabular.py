#!/usr/bin/python3
"""Dev script (issue 21): a small MLP on scikit-learn's breast-cancer data, exported to ONNX, and
scikit-learn's own partial_dependence (method='brute') on the same network as the reference for Lumen's PDP/ICE.

Writes test/fixtures/tabular/:
  breast_cancer.csv            the 569 rows, header = sklearn's feature names + 'target' (0 malignant, 1 benign)
  breast_cancer_mlp.onnx       input 'features' [batch, 30] (raw values: standardization is inside the net),
                               output 'logits' [batch, 2]; metadata lumen.classes
  breast_cancer_pdp_ref.json   sklearn.inspection.partial_dependence of P(benign) (predict_proba[:, 1]):
                               1-D kind='both' for two features, 2-D average for the pair

Run with Debian's python3 (python3-sklearn, python3-torch, python3-onnx): /usr/bin/python3 scripts/train_tabular.py
"""
import json
import os

import numpy as np
import onnx
import sklearn
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer
from sklearn.inspection import partial_dependence

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'tabular')
GRID = 20
GRID_2D = 8
ICE_ROWS = 100
FEATURES_1D = ['mean radius', 'worst texture']
PAIR = ['mean radius', 'worst texture']


class Net(torch.nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32))
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32))
        self.body = torch.nn.Sequential(torch.nn.Linear(30, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))

    def forward(self, x):
        return self.body((x - self.mean) / self.std)


class TorchClassifier(ClassifierMixin, BaseEstimator):
    """The trained net as a fitted scikit-learn classifier (predict_proba = softmax of its logits, float32)."""

    def __init__(self, net=None):
        self.net = net

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        with torch.no_grad():
            logits = self.net(torch.tensor(np.asarray(X), dtype=torch.float32))
            return torch.softmax(logits, dim=1).double().numpy()

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    data = load_breast_cancer()
    X = data.data  # float64 as in the CSV (the short decimals sklearn ships); both models see them as float32
    y = data.target
    names = [str(n) for n in data.feature_names]
    net = Net(X.mean(0), X.std(0))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=1e-2)
    xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(y)
    for _ in range(60):  # few steps: probabilities stay smooth (not saturated), so the PDP has shape
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(xt), yt)
        loss.backward()
        opt.step()
    net.eval()
    acc = float((net(xt).argmax(1) == yt).float().mean())
    print(f'train accuracy {acc:.4f}, loss {float(loss):.4f}')

    with open(os.path.join(OUT, 'breast_cancer.csv'), 'w') as f:
        f.write(','.join(f'"{n}"' if ' ' in n else n for n in names) + ',target\n')
        for row, t in zip(X, y):
            f.write(','.join(repr(float(v)) for v in row) + f',{int(t)}\n')

    path = os.path.join(OUT, 'breast_cancer_mlp.onnx')
    torch.onnx.export(net, xt[:1], path, input_names=['features'], output_names=['logits'],
                      dynamic_axes={'features': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=17)
    model = onnx.load(path)
    prop = model.metadata_props.add()
    prop.key = 'lumen.classes'
    prop.value = json.dumps([str(c) for c in data.target_names])
    onnx.save(model, path)

    est = TorchClassifier(net)
    est.classes_ = np.array([0, 1])
    ref = {'sklearn': sklearn.__version__, 'grid_resolution': GRID, 'percentiles': [0.05, 0.95], 'one_d': [], 'two_d': None}
    for name in FEATURES_1D:
        j = names.index(name)
        pd = partial_dependence(est, X, [j], kind='both', grid_resolution=GRID, method='brute')
        # ICE of the first ICE_ROWS rows (keeps the file small; the average covers every row)
        ref['one_d'].append({'feature': name, 'grid': pd['values'][0].tolist(), 'average': pd['average'][0].tolist(),
                             'individual': np.round(pd['individual'][0][:ICE_ROWS], 10).tolist()})
    pair = [names.index(n) for n in PAIR]
    pd = partial_dependence(est, X, [tuple(pair)], kind='average', grid_resolution=GRID_2D, method='brute')
    ref['two_d'] = {'features': PAIR, 'grid_resolution': GRID_2D, 'grid': [v.tolist() for v in pd['values']],
                    'average': pd['average'][0].tolist()}
    with open(os.path.join(OUT, 'breast_cancer_pdp_ref.json'), 'w') as f:
        json.dump(ref, f)
    print('wrote', OUT)


if __name__ == '__main__':
    main()
