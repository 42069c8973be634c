"""Optuna peer for the search benchmark: runs the same grid search as `sweep` (same
configurations, same early-stopping rule, same data split) with Optuna 3.1 and PyTorch on
CPU, and prints one JSON line with its wall time, epochs trained and best configuration.

Usage: /usr/bin/python3 optuna_search.py DATA_DIR CONFIG_JSON
DATA_DIR: the four Fashion-MNIST .gz files (e.g. data/fashion-mnist).
CONFIG_JSON: {
  "grid": {"dropout": [..], "units": [[128], [256]], "learningRate": [..], ...}  values to try;
      any of model, epochs, activation, units, dropout, learningRate, batchSize, optimizer,
      filters, kernelSize, pooling. Keys not in the grid take the top-level value, else
      sweep's default (ann, 7 epochs, relu, [128], 0.2, adam, 0.001, 32; CNN [32, 64], 3, max).
  "epochs": 9, "trainLimit": 60000, "validationSplit": 0.1, "testLimit": 10000, "seed": 42,
  "pruner": {"type": "successive_halving", "min_resource": 1, "reduction_factor": 3,
             "min_early_stopping_rate": 0}
      or {"type": "hyperband", ...} or {"type": "median", ...} (the rest: the Optuna
      pruner's keyword arguments) or null: no pruning, the full grid;
  "sampler": "grid",
  "order": "optuna" (GridSampler's seeded shuffle, the default) or "grid" (sweep's order:
      the product over sorted keys, last key fastest, which is also GridSampler's grid id);
  "pruneLastEpoch": false (sweep never prunes a trial after its last epoch; true asks the
      pruner then too, as a plain Optuna loop would),
  "threads": 1
}

The model and training follow sweep's src/train: Flatten -> [Dense(units, activation) ->
Dropout]... -> Dense(10, softmax) (a CNN puts Conv(same) -> Pool blocks first); Glorot-uniform
kernels, zero biases; Adam with tfjs's defaults (beta 0.9/0.999, epsilon 1e-7); Keras's
sparse categorical cross-entropy on clipped softmax outputs; pixels / 255; the first trainLimit
training images, of which the last floor(trainLimit * validationSplit) validate; a fresh
shuffle each epoch, the last batch partial; validation accuracy after each epoch, reported to
Optuna at step = epoch (1-based, so rungs fall at epochs min_resource * eta^(s + k)); the
trial's value is its last validation accuracy; test accuracy once, for completed trials only.
Every trial uses the same seed (as sweep's trials share the sweep's seed): initial weights,
dropout masks and batch order depend on the seed and the configuration only.
"""
import json
import os
import sys

DATA_DIR, CONFIG = sys.argv[1], json.loads(sys.argv[2])
THREADS = int(CONFIG.get('threads', 1))
# Debian's torch calls OpenBLAS, whose own thread pool torch.set_num_threads does not reach.
for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'):
    os.environ[var] = str(THREADS)

import gzip  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import optuna  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(THREADS)
optuna.logging.set_verbosity(optuna.logging.WARNING)

# sweep's defaults (src/spec/hyperparameters.ts) for keys that neither the grid nor the config sets.
DEFAULTS = {
    'model': 'ann', 'epochs': 7, 'activation': 'relu', 'units': [128], 'dropout': 0.2,
    'optimizer': 'adam', 'learningRate': 0.001, 'batchSize': 32,
    'filters': [32, 64], 'kernelSize': 3, 'pooling': 'max',
}
CNN_ONLY = ('filters', 'kernelSize', 'pooling')
EPSILON = 1e-7  # Keras's and tfjs's: Adam's epsilon and the cross-entropy's clip


class HardSigmoid(nn.Module):
    """Keras's hard_sigmoid, clip(0.2x + 0.5, 0, 1) (torch's Hardsigmoid is x/6 + 0.5)."""

    def forward(self, x):
        return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


