"""Optuna peer for bench/pareto.mjs: Optuna 3.1's samplers on the same table-lookup space.

Usage: /usr/bin/python3 bench/optuna_pareto.py CONFIG_JSON
CONFIG_JSON: {
  "table": {"ann/1/1/0.0/1": [val_accuracy, train_seconds], ...}  the objectives of every
      configuration, keyed model/size/depth/dropout/epochs as keyOf below writes them;
  "space": {"model": ["ann", "cnn"], "size": [1, 2, 3], ...}  each parameter's choices, in
      the order the sweep's spec lists them (suggest_categorical, as the sweep's lists are);
  "runs": [{"sampler": "nsga2", "population": 50, "seed": 0, "trials": 40}, ...]
      sampler: nsga2 (NSGAIISampler with population_size), tpe (TPESampler, which is
      multi-objective TPE with two directions) or random (RandomSampler); defaults otherwise.
}
Prints one JSON line: for each run, its trials in order, each [val_accuracy, train_seconds,
key]. A configuration proposed twice is evaluated twice and counts twice, as Optuna counts it.
"""
import json
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
CONFIG = json.loads(sys.argv[1])
TABLE = CONFIG['table']
SPACE = CONFIG['space']
ORDER = ['model', 'size', 'depth', 'dropout', 'epochs']


def key_of(params):
    return '/'.join(str(params[k]) for k in ORDER)


def sampler_of(run):
    if run['sampler'] == 'nsga2':
        return optuna.samplers.NSGAIISampler(population_size=run['population'], seed=run['seed'])
    if run['sampler'] == 'tpe':
        return optuna.samplers.TPESampler(seed=run['seed'])
    if run['sampler'] == 'random':
        return optuna.samplers.RandomSampler(seed=run['seed'])
    raise ValueError(f"unknown sampler {run['sampler']}")


def one(run):
    study = optuna.create_study(directions=['maximize', 'minimize'], sampler=sampler_of(run))
    trials = []

    def objective(trial):
        key = key_of({name: trial.suggest_categorical(name, SPACE[name]) for name in ORDER})
        accuracy, seconds = TABLE[key]
        trials.append([accuracy, seconds, key])
        return accuracy, seconds

    study.optimize(objective, n_trials=run['trials'])
    return {**run, 'trials': trials}


print(json.dumps({'optuna': optuna.__version__, 'runs': [one(run) for run in CONFIG['runs']]}))
