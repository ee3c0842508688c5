"""User after user in one process: each run building and tracing its own engine, against runs lent the
engine the run before them finished with (devface_core/gan/engines.py).

Run: python benchmarks/engines.py [--users 4] [--steps 50] [--image-size 64] [--quick]
Both rows run in this process, cold first: every user is a full pipeline run (10 demo faces of their own →
train → select → memory sink) with the default recipe. The first user of each row pays for a new engine
either way; the table compares the later users' wall time, where a worker spends its day.
"""

from __future__ import annotations

import argparse
import statistics
import time

import common


def run_users(count: int, config) -> list[float]:
    """Wall seconds of one pipeline run per user, one after another."""
    from devface_adapters.demo import DemoAdapter
    from devface_adapters.memory import MemoryAdapter
    from devface_core.pipeline import run_pipeline

    likes, faces = DemoAdapter(count="10"), MemoryAdapter(space="bench-engines")  # each user's own faces
    walls = []
    for index in range(count):
        started = time.perf_counter()
        run_pipeline(likes, faces, f"user{index}", config)
        walls.append(time.perf_counter() - started)
    return walls


def main() -> None:
    """Time both rows and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="2 users, 2 steps at 16²: proves the benchmark runs")
    args = parser.parse_args()
    if args.quick:
        args.users, args.steps, args.image_size = 2, 2, 16
    from devface_core.config import Config
    from devface_core.gan import engines

    config = Config(image_size=args.image_size, max_steps=args.steps, sample_every=args.steps)
    print(common.machine_line())
    print(f"{args.users} users × 10 likes, {args.steps} steps at {args.image_size}², one process")
    print(f"{'engines':<8} {'first user s':>13} {'later users s':>14} {'× cold':>7}")
    rows = {}
    for label, idle in (("cold", 0), ("warm", engines.MAX_IDLE)):
        engines.MAX_IDLE = idle  # 0: every engine is dropped when its run ends
        walls = run_users(args.users, config)
        rows[label] = statistics.mean(walls[1:])
        print(f"{label:<8} {walls[0]:>13.2f} {rows[label]:>14.2f} {rows[label] / rows['cold']:>6.2f}×")


if __name__ == "__main__":
    main()
