/**
 * Two processes, `sweep run` and `sweep worker`, with two trials at a time each, on one NSGA-II
 * sweep in PostgreSQL: no generation is produced twice, and the run completes every trial.
 *
 * What "a generation twice" means under src/search/nsga2.ts's rule (Optuna 4.3's
 * `_ga/_base.py`): a new trial joins the highest generation g among the complete trials, or
 * g + 1 once g has `population` complete trials; the first trial of a generation records its
 * parents (the elite of g − 1 and g − 1's parents) and every later one breeds from those. A
 * generation is produced twice if two processes each start it, each with parents of its own
 * (two proposers that read the trials outside the proposal lock would). So:
 * - every trial of generation g records the same parents, which are `population` trials of
 *   g − 1 and g − 1's parents, and each child is bred from them;
 * - generations follow trial numbers: a generation's trials are consecutive numbers (numbers
 *   are given under the lock, in proposal order), and no generation begins before `population`
 *   trials of the one before it completed;
 * - a generation may hold more than `population` trials, by the rule itself: trials proposed
 *   while fewer than `population` of it were complete join it, so with 4 trials in flight it
 *   holds at most population + 3; every one but the last holds at least `population`.
 *
 * Every wait is on an output line or an exit. The program's first action is to read its fd 20,
 * a pipe from this test that every process the sweep starts inherits (as in
 * program-crash.test.ts): until the test closes it, no trial can finish, so the test first
 * sees each process start two trials, and both take part from the first generation on.
 * An audit trigger numbers every insert into `trials` and every completion, in the order the
 * server executed them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/spec/load-spec.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { rankTrials } from '../../src/sweep/fronts.js';
import { createTestDb, withPg } from '../store/pg-test-db.js';
import { tempDir } from '../temp-dir.js';
import { PYTHON } from '../trial/program/proc.js';
import { BIN } from './run-cli.js';

const POPULATION = 4;
const TRIALS = 26;
/** Trials in flight at once: two processes, two each. */
const SLOTS = 4;

// Waits on its gate (fd 20: EOF once the test closes it), then reports. The objectives pull
// against each other (acc wants x near 0.7, cost wants x and y small) and size bounds x, so that
// elites are chosen by rank, crowding and constraints, not all alike.
const PROGRAM = `import os
try:
    os.read(20, 1)
except OSError:
    pass
x = float(os.environ["SWEEP_PARAM_X"]); y = float(os.environ["SWEEP_PARAM_Y"])
print(f"epoch=1 acc={1 - (x - 0.7) ** 2 - 0.1 * y:.6f} cost={x * 10 + y:.6f} size={x * 1000:.0f}", flush=True)
`;


const SPEC = `name: nsga-pg
program: prog.py
interpreter: ${PYTHON}
metrics:
  - {name: acc, goal: maximize}
  - {name: cost, goal: minimize}
constraints: ["size <= 800"]
search: {method: nsga2, trials: ${TRIALS}, population: ${POPULATION}}
grid:
  x: {min: 0.0, max: 1.0}
  y: {min: 0.0, max: 1.0}
`;

const AUDIT = `
  CREATE TABLE audit (seq bigserial PRIMARY KEY, op text NOT NULL, number bigint NOT NULL, status text);
  CREATE FUNCTION audit_trials() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    IF TG_OP = 'INSERT' OR (NEW.status = 'completed' AND OLD.status <> 'completed') THEN
      INSERT INTO audit (op, number, status) VALUES (TG_OP, NEW.number, NEW.status);
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER audit_trials AFTER INSERT OR UPDATE ON trials FOR EACH ROW EXECUTE FUNCTION audit_trials();
`;

type Proc = {
  readonly child: ChildProcess;
  out: string;
  readonly exit: Promise<number | null>;
  /** Resolves once the output matches `re` `times` times; rejects with the output after `ms`. */
  waitFor(re: RegExp, times: number, ms: number): Promise<void>;
  /** Closes the gate: the trials it holds, and all later ones, go on. */
  open(): void;
};

