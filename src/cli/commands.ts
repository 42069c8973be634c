/**
 * Every command's declaration (its name, arguments, options, help and example), in the order
 * `sweep --help` lists them, without its action: each action is imported when its command runs.
 * Loading every command's module up front (zod, yaml, the store, piscina, the web page's
 * builder…) cost `sweep --version` four times node's own start, and every `sweep run` the same;
 * so nothing here imports more than commander and `command.ts`. A new command is declared here,
 * its action in a file of its own.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { BackendChoice } from '../pool/protocol.js';
import {
  backendOption, dataOption, dbOption, defineCommand, integer, jsonOption, workersOption, type CommandDef,
} from './command.js';

/** Grids larger than this are refused unless --max-trials allows them: likely a typo, not a plan. */
export const DEFAULT_MAX_TRIALS = 10_000;

export type RunOptions = {
  db: string; workers?: number; backend: BackendChoice; data?: string; dryRun?: boolean; tui: boolean;
  retryFailed?: boolean; maxTrials: number; trials?: TrialsOption; fork?: string;
};
/** `--trials N` (the sweep's number of trials) or `--trials +N` (N more than it has, or than its spec asks for). */
export type TrialsOption = { readonly more: boolean; readonly n: number };
export type WorkerOptions = { db: string; sweep?: string; workers?: number; backend: BackendChoice; data?: string; wait?: boolean };
export type InspectOptions = { db: string; json?: boolean; trial?: number };
export type LogsOptions = { db: string; attempt?: number; stderr?: boolean; stdout?: boolean };
export type WatchOptions = { db: string };
export type QueryOptions = { db: string; json?: boolean; csv?: boolean; schema?: boolean };
export type ReproOptions = { db: string; data?: string };
export type ExportOptions = { db: string; out: string };
export type PredictOptions = { limit?: number; data?: string; images?: string; labels?: string };
export type TagOptions = { db: string; remove?: boolean };
export type NoteOptions = { db: string; clear?: boolean };
export type CopyOptions = { from: string; to: string; sweep?: string };
export type ReportOptions = { db: string; out?: string; data?: string };
export type ServeOptions = { db: string; port: number; host: string; data?: string };

const runCommand = defineCommand<RunOptions>({
  name: 'run',
  summary: 'train every configuration of a spec not yet completed',
  args: ['<spec>'],
  options: [
    dbOption(),
    workersOption(),
    backendOption(),
    dataOption(),
    new Option('--dry-run', 'list the configurations, train nothing'),
    new Option('--no-tui', 'plain log lines instead of the live screen'),
    new Option('--retry-failed', 'queue the sweep\'s failed trials again'),
    new Option('--max-trials <n>', 'the largest grid accepted').argParser(integer(1)).default(DEFAULT_MAX_TRIALS),
    new Option('--trials <n>', 'the sweep\'s number of trials (search.trials), or +N for N more: the same sequence, continued').argParser(trialsOption),
    new Option('--fork <name>', 'run the spec as a new sweep NAME, seeded with this sweep\'s trials that lie in its space'),
  ],
  example: 'sweep run sweeps/dropout.yaml --workers 2',
  action: async ([specPath], opts, io) => (await import('./run.js')).run(specPath, opts, io),
});

const workerCommand = defineCommand<WorkerOptions>({
  name: 'worker',
  summary: 'join the sweeps of a shared database that have work left, and train until none is left',
  args: [],
  options: [
    dbOption(),
    new Option('--sweep <name>', 'only this sweep'),
    workersOption(),
    backendOption(),
    dataOption(),
    new Option('--wait', 'when no work is left, keep waiting for new sweeps until stopped'),
  ],
  example: 'sweep worker --db postgres://sweep@db-host:5432/sweeps --workers 8',
  action: async (_args, opts, io) => (await import('./worker.js')).worker(opts, io),
});

const lsCommand = defineCommand<InspectOptions>({
  name: 'ls',
  summary: 'list the sweeps with their trial counts and best score',
  args: [],
  options: [dbOption(), jsonOption()],
  example: 'sweep ls --db runs/sweeps.db',
  action: async (_args, opts, io) => (await import('./inspect.js')).ls(opts, io),
});

