/**
 * W&B's documented sweep configurations, quoted as its docs print them (docs.wandb.ai, "Define
 * a sweep configuration"): what the W&B tests and the program examples are held to.
 */

/** The first example of the sweep configuration docs: a program's sweep, Bayesian, of validation_loss. */
export const SWEEPDEMO = `program: train.py
name: sweepdemo
method: bayes
metric:
  goal: minimize
  name: validation_loss
parameters:
  learning_rate:
    min: 0.0001
    max: 0.1
  batch_size:
    values: [16, 32, 64]
  epochs:
    values: [5, 10, 15]
  optimizer:
    values: ["adam", "sgd"]
`;
