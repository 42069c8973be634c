# The smallest program trial (bench/program-overhead.mjs), in Python's standard library: reads
# --x=N as W&B's agent passes it, prints 10 `epoch=N val_accuracy=...` lines and exits 0.
# With BENCH_ARGV_LOG set (the bench's untimed check only) it also appends its command line.
import os
import sys

x = next((float(a[4:]) for a in sys.argv[1:] if a.startswith("--x=")), 0.0)
for epoch in range(1, 11):
    print(f"epoch={epoch} val_accuracy={0.5 + epoch / 100 + x / 1e4:.6f}", flush=True)
if os.environ.get("BENCH_ARGV_LOG"):
    import json

    with open("/proc/self/cmdline", "rb") as f:
        argv = [a.decode() for a in f.read().split(b"\0")[:-1]]
    with open(os.environ["BENCH_ARGV_LOG"], "a") as f:
        f.write(json.dumps(argv, separators=(",", ":")) + "\n")