/** `sweep ARGS…` in `cwd` with fd 20 a pipe whose far end this test holds. */
function start(cwd: string, args: string[]): Proc {
  const stdio = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(17).fill('ignore'), 'pipe'] as const;
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: [...stdio], env: { ...process.env, CI: '1' } });
  const gate = (child.stdio as unknown as Writable[])[20];
  const waiters: (() => void)[] = [];
  const p: Proc = {
    child, out: '',
    exit: new Promise((done) => child.on('exit', (code) => done(code))),
    waitFor(re, times, ms) {
      const global = new RegExp(re.source, 'gm');
      const met = () => (p.out.match(global) ?? []).length >= times;
      return new Promise((done, failed) => {
        const timer = setTimeout(() => failed(new Error(`sweep ${args[0]}: ${times} × ${re} not seen in ${ms} ms:\n${p.out}`)), ms);
        const check = () => { if (met()) { clearTimeout(timer); done(); return true; } return false; };
        if (!check()) waiters.push(() => void check());
      });
    },
    open: () => gate.destroy(),
  };
  const take = (d: Buffer) => {
    p.out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  return p;
}

type Search = { method: string; generation: number; parents: number[]; bredFrom: number[] };
type Row = { number: number; config_id: string; status: string; attempts: number; owner: string; search: Search };

