"""PyTorch peer for `npm run bench`: trains the same models on the same Fashion-MNIST
images for a fixed number of steps on one thread, and prints samples/s as JSON.

Usage: python3 torch_bench.py DATA_DIR CASES_JSON
CASES_JSON: [{"name", "model": "ann"|"cnn", "units": [..], "filters": [..], "dropout", "batch", "steps", "reps"}]
A case with "epochs": E instead times E whole epochs as a user's loop runs them (bench/epoch-speed.mjs,
against the epochs `sweep run` records): each epoch a fresh shuffle of the first TRAIN images, every
batch (the last one partial), then accuracy on the VALIDATION images after them, no gradients, in
slices of 1,000; it prints each epoch's seconds. "train" and "validation" give the counts.
"""
import os
import sys

# One thread, OpenBLAS's too, set before torch loads it (as bench/optuna_search.py does): without
# OPENBLAS_NUM_THREADS its pthread build ran the notebook's ANN slower and less evenly here (19-29k
# against 30-38k samples/s at batch 32).
for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'):
    os.environ[var] = '1'

import gzip  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)


def read_idx(path, offset):
    with gzip.open(path, 'rb') as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def build(case):
    layers = []
    if case['model'] == 'cnn':
        channels, size = 1, 28
        for f in case['filters']:
            layers += [nn.Conv2d(channels, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            channels, size = f, size // 2
        layers.append(nn.Flatten())
        width = channels * size * size
    else:
        layers.append(nn.Flatten())
        width = 784
    for u in case['units']:
        layers += [nn.Linear(width, u), nn.ReLU()]
        if case['dropout'] > 0:
            layers.append(nn.Dropout(case['dropout']))
        width = u
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def run(case, x, y):
    model = build(case)
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    b, steps = case['batch'], case['steps']
    perm = torch.randperm(x.shape[0])
    model.train()

    def step(i):
        idx = perm[(i * b) % (x.shape[0] - b):][:b]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()

    for i in range(3):
        step(i)
    t = time.perf_counter()
    for i in range(steps):
        step(i)
    return steps * b / (time.perf_counter() - t)


def epochs(case, x, y):
    """Seconds of each of case['epochs'] epochs, validation included, from a fresh model."""
    model = build(case)
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    b, n_train, n_val = case['batch'], case['train'], case['validation']
    xt, yt = x[:n_train], y[:n_train]
    xv, yv = x[n_train:n_train + n_val], y[n_train:n_train + n_val]
    seconds = []
    for _ in range(case['epochs']):
        t = time.perf_counter()
        perm = torch.randperm(n_train)
        model.train()
        for i in range(0, n_train, b):
            idx = perm[i:i + b]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        model.eval()
        hits = 0
        with torch.no_grad():
            for i in range(0, n_val, 1000):
                hits += int((model(xv[i:i + 1000]).argmax(1) == yv[i:i + 1000]).sum())
        seconds.append(time.perf_counter() - t)
    return {'seconds': seconds, 'val_accuracy': hits / n_val}


def main():
    data_dir, cases = sys.argv[1], json.loads(sys.argv[2])
    images = read_idx(f'{data_dir}/train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)
    labels = read_idx(f'{data_dir}/train-labels-idx1-ubyte.gz', 8)
    x = torch.from_numpy(images.astype(np.float32) / 255)
    y = torch.from_numpy(labels.astype(np.int64))
    out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'cases': {}}
    for case in cases:
        if 'epochs' in case:
            out['cases'][case['name']] = epochs(case, x, y)
            continue
        # A process's first run of a case is not timed: on the 2-core machine it ran 2-3x slower
        # than the runs after it (8-16k against 20-40k samples/s for the notebook's ANN), even
        # when it warmed up for 3 s first; sweep's side is timed warm too.
        run(case, x, y)
        runs = [run(case, x, y) for _ in range(case['reps'])]
        out['cases'][case['name']] = {'median': statistics.median(runs), 'runs': runs}
    print(json.dumps(out))


main()
