"""How good is the snapshot `--select best` publishes from? Its rule against the alternatives, measured.

Run: python benchmarks/selection.py [--base DIR] [--seeds 0,1] [--trials 2000] [--quick]
The "user" likes demo faces 40–49 (../shared/data/demo_faces). Each seed trains the default recipe (from
the base if given, as `devface-run --init-from` would). At every snapshot, 64 samples of the sampling
generator are scored one by one (the score `best` uses) and measured as a set (SWD of all 64 against the
user's faces: the snapshot's quality, lower is better). Each trial then draws `samples_per_snapshot` of the
64 per snapshot, as a run's fixed noise would, and applies each rule (the latest snapshot; the lowest single
score's; devface's `best`; the snapshot whose drawn samples score lowest together, "pooled"); the table
gives the mean and 90th percentile over trials of the chosen snapshot's quality, and its ratio to
publishing the latest snapshot.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import common
from quality import liked_faces

SAMPLES = 64


def measure_run(config, faces: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Train; at each snapshot score `samples` samples one by one and as a set: (scores (E, S), quality (E,))."""
    from devface_core import quality
    from devface_core.gan.trainer import Trainer

    trainer, scores, sets, images = Trainer(config), [], [], []
    for _ in trainer.train(faces):
        generated = trainer.generate(samples)
        scores.append(quality.sample_scores(generated, faces))
        sets.append(float(np.mean(quality.swd(generated, faces))))
        images.append(generated)
    return np.array(scores), np.array(sets), np.stack(images)


def chosen_quality(scores: np.ndarray, sets: np.ndarray, images: np.ndarray, faces: np.ndarray, per_snapshot: int,
                   trials: int) -> dict[str, np.ndarray]:
    """Over `trials` random draws of per_snapshot samples per snapshot: each rule's chosen snapshot quality."""
    from devface_core.quality import PatchDistribution
    from devface_core.selection import best_in_best_snapshot

    liked, rng = PatchDistribution(faces), np.random.default_rng(0)
    snapshots = np.arange(len(sets))
    # Newest first, as the selection lists candidates.
    epochs = list(np.repeat(snapshots[::-1], per_snapshot))
    chosen: dict[str, list[float]] = {"latest snapshot": [], "lowest single score": [], "devface best": [],
                                      "lowest pooled SWD": []}
    for _ in range(trials):
        drawn = np.stack([rng.choice(scores.shape[1], per_snapshot, replace=False) for _ in snapshots])
        # The snapshot whose drawn samples, together, score lowest (a tie goes to the newest).
        pooled = [np.mean(liked.distances(images[e, drawn[e]])) for e in snapshots[::-1]]
        chosen["lowest pooled SWD"].append(sets[len(sets) - 1 - int(np.argmin(pooled))])
        subset = np.take_along_axis(scores, drawn, axis=1)[::-1].ravel().tolist()
        chosen["latest snapshot"].append(sets[-1])
        chosen["lowest single score"].append(sets[epochs[int(np.argmin(subset))]])
        chosen["devface best"].append(sets[epochs[best_in_best_snapshot(epochs, subset)]])
    return {rule: np.array(values) for rule, values in chosen.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, help="fine-tune from this base (default: train from scratch)")
    parser.add_argument("--seeds", default="0,1", help="comma-separated training seeds, one run each")
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="a few steps at 32×32: proves the benchmark runs")
    args = parser.parse_args()
    from devface_core.config import Config

    size, samples, trials, extra = (32, 8, 50, {"max_steps": 6, "sample_every": 2}) if args.quick else (64, SAMPLES, args.trials, {})
    faces = liked_faces(size)[40:]
    print(common.machine_line())
    print(f"user: {len(faces)} liked faces at {size}²; {'fine-tuned from ' + str(args.base) if args.base else 'from scratch'}; "
          f"{samples} samples per snapshot, {trials} trials; snapshot quality = SWD of the samples (lower is better)")
    print(f"{'seed':>4} {'rule':<22} {'mean':>7} {'90th %':>7} {'× latest':>9}   best / worst snapshot")
    for seed in (int(text) for text in args.seeds.split(",")):
        config = Config(image_size=size, seed=seed, init_from=str(args.base) if args.base else None, **extra)
        scores, sets, images = measure_run(config, faces, samples)
        rules = chosen_quality(scores, sets, images, faces, config.samples_per_snapshot, trials)
        baseline = rules["latest snapshot"].mean()
        for rule, values in rules.items():
            print(f"{seed:>4} {rule:<22} {values.mean():>7.1f} {np.percentile(values, 90):>7.1f} "
                  f"{values.mean() / baseline:>8.3f}×   {sets.min():.1f} / {sets.max():.1f}")


if __name__ == "__main__":
    main()
