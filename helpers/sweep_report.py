"""Talk to sweep from a trial program, with nothing installed: Python 3.8 or later, its
standard library only (tested on Debian's 3.11).

Copy this file next to your script, or put sweep's helpers/ folder on PYTHONPATH:

    from sweep_report import params, report, should_stop, trial_dir

    p = params()                          # this trial's hyperparameters
    for epoch in range(1, p.get("epochs", 10) + 1):
        loss, acc = train_one_epoch(p["lr"])
        report(epoch, loss=loss, val_accuracy=acc)
        if should_stop():                 # sweep asked this trial to stop
            save_checkpoint(trial_dir())
            break

sweep reads reports from standard output: one JSON line each, which any program may print
itself (`{"step": 3, "loss": 0.25}`).

Importing this module installs a SIGTERM handler (sweep stops a trial with SIGTERM) that only
notes the request, after calling any handler the script had set: should_stop() turns True and
the script ends itself. A script that never asks goes on until sweep's grace ends and it is
killed.
"""

import json
import operator
import os
import signal
import sys

__all__ = ["params", "report", "should_stop", "trial_dir"]

# The names sweep reads as the step, never as a metric (src/trial/program/line-formats.ts).
_STEP_NAMES = ("step", "epoch", "global_step")

_stop_asked = False


def report(step, metrics=None, /, **named):
    """Print one report: `step` (a whole number from 0, growing) and metrics, as
    report(3, loss=0.25) or report(3, {"val/loss": 0.25}). Values are numbers; NaN and the
    infinities are printed the way sweep reads them. Flushes, so sweep sees it at once."""
    try:
        if isinstance(step, bool):
            raise TypeError
        step = operator.index(step)  # an int, or NumPy's
    except TypeError:
        raise TypeError(f"report: the step must be a whole number, not {step!r}") from None
    if step < 0:
        raise ValueError(f"report: the step must be at least 0, not {step}")
    values = {**(metrics or {}), **named}
    line = {"step": step}
    for name, value in values.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"report: a metric's name must be a non-empty string, not {name!r}")
        if name in _STEP_NAMES:
            raise ValueError(f"report: {name!r} would be read as the step; give the step first, and name the metric otherwise")
        try:
            if isinstance(value, (str, bytes)):
                raise TypeError  # float() would read "0.5": a string here is a slip
            # float() takes NumPy's and PyTorch's scalars too, which json cannot write.
            line[name] = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"report: metric {name!r} must be a number, not {value!r}") from None
    # json writes NaN and Infinity bare: not JSON, but what sweep reads.
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def params():
    """This trial's parameters: the JSON object in the file that SWEEP_PARAMS_FILE names, or {}
    when it names none (the script run by hand). A fresh dict at each call."""
    path = os.environ.get("SWEEP_PARAMS_FILE")
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        loaded = json.load(f)
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: the trial's parameters must be a JSON object")
    return loaded


def should_stop():
    """True once sweep has asked this trial to stop: it sent SIGTERM, or a file `stop` stands in
    the trial's folder (SWEEP_TRIAL_DIR). The script decides what to do: save, report, return."""
    if _stop_asked:
        return True
    folder = os.environ.get("SWEEP_TRIAL_DIR")
    return bool(folder) and os.path.exists(os.path.join(folder, "stop"))


def trial_dir():
    """The trial's own folder, kept across its runs (for checkpoints): SWEEP_TRIAL_DIR, or the
    current directory when the script runs by hand."""
    return os.environ.get("SWEEP_TRIAL_DIR") or os.getcwd()


def _install_sigterm_handler():
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame):
        global _stop_asked
        _stop_asked = True
        if callable(previous):
            previous(signum, frame)

    try:
        signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:
        pass  # imported outside the main thread, where Python sets no handler: the stop file still tells


_install_sigterm_handler()
