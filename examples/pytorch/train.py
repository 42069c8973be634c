"""The Keras notebook's ANN on Fashion-MNIST, in PyTorch: Flatten -> Linear(784, units) ->
activation -> Dropout -> Linear(units, 10), Adam, cross-entropy, the last 10% of the training
images held out for validation (Keras's validation_split=0.1).

It takes its hyperparameters as W&B's agent passes them (--name=value), prints one line of
metrics per epoch (`epoch=3 loss=... val_loss=... val_accuracy=...`), which sweep reads with no
library, and checkpoints into the trial's folder after each epoch, so that a trial that sweep
re-runs after a crash goes on from its last epoch. Runs on Debian's python3-torch, one thread.

    python3 train.py --epochs=2 --units=64       # by hand
    sweep run examples/pytorch/sweep.yaml         # a sweep of it
"""
import argparse
import gzip
import os
import signal
import struct
import sys

import torch

torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "data", "fashion-mnist")


def read_idx(path):
    """An IDX file (gzipped) as a uint8 tensor of its shape."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(raw[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def load(data, limit):
    x = read_idx(os.path.join(data, "train-images-idx3-ubyte.gz")).float().div_(255).reshape(-1, 784)
    y = read_idx(os.path.join(data, "train-labels-idx1-ubyte.gz")).long()
    held = len(x) // 10  # Keras's validation_split takes the last 10%, before any shuffling
    x_train, y_train, x_val, y_val = x[:-held], y[:-held], x[-held:], y[-held:]
    if limit:
        x_train, y_train, x_val, y_val = x_train[:limit], y_train[:limit], x_val[:limit // 9], y_val[:limit // 9]
    return x_train, y_train, x_val, y_val


def parse_args(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=7)
    p.add_argument("--units", type=int, default=128)
    p.add_argument("--activation", choices=["relu", "tanh", "sigmoid"], default="relu")
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--learning_rate", type=float, default=0.001)
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--limit", type=int, default=0, help="train on the first N images only (0: all 54,000)")
    p.add_argument("--data", default=DATA)
    return p.parse_args(argv)


def fit(a, on_batch=lambda done, total, loss, acc: None, on_epoch=lambda epoch, epochs: None):
    """Trains as Keras's fit would, yielding each epoch's metrics; resumes from the trial's
    checkpoint where one is saved. A SIGTERM (sweep's early stop) ends it after the batch."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))

    torch.manual_seed(a.seed)
    x_train, y_train, x_val, y_val = load(a.data, a.limit)
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[a.activation]
    model = torch.nn.Sequential(torch.nn.Linear(784, a.units), act(), torch.nn.Dropout(a.dropout), torch.nn.Linear(a.units, 10))
    opt = torch.optim.Adam(model.parameters(), lr=a.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()

    # The trial's own folder, kept across its runs: where it goes on from after a crash.
    folder = os.environ.get("SWEEP_TRIAL_DIR")
    checkpoint = os.path.join(folder, "checkpoint.pt") if folder else None
    start = 1
    if checkpoint and os.path.exists(checkpoint):
        saved = torch.load(checkpoint)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        torch.set_rng_state(saved["rng"])
        start = saved["epoch"] + 1
        print(f"resuming after epoch {saved['epoch']}", file=sys.stderr)

    batches = (len(x_train) + a.batch_size - 1) // a.batch_size
    for epoch in range(start, a.epochs + 1):
        on_epoch(epoch, a.epochs)
        model.train()
        order = torch.randperm(len(x_train))
        total, correct, seen = 0.0, 0, 0
        for b, i in enumerate(range(0, len(order), a.batch_size)):
            idx = order[i:i + a.batch_size]
            out = model(x_train[idx])
            loss = loss_fn(out, y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            correct += (out.argmax(1) == y_train[idx]).sum().item()
            seen += len(idx)
            on_batch(b + 1, batches, total / seen, correct / seen)
            if stop:
                return
        model.eval()
        with torch.no_grad():
            out = model(x_val)
            val_loss = loss_fn(out, y_val).item()
            val_acc = (out.argmax(1) == y_val).float().mean().item()
        if checkpoint:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "rng": torch.get_rng_state(), "epoch": epoch}, checkpoint)
        yield {"epoch": epoch, "loss": total / seen, "accuracy": correct / seen, "val_loss": val_loss, "val_accuracy": val_acc}


def main():
    for m in fit(parse_args()):
        print(f"epoch={m['epoch']} loss={m['loss']:.6f} accuracy={m['accuracy']:.6f} "
              f"val_loss={m['val_loss']:.6f} val_accuracy={m['val_accuracy']:.6f}", flush=True)


if __name__ == "__main__":
    main()
