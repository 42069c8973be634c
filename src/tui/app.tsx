import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { truncate } from './format.js';
import { Failures } from './failures.js';
import { Header } from './header.js';
import { isCodeConfig } from '../spec/code.js';
import { Leaderboard, sortKeys, sortName, type SortKey } from './leaderboard.js';
import { Notes, NOTES_SHOWN } from './notes.js';
import { Progress } from './progress.js';
import { Pruned } from './pruned.js';
import { RunningTrials } from './running-trials.js';
import { Summary } from './summary.js';
import { useTerminalSize } from './use-terminal-size.js';
import { useViewState } from './use-view-state.js';
import { best, distinguishing, rankedTrials, stats } from './view-state.js';
import type { ViewStore } from './view-store.js';

type Props = {
  readonly store: ViewStore;
  /** `q`: stop gracefully (sweep run) or leave (sweep watch). */
  readonly onQuit: () => void;
  /** Ctrl-C. */
  readonly onInterrupt: () => void;
};

/** The live screen: header, the latest notes, progress, running trials, leaderboard, pruned and failed trials, keys. */
export function App({ store, onQuit, onInterrupt }: Props) {
  const s = useViewState(store);
  const { columns, rows } = useTerminalSize();
  const [sort, setSort] = useState<SortKey>('score');
  const [offset, setOffset] = useState(0);
  const keys = distinguishing(s);
  const ranked = rankedTrials(s);
  const running = s.trials.filter((t) => t.status === 'running');
  const failed = s.trials.filter((t) => t.status === 'failed');
  const pruned = s.trials.filter((t) => t.status === 'pruned');
  const width = Math.max(20, columns - 1);
  const st = stats(s);
  // A watched sweep has no end event: it is done when nothing is left to run.
  const done = s.finished !== null || (s.header.mode === 'watch' && s.trials.length > 0 && st.running + st.pending === 0);

  useInput((input, key) => {
    if (key.ctrl && input === 'c') onInterrupt();
    else if (input === 'q') onQuit();
    else if (key.upArrow || input === 'k') setOffset((o) => Math.max(0, o - 1));
    else if (key.downArrow || input === 'j') setOffset((o) => Math.min(Math.max(0, ranked.length - 1), o + 1));
    else if (input === 's') {
      const all = sortKeys(keys, s.trials.some((t) => isCodeConfig(t.config)));
      setSort((k) => all[(all.indexOf(k) + 1) % all.length]);
    }
  });

  // Lines everything but the leaderboard's rows takes; the leaderboard gets the rest.
  const fixed = 1 + Math.min(s.notes.length, NOTES_SHOWN) + 2 + (running.length ? running.length + 1 : 0) + 3 + 1 + (failed.length ? 1 : 0) + (pruned.length ? 1 : 0) + 1 + (done ? 4 : 0);
  const height = Math.max(3, rows - fixed);
  const footer = s.finished
    ? null
    : s.stopping
      ? 'stopping: running trials are interrupted and will run again next time…'
      : `q ${s.header.mode === 'watch' ? 'quit' : 'stop'}  ·  ↑↓/j k scroll  ·  s sort (${sortName(sort)})`;
  return (
    <Box flexDirection="column">
      <Header header={s.header} width={width} />
      <Notes notes={s.notes} width={width} />
      <Progress stats={st} width={width} />
      <RunningTrials trials={running} keys={keys} metric={s.metric} width={width} />
      <Leaderboard ranked={ranked} keys={keys} metric={s.metric} sort={sort} offset={offset} width={width} height={height} />
      <Pruned pruned={pruned} why={s.prunedWhy} width={width} />
      <Failures failed={failed} width={width} />
      {done ? <Summary sweep={s.header.sweep} result={s.finished} best={best(s)} keys={keys} metric={s.metric} width={width} /> : null}
      {footer ? <Text dimColor>{truncate(footer, width)}</Text> : null}
    </Box>
  );
}
