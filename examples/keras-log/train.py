"""A program whose output sweep cannot change: it prints what Keras's `model.fit(verbose=1)`
prints, and nothing else. Keras is not installable here, so this trains the notebook's ANN in
PyTorch (../pytorch/train.py) and writes Keras 2's progress bar as Keras's Progbar does: an
`Epoch 3/7` line, the bar redrawn with `\\b` and `\\r` while the epoch runs, and its last state
`1688/1688 [====...] - 4s 2ms/step - loss: 0.3312 - accuracy: 0.8788 - val_loss: ... - val_accuracy: ...`.

The spec beside it reads those lines with `collect: {filter, step}`: the same spec sweeps the
Keras notebook itself, saved as a script whose hyperparameters come from argparse
(test/trial/program/keras.test.ts checks the filter on Keras 2's and 3's own output).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pytorch"))
from train import fit, parse_args  # noqa: E402

WIDTH = 30


def keras_number(v):
    # Keras's Progbar: ' %.4f' above 1e-3, else ' %.4e'.
    return f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"


def bar(done, total):
    filled = int(WIDTH * done / total)
    return "=" * filled + (">" if done < total else "") + "." * (WIDTH - filled - (1 if done < total else 0))


def main():
    a = parse_args()
    out = sys.stdout
    state = {"start": 0.0, "drawn": 0, "last": 0.0, "steps": 0}

    def draw(text):
        out.write("\b" * state["drawn"] + "\r" + text)
        out.flush()
        state["drawn"] = len(text)

    def on_epoch(epoch, epochs):
        out.write(f"Epoch {epoch}/{epochs}\n")
        out.flush()
        state.update(start=time.time(), drawn=0, last=0.0)

    def on_batch(done, total, loss, acc):
        state["steps"] = total
        now = time.time()
        if done < total and now - state["last"] < 0.05:
            return
        state["last"] = now
        eta = (now - state["start"]) / done * (total - done)
        draw(f"{done:>{len(str(total))}}/{total} [{bar(done, total)}] - ETA: {int(eta)}s - loss: {keras_number(loss)} - accuracy: {keras_number(acc)}")

    for m in fit(a, on_batch, on_epoch):
        n, seconds = state["steps"], time.time() - state["start"]
        draw(f"{n}/{n} [{'=' * WIDTH}] - {int(seconds)}s {int(seconds * 1000 / n)}ms/step - loss: {keras_number(m['loss'])} - "
             f"accuracy: {keras_number(m['accuracy'])} - val_loss: {keras_number(m['val_loss'])} - val_accuracy: {keras_number(m['val_accuracy'])}")
        out.write("\n")
        out.flush()


if __name__ == "__main__":
    main()