ACTIVATIONS = {
    'relu': nn.ReLU, 'tanh': nn.Tanh, 'sigmoid': nn.Sigmoid, 'elu': nn.ELU, 'selu': nn.SELU,
    'leaky_relu': lambda: nn.LeakyReLU(0.3), 'relu6': nn.ReLU6, 'softplus': nn.Softplus,
    'softsign': nn.Softsign, 'swish': nn.SiLU, 'mish': nn.Mish, 'gelu': nn.GELU,
    'hard_sigmoid': HardSigmoid, 'linear': nn.Identity,
}


def read_idx(path, offset):
    with gzip.open(path, 'rb') as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def tensors(images, labels, start, count):
    x = torch.from_numpy(images[start:start + count].astype(np.float32) / 255)
    return x, torch.from_numpy(labels[start:start + count].astype(np.int64))


def load_splits():
    """sweep's split (src/data/split.ts): the last validationSplit of the first trainLimit images validate."""
    train_images = read_idx(f'{DATA_DIR}/train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)
    train_labels = read_idx(f'{DATA_DIR}/train-labels-idx1-ubyte.gz', 8)
    test_images = read_idx(f'{DATA_DIR}/t10k-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)
    test_labels = read_idx(f'{DATA_DIR}/t10k-labels-idx1-ubyte.gz', 8)
    count = min(int(CONFIG.get('trainLimit', 60000)), len(train_labels))
    val = max(1, int(count * float(CONFIG.get('validationSplit', 0.1))))
    test = min(int(CONFIG.get('testLimit', 10000)), len(test_labels))
    return {
        'train': tensors(train_images, train_labels, 0, count - val),
        'val': tensors(train_images, train_labels, count - val, val),
        'test': tensors(test_images, test_labels, 0, test),
    }


def build(c):
    act = ACTIVATIONS[c['activation']]
    layers, width = [], 784
    if c['model'] == 'cnn':
        channels, size = 1, 28
        for f in c['filters']:
            layers += [nn.Conv2d(channels, f, c['kernelSize'], padding='same'), act()]
            if c['pooling'] != 'none':
                layers.append(nn.MaxPool2d(2) if c['pooling'] == 'max' else nn.AvgPool2d(2))
                size //= 2
            channels = f
        width = channels * size * size
    layers.append(nn.Flatten())
    for u in c['units']:
        layers += [nn.Linear(width, u), act()]
        if c['dropout'] > 0:
            layers.append(nn.Dropout(c['dropout']))
        width = u
    layers.append(nn.Linear(width, 10))  # logits; softmax is in loss() and accuracy needs none
    model = nn.Sequential(*layers)
    for m in model.modules():  # Keras's initialisers: Glorot-uniform kernels, zero biases
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def loss(logits, y):
    """Keras's sparse categorical cross-entropy of softmax outputs: -log(clip(p[y], eps, 1 - eps))."""
    p = torch.softmax(logits, dim=1).gather(1, y[:, None])
    return -torch.log(torch.clamp(p, EPSILON, 1 - EPSILON)).mean()


@torch.no_grad()
def accuracy(model, split):
    model.eval()
    x, y = split
    hits = sum(int((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum()) for i in range(0, len(y), 1000))
    return hits / len(y)


def pruner_from(spec):
    if spec is None:
        return optuna.pruners.NopPruner()
    args = {k: v for k, v in spec.items() if k != 'type'}
    kind = spec['type']
    if kind in ('successive_halving', 'asha'):
        return optuna.pruners.SuccessiveHalvingPruner(**args)
    if kind == 'hyperband':
        return optuna.pruners.HyperbandPruner(**args)
    if kind == 'median':
        return optuna.pruners.MedianPruner(**args)
    raise SystemExit(f'unknown pruner type {kind!r}')


class OrderedGridSampler(optuna.samplers.GridSampler):
    """GridSampler that takes the grid in order (grid id 0, 1, ...) instead of at random."""

    class _First:
        @staticmethod
        def choice(grid_ids):
            return min(grid_ids)

    def __init__(self, search_space, seed=None):
        super().__init__(search_space, seed)
        self._rng = self._First()


def main():
    if CONFIG.get('sampler', 'grid') != 'grid':
        raise SystemExit('only "sampler": "grid" is supported')
    grid = CONFIG['grid']
    # GridSampler's values must be scalars: lists (units, filters) go in as JSON text.
    space = {k: [json.dumps(v) if isinstance(v, list) else v for v in vs] for k, vs in grid.items()}
    seed = int(CONFIG.get('seed', 42))
    n_trials = int(np.prod([len(set(map(json.dumps, vs))) for vs in space.values()]))
    sampler_class = OrderedGridSampler if CONFIG.get('order', 'optuna') == 'grid' else optuna.samplers.GridSampler
    prune_last = bool(CONFIG.get('pruneLastEpoch', False))

    t_load = time.perf_counter()
    splits = load_splits()
    load_s = time.perf_counter() - t_load
    log = []

    def objective(trial):
        t0 = time.perf_counter()
        chosen = {k: trial.suggest_categorical(k, vs) for k, vs in space.items()}
        c = {**DEFAULTS, **{k: CONFIG[k] for k in DEFAULTS if k in CONFIG}}
        c.update({k: json.loads(v) if k in ('units', 'filters') else v for k, v in chosen.items()})
        if c['optimizer'] != 'adam':
            raise SystemExit('only adam is matched to sweep (tfjs defaults)')
        entry = {'number': trial.number, 'params': {k: c[k] for k in grid}, 'epochs': 0, 'val': []}
        log.append(entry)
        torch.manual_seed(seed)  # initial weights, then dropout masks
        shuffler = np.random.default_rng(seed)  # batch order
        model = build(c)
        opt = torch.optim.Adam(model.parameters(), lr=c['learningRate'], betas=(0.9, 0.999), eps=EPSILON)
        x, y = splits['train']
        b = c['batchSize']
        for epoch in range(1, c['epochs'] + 1):
            model.train()
            order = torch.from_numpy(shuffler.permutation(len(y)))
            for start in range(0, len(y), b):
                idx = order[start:start + b]
                opt.zero_grad()
                loss(model(x[idx]), y[idx]).backward()
                opt.step()
            val = accuracy(model, splits['val'])
            entry['epochs'], entry['seconds'] = epoch, time.perf_counter() - t0
            entry['val'].append(val)
            trial.report(val, step=epoch)
            if (epoch < c['epochs'] or prune_last) and trial.should_prune():
                entry['state'] = 'pruned'
                raise optuna.TrialPruned()
        entry['state'] = 'complete'
        entry['test'] = accuracy(model, splits['test'])
        trial.set_user_attr('test_accuracy', entry['test'])
        entry['seconds'] = time.perf_counter() - t0
        return val

    study = optuna.create_study(direction='maximize', sampler=sampler_class(space, seed=seed),
                                pruner=pruner_from(CONFIG.get('pruner')))
    t_study = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    wall_s = time.perf_counter() - t_study

    states = [t.state for t in study.trials]
    best = study.best_trial  # completed trials only, by validation accuracy
    best_entry = next(e for e in log if e['number'] == best.number)
    out = {
        'wall_s': round(wall_s, 3), 'load_s': round(load_s, 3),
        'epochs_trained': sum(e['epochs'] for e in log),
        'trials': len(study.trials),
        'completed': states.count(optuna.trial.TrialState.COMPLETE),
        'pruned': states.count(optuna.trial.TrialState.PRUNED),
        'best': {'number': best.number, 'params': best_entry['params'], 'val_accuracy': best.value,
                 'test_accuracy': best.user_attrs['test_accuracy']},
    }
    if CONFIG.get('pruner') is None:
        out['grid_best_val'] = best.value
    out['per_trial'] = [
        {'number': e['number'], 'params': e['params'], 'state': e['state'], 'epochs': e['epochs'],
         'seconds': round(e['seconds'], 3), 'val_accuracy': e['val'][-1], **({'test_accuracy': e['test']} if 'test' in e else {})}
        for e in log
    ]
    out['env'] = {'optuna': optuna.__version__, 'torch': torch.__version__, 'threads': torch.get_num_threads(),
                  'train': len(splits['train'][1]), 'val': len(splits['val'][1]), 'test': len(splits['test'][1])}
    print(json.dumps(out))


main()