const showCommand = defineCommand<InspectOptions>({
  name: 'show',
  summary: "a sweep's trials ranked by its metric (--json adds every epoch)",
  args: ['<sweep>'],
  options: [dbOption(), jsonOption()],
  example: 'sweep show dropout',
  action: async ([sweep], opts, io) => (await import('./inspect.js')).show(sweep, opts, io),
});

const bestCommand = defineCommand<InspectOptions>({
  name: 'best',
  summary: "a sweep's best trial (or --trial N, of a sweep of several objectives) as a runnable one-configuration spec",
  args: ['<sweep>'],
  options: [dbOption(), jsonOption(), new Option('--trial <id>', 'this trial of the sweep, such as one of its first front').argParser(integer(1))],
  example: 'sweep best dropout > best.yaml && sweep run best.yaml',
  action: async ([sweep], opts, io) => (await import('./inspect.js')).best(sweep, opts, io),
});

const logsCommand = defineCommand<LogsOptions>({
  name: 'logs',
  summary: "print what a program trial wrote on stdout and stderr (its last attempt's, unless --attempt)",
  args: ['<trial>'],
  options: [
    dbOption(),
    new Option('--attempt <n>', 'which attempt (1 is the first run)').argParser(integer(1)),
    new Option('--stdout', 'only stdout'),
    new Option('--stderr', 'only stderr'),
  ],
  example: 'sweep logs 12 --stderr',
  action: async ([ref], opts, io) => (await import('./logs.js')).logs(ref, opts, io),
});

const watchCommand = defineCommand<WatchOptions>({
  name: 'watch',
  summary: 'the live screen of a sweep another process runs (or ran), read-only',
  args: ['<sweep>'],
  options: [dbOption()],
  example: 'sweep watch dropout',
  action: async ([sweep], opts, io) => (await import('./watch.js')).watch(sweep, opts, io),
});

const queryCommand = defineCommand<QueryOptions>({
  name: 'query',
  summary: 'run one read-only SQL statement against the database (--schema: what every column means)',
  args: ['[sql]'],
  options: [
    dbOption(),
    jsonOption(),
    new Option('--csv', 'print RFC 4180 CSV with a header row').conflicts('json'),
    new Option('--schema', 'print every table, view and column with its meaning'),
  ],
  example: `sweep query "SELECT dropout, val_accuracy FROM leaderboard WHERE sweep = 'dropout'"`,
  prepareArgv: sqlAfterTerminator,
  action: async ([sql], opts, io) => (await import('./query.js')).query(sql, opts, io),
});

const reproCommand = defineCommand<ReproOptions>({
  name: 'repro',
  summary: "train a completed trial again from scratch and compare every epoch and the weights (a program's: run it again, compare its metrics)",
  args: ['<trial|sweep>'],
  options: [dbOption(), dataOption()],
  example: 'sweep repro dropout',
  action: async ([ref], opts, io) => (await import('./repro.js')).repro(ref, opts, io),
});

const exportCommand = defineCommand<ExportOptions>({
  name: 'export',
  summary: "write a completed trial's model (TensorFlow.js layers format) and card.json",
  args: ['<trial|sweep>'],
  options: [dbOption(), new Option('--out <dir>', 'where to write model.json, weights.bin and card.json').makeOptionMandatory()],
  example: 'sweep export dropout --out best-model',
  action: async ([ref], opts, io) => (await import('./export.js')).exportTrial(ref, opts, io),
});

const predictCommand = defineCommand<PredictOptions>({
  name: 'predict',
  summary: 'classify images with an exported model: accuracy, confusion matrix, most confused pairs',
  args: ['<dir>'],
  options: [
    new Option('--limit <n>', 'only the first N images').argParser(integer(1)),
    new Option('--data <dir>', 'the Fashion-MNIST files, for a Fashion-MNIST model').conflicts('images'),
    new Option('--images <idx>', 'images of your own, an IDX file (gzipped or not), of the size the model takes'),
    new Option('--labels <idx>', 'their labels, an IDX file'),
  ],
  example: 'sweep predict best-model --limit 1000',
  action: async ([dir], opts, io) => (await import('./predict.js')).predict(dir, opts, io),
});