describe('sweep run and sweep worker on one NSGA-II sweep in PostgreSQL', () => {
  it('never produce a generation twice, and complete every trial', async () => {
    const pg = await createTestDb();
    const dir = tempDir('sweep-nsga2-pg-');
    writeFileSync(join(dir, 'prog.py'), PROGRAM);
    writeFileSync(join(dir, 'spec.yaml'), SPEC);
    // The schema first, then the audit on it, before any trial exists.
    await (await PostgresStore.open(pg.url)).close();
    await withPg(pg.url, (c) => c.query(AUDIT));

    const run = start(dir, ['run', join(dir, 'spec.yaml'), '--db', pg.url, '--workers', '2']);
    let worker: Proc | undefined;
    try {
      // The sweep is recorded before the run says how many trials it has to train.
      await run.waitFor(/^sweep nsga-pg: /, 1, 60_000);
      worker = start(dir, ['worker', '--db', pg.url, '--workers', '2']);
      // Both processes hold two trials each, none of which can finish yet: then all go on.
      await Promise.all([run.waitFor(/ started$/, 2, 60_000), worker.waitFor(/ started$/, 2, 60_000)]);
      run.open();
      worker.open();
      const codes = await Promise.all([run.exit, worker.exit]);
      expect(codes, `run:\n${run.out}\nworker:\n${worker.out}`).toEqual([0, 0]);
    } finally {
      for (const p of [run, worker]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
    }
    expect(worker.out).toMatch(/^worker: no trials left$/m);

    const { trials, audit, fronts } = await withPg(pg.url, async (c) => ({
      trials: (await c.query(`SELECT number::int, config_id, status, attempts::int, owner, search_json FROM trials ORDER BY number`)).rows
        .map(({ search_json, ...t }) => ({ ...t, search: JSON.parse(search_json) })) as Row[],
      audit: (await c.query('SELECT seq::int, op, number::int FROM audit ORDER BY seq')).rows as { seq: number; op: string; number: number }[],
      fronts: (await c.query(`SELECT t.id::int AS "trialId", t.number::int, f.front::int, f.violation,
          (SELECT array_agg(o.value ORDER BY o.position) FROM trial_objectives o WHERE o.trial_id = t.id) AS values,
          (SELECT m.value FROM trial_metrics m WHERE m.trial_id = t.id AND m.name = 'size') AS size
        FROM trials t LEFT JOIN pareto f ON f.trial_id = t.id ORDER BY t.number`)).rows as
        { trialId: number; number: number; front: number | null; violation: number | null; values: number[]; size: number }[],
    }));
    await pg.drop();

    // On a failure, every trial as number:generation:process:[parents], and the server's order of inserts (I) and completions (C).
    const layout = `${trials.map((t) => `${t.number}:g${t.search.generation}:${t.owner.split(':')[1]}:[${t.search.parents}]`).join(' ')}\n`
      + audit.map((a) => `${a.op === 'INSERT' ? 'I' : 'C'}${a.number}`).join(' ');
    // Every trial proposed once, each a configuration of its own, each trained once, by either process.
    expect(trials.map((t) => t.number)).toEqual([...Array(TRIALS).keys()]);
    expect(new Set(trials.map((t) => t.config_id)).size).toBe(TRIALS);
    expect(trials.every((t) => t.status === 'completed' && t.attempts === 1 && t.search.method === 'nsga2')).toBe(true);
    expect(new Set(trials.map((t) => t.owner)).size).toBe(2);

    // Generations follow trial numbers, from 0, without a gap.
    const generations = trials.map((t) => t.search.generation);
    for (let i = 1; i < TRIALS; i++) expect(generations[i] - generations[i - 1], layout).toBeOneOf([0, 1]);
    expect(generations[0]).toBe(0);
    const last = generations[TRIALS - 1];
    // Enough trials that several generations were bred, some while others of the last were still running.
    expect(last).toBeGreaterThanOrEqual(3);
    const of = (g: number) => trials.filter((t) => t.search.generation === g);

    const inserted = new Map(audit.filter((a) => a.op === 'INSERT').map((a) => [a.number, a.seq]));
    const completedAt = new Map(audit.filter((a) => a.op === 'UPDATE').map((a) => [a.number, a.seq]));
    for (let g = 0; g <= last; g++) {
      const members = of(g);
      // The rule's bounds: no generation with fewer than `population` trials is left behind,
      // and none takes more than the trials proposed while it was not yet full.
      if (g < last) expect(members.length, layout).toBeGreaterThanOrEqual(POPULATION);
      expect(members.length, layout).toBeLessThanOrEqual(POPULATION + SLOTS - 1);
      if (g === 0) {
        expect(members.every((t) => t.search.parents.length === 0 && t.search.bredFrom.length === 0)).toBe(true);
        continue;
      }
      // One parent population for the whole generation: the first trial's.
      const parents = members[0].search.parents;
      for (const t of members) expect(t.search.parents, `trial ${t.number} of generation ${g}\n${layout}`).toEqual(parents);
      expect(parents).toHaveLength(POPULATION);
      expect([...parents].sort((a, b) => a - b)).toEqual(parents);
      const pool = new Set([...of(g - 1).map((t) => t.number), ...(g > 1 ? of(g - 1)[0].search.parents : [])]);
      expect(parents.every((n) => pool.has(n)), `generation ${g}'s parents ${parents} from ${[...pool]}`).toBe(true);
      for (const t of members) expect(t.search.bredFrom.every((n) => parents.includes(n))).toBe(true);
      // Its first trial was proposed after `population` trials of the generation before had
      // completed: a completion the proposer saw was executed before the proposal's insert.
      const first = inserted.get(members[0].number)!;
      const before = of(g - 1).filter((t) => completedAt.get(t.number)! < first);
      expect(before.length, `generation ${g} began with ${before.length} of generation ${g - 1} complete\n${layout}`).toBeGreaterThanOrEqual(POPULATION);
    }

    // The fronts the two processes left are those of every completed trial, ranked whole.
    const spec = parseSpec(SPEC, 'spec.yaml');
    const ranked = rankTrials(spec.objectives, spec.constraints, fronts.map((t) => ({ trialId: t.trialId, number: t.number, values: t.values, named: { size: t.size } })));
    expect(fronts.map((t) => ({ front: t.front, violation: t.violation }))).toEqual(ranked.map((r) => ({ front: r.front, violation: r.violation })));
  });
});
