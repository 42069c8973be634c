/** The small deterministic sweep the determinism tests run (test/cli/deterministic.test.ts, test/faults/deterministic-pg.test.ts), and what they compare. */
import { sweep } from './run-cli.js';

export const DETERMINISTIC_SPEC = (name: string, trials: number) => `name: ${name}
seed: 3
data: {trainLimit: 3000, testLimit: 500, validationSplit: 0.2}
search:
  method: tpe
  trials: ${trials}
  earlyStopping: {type: asha, minEpochs: 1, reductionFactor: 2}
grid:
  epochs: [3]
  units: [[16], [32]]
  learningRate: {min: 0.0003, max: 0.03, log: true}
  dropout: {min: 0.0, max: 0.5}
`;

/** Everything a sweep in `db` recorded that does not depend on time: its trials, epochs and decisions, by number (read by `sweep query`, alike from either backend). */
export async function recorded(db: string) {
  const query = async (sql: string): Promise<unknown[]> => {
    const r = await sweep('query', sql, '--db', db, '--json');
    if (r.code !== 0) throw new Error(r.err);
    return JSON.parse(r.out) as unknown[];
  };
  return {
    trials: await query(`SELECT number, config_id, config_json, status, epochs_done, weights_sha256, val_accuracy, val_loss, test_accuracy, test_loss,
      params, metric_value, search_json, error FROM trials ORDER BY number`),
    epochs: await query(`SELECT t.number, e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy FROM epochs e JOIN trials t ON t.id = e.trial_id
      ORDER BY t.number, e.epoch`),
    decisions: await query(`SELECT t.number, d.epoch, d.scheduler, d.bracket, d.rung, d.value, d.threshold, d.compared, d.verdict
      FROM decisions d JOIN trials t ON t.id = d.trial_id ORDER BY t.number, d.epoch`),
  };
}

