"""User after user in one process: each run building and tracing its own engine, against runs lent the
engine the run before them finished with (devface_core/gan/engines.py); then the same for runs drawn at the
likes' codes of the shipped base, each loading it afresh against runs lent the base the run before them
finished with (devface_core/gan/latent_pool.py).

Run: python benchmarks/engines.py [--users 4] [--steps 50] [--image-size 64] [--quick]
Each pair of rows runs in this process, cold first: every user is a full pipeline run (10 demo faces of their
own → train or draw → select → memory sink), with the default recipe or `--init-from builtin` (personalize
latent). The first user of each row pays for a new engine or base either way; the tables compare the later
users' wall time, where a worker spends its day, and how much the process grew per later user (resident
memory, Linux only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import common


def resident_mib() -> float:
    """This process's resident memory in MiB (NaN where /proc is missing)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return float("nan")


def run_users(count: int, config, grown: list[float] | None = None) -> list[float]:
    """Wall seconds of one pipeline run per user, one after another (and, into `grown`, the resident MiB each
    later run added)."""
    from devface_adapters.demo import DemoAdapter
    from devface_adapters.memory import MemoryAdapter
    from devface_core.pipeline import run_pipeline

    likes, faces = DemoAdapter(count="10"), MemoryAdapter(space="bench-engines")  # each user's own faces
    walls = []
    for index in range(count):
        started, resident = time.perf_counter(), resident_mib()
        run_pipeline(likes, faces, f"user{index}", config)
        walls.append(time.perf_counter() - started)
        if grown is not None and index:
            grown.append(resident_mib() - resident)
    return walls


def print_latent_rows(users: int, quick: bool) -> None:
    """Cold and warm latent bases: the later users' wall and memory growth."""
    from devface_core.config_loading import load_config
    from devface_core.gan import latent_pool

    overrides = {"init_from": "builtin"}
    if quick:  # few faces and tuning steps: the load and the trace are what differs
        overrides.update(latent_faces=4, latent_pivot_steps=2)
    config = load_config(environ={}, overrides=overrides)
    print(f"{users} users × 10 likes, drawn at the likes' codes of the shipped base ({config.latent_faces} faces, "
          f"{config.latent_pivot_steps} tuning steps), one process")
    print(f"{'bases':<8} {'first user s':>13} {'later users s':>14} {'× cold':>7} {'MiB per later user':>19}")
    rows, kept = {}, latent_pool.IDLE.limit
    for label, idle in (("cold", 0), ("warm", kept)):
        latent_pool.IDLE.limit, grown = idle, []  # 0: every base is dropped when its run ends
        walls = run_users(users, config, grown)
        rows[label] = statistics.mean(walls[1:])
        print(f"{label:<8} {walls[0]:>13.2f} {rows[label]:>14.2f} {rows[label] / rows['cold']:>6.2f}× "
              f"{statistics.mean(grown):>19.1f}")


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
    for label, idle in (("cold", 0), ("warm", engines.IDLE.limit)):
        engines.IDLE.limit = idle  # 0: every engine is dropped when its run ends
        walls = run_users(args.users, config)
        rows[label] = statistics.mean(walls[1:])
        print(f"{label:<8} {walls[0]:>13.2f} {rows[label]:>14.2f} {rows[label] / rows['cold']:>6.2f}×")
    print_latent_rows(args.users, args.quick)


if __name__ == "__main__":
    main()
