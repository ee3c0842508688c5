"""TensorFlow's oneDNN kernels off and as devface sets them: training and drawing speed, and the faces' change.

Run: python benchmarks/cpu_kernels.py [--steps 30] [--draws 64] [--quick]
TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, when it loads, so each setting runs in a process of its own:
off (`0`), then unset, where importing devface_core.gan decides (on, on x86). Each process times the fp32
matmul peak, training steps at 64² on random images with two recipes (a run's from scratch, and `devface pretrain`'s
defaults, which add R1's second backward pass and a discriminator twice as wide, in the precision `auto` picks:
bfloat16 on a CPU with bf16 units only where the kernels are on), and drawing faces from the shipped base; the parent prints
their ratios to the off row and how far the two settings' faces lie apart (the same weights, the same noise:
only the kernels' rounding differs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import common

SETTINGS = {"off (TF_ENABLE_ONEDNN_OPTS=0)": "0", "devface's default (unset)": None}
ONEDNN_ON_LINE = "oneDNN custom operations are on"


def measure(size: int, steps: int, draws: int, faces_path: str) -> dict:
    """In this process: matmul GFLOP/s, training steps/s of a run from scratch and of a base's pretraining,
    seconds to draw `draws` faces from the shipped base (saved to `faces_path`)."""
    from devface_core.config import Config
    from devface_core.config_loading import load_config
    from devface_core.gan.recipe import plan_training
    from devface_core.gan.trainer import Trainer
    from train_throughput import matmul_peak_gflops, steps_per_second

    peak = matmul_peak_gflops(repeats=2 if steps < 10 else 10)
    scratch = steps_per_second(Trainer(Config(image_size=size)), size, steps)
    # `devface pretrain`'s own defaults: a discriminator twice as wide, LeCam, colour augmentation, R1.
    pretraining = load_config(environ={}, overrides={"image_size": size}, pretraining=True)
    base = steps_per_second(Trainer(plan_training(pretraining, pretraining=True)), size, steps)
    sampler = Trainer(load_config(environ={}, overrides={"init_from": "builtin"}))
    sampler.generate(2)
    started = time.perf_counter()
    faces = sampler.generate(draws)
    drawing = time.perf_counter() - started
    np.save(faces_path, faces)
    return {"peak": peak, "scratch": scratch, "base": base, "draw_s": drawing}


def run_setting(value: str | None, size: int, steps: int, draws: int, faces_path: str) -> dict:
    """One setting in a new process; its measurements, and whether TensorFlow said oneDNN was on."""
    environ = {name: text for name, text in os.environ.items() if name != "TF_ENABLE_ONEDNN_OPTS"}
    environ["TF_CPP_MIN_LOG_LEVEL"] = "0"  # the line saying whether oneDNN is on is an INFO line
    if value is not None:
        environ["TF_ENABLE_ONEDNN_OPTS"] = value
    command = [sys.executable, __file__, "--child", "--image-size", str(size), "--steps", str(steps),
               "--draws", str(draws), "--faces", faces_path]
    done = subprocess.run(command, env=environ, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"cpu_kernels: the {value!r} process failed:\n{done.stderr[-3000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    measured["onednn"] = "on" if ONEDNN_ON_LINE in done.stderr else "off"
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--draws", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="16×16, 2 steps, 4 faces: proves the benchmark runs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--faces", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.image_size, args.steps, args.draws, args.faces)))
        return
    size, steps, draws = (16, 2, 4) if args.quick else (args.image_size, args.steps, args.draws)
    with tempfile.TemporaryDirectory() as folder:
        rows = {name: run_setting(value, size, steps, draws, str(Path(folder) / f"{index}.npy"))
                for index, (name, value) in enumerate(SETTINGS.items())}
        faces = [np.load(Path(folder) / f"{index}.npy").astype(np.int16) for index in range(len(SETTINGS))]
    print(common.machine_line())
    from devface_core.config import Config

    print(f"training at {size}², batch {Config().batch_size}, {steps} timed steps: a run from scratch (no R1) and "
          f"devface pretrain's defaults (R1, wider critic); drawing: {draws} faces from the shipped base")
    print(f"{'setting':<31} {'oneDNN':>6} {'matmul GFLOP/s':>14} {'scratch steps/s':>15} {'base steps/s':>12} "
          f"{'draw s':>7} {'scratch vs off':>14} {'base vs off':>11} {'draw vs off':>11}")
    off = rows[next(iter(SETTINGS))]
    for name, row in rows.items():
        print(f"{name:<31} {row['onednn']:>6} {row['peak']:>14.1f} {row['scratch']:>15.2f} {row['base']:>12.2f} "
              f"{row['draw_s']:>7.2f} {row['scratch'] / off['scratch']:>13.2f}× {row['base'] / off['base']:>10.2f}× "
              f"{off['draw_s'] / row['draw_s']:>10.2f}×")
    apart = np.abs(faces[0] - faces[1])
    print(f"the faces drawn both ways: {apart.max()} of 255 levels apart at most, {apart.mean():.3f} on average")


if __name__ == "__main__":
    main()
