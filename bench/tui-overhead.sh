#!/usr/bin/env bash
# Does the live screen slow training? Trains the same small sweep with the plain log and
# with the live screen (inside tmux, so it has a terminal), interleaved three times, and
# prints the mean seconds per epoch of each run. Needs tmux and sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
cat > "$out/tb.yaml" <<'Y'
name: tb
seed: 1
data: {validationSplit: 0.1, trainLimit: 30000, testLimit: 1000}
grid:
  epochs: [3]
  dropout: [0.2, 0.3]
Y
for i in 1 2 3; do
  node dist/cli/main.js run "$out/tb.yaml" --db "$out/plain-$i.db" --workers 1 --no-tui > /dev/null
  tmux -L tui-bench new-session -d -s tb -x 120 -y 40 \
    "env -u CI node dist/cli/main.js run $out/tb.yaml --db $out/tui-$i.db --workers 1; touch $out/done-$i"
  while [ ! -f "$out/done-$i" ]; do sleep 0.5; done
  tmux -L tui-bench kill-server 2>/dev/null || true
done
for k in plain tui; do
  for i in 1 2 3; do sqlite3 "$out/$k-$i.db" "SELECT '$k', $i, ROUND(AVG(seconds), 3) FROM epochs"; done
done
