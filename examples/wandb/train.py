"""A tiny training script written for W&B's agent, as its docs' examples expect one: it takes
its hyperparameters as `--name=value` arguments (W&B's ${args}), ignores arguments it does not
know (the custom command's `-b your-training-config`), and prints its metrics. Standard library
only: it fits a line to noisy points (y = 3x + 1) by minibatch SGD or Adam, and reports the
mean squared error on held-out points as `validation_loss` after each epoch.

    python3 train.py --learning_rate=0.01 --optimizer=adam --batch_size=16 --epochs=5
"""
import argparse
import math
import random

p = argparse.ArgumentParser()
p.add_argument("--learning_rate", "--lr", type=float, default=0.01)
p.add_argument("--optimizer", choices=["adam", "sgd"], default="sgd")
p.add_argument("--batch_size", "--batchsize", type=int, default=16)
p.add_argument("--epochs", type=int, default=5)
args, unknown = p.parse_known_args()  # as W&B's docs advise for arguments outside argparse

rng = random.Random(0)
points = [(x, 3 * x + 1 + rng.gauss(0, 0.1)) for x in (rng.uniform(-1, 1) for _ in range(600))]
train, held = points[:500], points[500:]
w = b = 0.0
m = [0.0, 0.0]
v = [0.0, 0.0]
t = 0


def mse(data):
    return sum((w * x + b - y) ** 2 for x, y in data) / len(data)


for epoch in range(1, args.epochs + 1):
    rng.shuffle(train)
    for i in range(0, len(train), args.batch_size):
        batch = train[i:i + args.batch_size]
        gw = sum(2 * (w * x + b - y) * x for x, y in batch) / len(batch)
        gb = sum(2 * (w * x + b - y) for x, y in batch) / len(batch)
        if args.optimizer == "sgd":
            w, b = w - args.learning_rate * gw, b - args.learning_rate * gb
        else:
            t += 1
            step = []
            for k, g in enumerate((gw, gb)):
                m[k] = 0.9 * m[k] + 0.1 * g
                v[k] = 0.999 * v[k] + 0.001 * g * g
                step.append(args.learning_rate * (m[k] / (1 - 0.9 ** t)) / (math.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8))
            w, b = w - step[0], b - step[1]
    print(f"epoch={epoch} loss={mse(train):.6g} validation_loss={mse(held):.6g}", flush=True)