const tagCommand = defineCommand<TagOptions>({
  name: 'tag',
  summary: 'tag a trial (by id, or a sweep\'s best), list its tags, or --remove them',
  args: ['<trial|sweep>', '[tags...]'],
  options: [dbOption(), new Option('--remove', 'take the named tags off instead')],
  example: 'sweep tag 12 baseline',
  action: async ([ref, tags], opts, io) => (await import('./annotate.js')).tag(ref, (tags as unknown as string[] | undefined) ?? [], opts, io),
});

const noteCommand = defineCommand<NoteOptions>({
  name: 'note',
  summary: 'add a note to a sweep (by name) or a trial (by id), list its notes, or --clear them',
  args: ['<sweep|trial>', '[text]'],
  options: [dbOption(), new Option('--clear', 'remove every note on it')],
  example: 'sweep note dropout "tried wider layers"',
  action: async ([ref, text], opts, io) => (await import('./annotate.js')).note(ref, text, opts, io),
});

const copyCommand = defineCommand<CopyOptions>({
  name: 'copy',
  summary: 'copy sweeps (trials, epochs, checkpoints, models, tags and notes) from one database into another',
  args: [],
  options: [
    new Option('--from <path>', 'the database to copy from (a SQLite file or postgres://…)').makeOptionMandatory(),
    new Option('--to <path>', 'the database to copy into (created if new)').makeOptionMandatory(),
    new Option('--sweep <name>', 'only this sweep'),
  ],
  example: 'sweep copy --from runs/sweeps.db --to postgres://sweep@db-host:5432/sweeps',
  action: async (_args, opts, io) => (await import('./copy.js')).copy(opts, io),
});

const reportCommand = defineCommand<ReportOptions>({
  name: 'report',
  summary: 'write a self-contained HTML report of a sweep: table, curves, parallel coordinates, importance',
  args: ['<sweep>'],
  options: [dbOption(), new Option('--out <file>', 'where to write it (default: SWEEP.html)'), dataOption()],
  example: 'sweep report dropout --out dropout.html',
  action: async ([name], opts, io) => (await import('./report.js')).report(name, opts, io),
});

const serveCommand = defineCommand<ServeOptions>({
  name: 'serve',
  summary: 'serve a live dashboard of every sweep in the database (read-only)',
  args: [],
  options: [
    dbOption(),
    new Option('--port <n>', 'the port (0: any free one)').argParser(integer(0, 65535)).default(8080),
    new Option('--host <host>', 'the address to listen on (127.0.0.1: this machine only)').default('127.0.0.1'),
    dataOption(),
  ],
  example: 'sweep serve --db runs/sweeps.db --port 8080',
  action: async (_args, opts, io) => (await import('./serve.js')).serve(opts, io),
});

/** Every command, in the order `sweep --help` lists them. */
export const COMMANDS: readonly CommandDef[] = [
  runCommand, workerCommand, lsCommand, showCommand, bestCommand, logsCommand, watchCommand, queryCommand, reproCommand, exportCommand,
  predictCommand, tagCommand, noteCommand, copyCommand, reportCommand, serveCommand,
];

function trialsOption(text: string): TrialsOption {
  const m = /^(\+?)(\d{1,6})$/.exec(text.trim());
  if (!m || Number(m[2]) < 1) throw new InvalidArgumentError('Expected a number of trials, such as 40, or +N for N more.');
  return { more: m[1] === '+', n: Number(m[2]) };
}

/**
 * SQL usually starts with a `-- comment` or contains spaces; parseArgs would read an
 * argument like "-- does dropout help?\nSELECT …" as an unknown option. Arguments that
 * start with "-" and contain whitespace (other than `--db=a path`) cannot be options, so they move after a "--"
 * terminator (unless the user wrote one, in which case the line is left as it is).
 */
function sqlAfterTerminator(argv: readonly string[]): string[] {
  if (argv.includes('--')) return [...argv];
  const isSql = (a: string) => a.startsWith('-') && /\s/.test(a) && !/^--[a-z-]+=/.test(a);
  const sql = argv.filter(isSql);
  return sql.length === 0 ? [...argv] : [...argv.filter((a) => !isSql(a)), '--', ...sql];
}
