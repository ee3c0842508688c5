"""How good is the snapshot `--select best` publishes from? Its rule against the alternatives, measured.

Run: python benchmarks/selection.py [--base DIR] [--seeds 0,1] [--per-snapshot 4,16] [--trials 100]
     [--measurements DIR] [--quick]
The "user" likes demo faces 40–49 (../shared/data/demo_faces). Each seed trains the default recipe (from
the base if given, as `devface-run --init-from` would). At every snapshot, 64 samples of the sampling
generator are scored one by one (the score `best` uses) and measured as a set (SWD of all 64 against the
user's faces: the snapshot's quality, lower is better). Each trial then draws k of the 64 noise vectors, the same
at every snapshot as a run with `samples_per_snapshot` k has, and applies each rule; the table gives the mean and 90th
percentile over trials of the chosen snapshot's quality, and its ratio to publishing the latest snapshot.
Rules: the latest snapshot; the lowest single score's; the lowest mean single score's (`best` before
2026-12-02); devface's `best` (the snapshot whose drawn samples, together, score lowest).
`--measurements DIR` keeps each seed's scores and samples (`seed-N.npz`) and reuses them when present, so
rules and k can be compared again without training (a folder is for one --base and one size).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import common
from quality import liked_faces

SAMPLES = 64


def measure_run(config, faces: np.ndarray, samples: int) -> dict[str, np.ndarray]:
    """Train; at each snapshot score `samples` samples one by one and as a set: scores (E, S), sets (E,),
    images (E, S, H, W, 3)."""
    from devface_core import quality
    from devface_core.gan.trainer import Trainer

    trainer, scores, sets, images = Trainer(config), [], [], []
    for _ in trainer.train(faces):
        generated = trainer.generate(samples)
        scores.append(quality.sample_scores(generated, faces))
        sets.append(float(np.mean(quality.swd(generated, faces))))
        images.append(generated)
    return {"scores": np.array(scores), "sets": np.array(sets), "images": np.stack(images)}


def measured_or_saved(config, faces: np.ndarray, samples: int, folder: Path | None) -> dict[str, np.ndarray]:
    """A seed's measurements from `folder` if saved there before, else measured (and saved when a folder is given)."""
    path = folder / f"seed-{config.seed}.npz" if folder else None
    if path and path.exists():
        with np.load(path) as saved:
            return dict(saved)
    measured = measure_run(config, faces, samples)
    if path:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **measured)
    return measured


def mean_of_single_scores(epochs: list[int], scores: list[float]) -> int:
    """`best`'s rule before 2026-12-02: the lowest score within the snapshot of lowest mean single score."""
    means = {epoch: np.mean([s for e, s in zip(epochs, scores) if e == epoch]) for epoch in dict.fromkeys(epochs)}
    epoch = min(means, key=means.get)
    return min((i for i, e in enumerate(epochs) if e == epoch), key=scores.__getitem__)


def chosen_quality(run: dict[str, np.ndarray], faces: np.ndarray, per_snapshot: int,
                   trials: int) -> dict[str, np.ndarray]:
    """Over `trials` random draws of per_snapshot noise vectors: each rule's chosen snapshot quality."""
    from devface_core.selection import select_best
    from devface_core.types import Snapshot

    scores, sets, images = run["scores"], run["sets"], run["images"]
    rng, newest_first = np.random.default_rng(0), np.arange(len(sets))[::-1]
    epochs = list(np.repeat(newest_first, per_snapshot))
    chosen: dict[str, list[float]] = {"latest snapshot": [], "lowest single score": [], "mean single score": [],
                                      "devface best": []}
    for _ in range(trials):
        # The same noise at every snapshot, as a run's fixed noise: snapshots are compared on the same faces.
        drawn = rng.choice(scores.shape[1], per_snapshot, replace=False)
        subset = scores[newest_first][:, drawn].ravel().tolist()
        chosen["latest snapshot"].append(sets[-1])
        chosen["lowest single score"].append(sets[epochs[int(np.argmin(subset))]])
        chosen["mean single score"].append(sets[epochs[mean_of_single_scores(epochs, subset)]])
        snapshots = [Snapshot(step=int(e), images=images[e, drawn]) for e in newest_first]
        chosen["devface best"].append(sets[select_best(snapshots, faces).snapshot.step])
    return {rule: np.array(values) for rule, values in chosen.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, help="fine-tune from this base (default: train from scratch)")
    parser.add_argument("--seeds", default="0,1", help="comma-separated training seeds, one run each")
    parser.add_argument("--per-snapshot", default="4,16", help="comma-separated samples per snapshot (k) to compare")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--measurements", type=Path, help="folder to keep and reuse each seed's measurements in")
    parser.add_argument("--quick", action="store_true", help="a few steps at 16×16: proves the benchmark runs")
    args = parser.parse_args()
    from devface_core.config import Config

    size, samples, trials, extra = (16, 16, 4, {"max_steps": 6, "sample_every": 2}) if args.quick else (64, SAMPLES, args.trials, {})
    counts = [int(text) for text in args.per_snapshot.split(",")]
    if not all(1 <= count <= samples for count in counts):
        parser.error(f"--per-snapshot: each count must be from 1 to {samples}")
    faces = liked_faces(size)[40:]
    print(common.machine_line())
    print(f"user: {len(faces)} liked faces at {size}²; {'fine-tuned from ' + str(args.base) if args.base else 'from scratch'}; "
          f"{samples} samples per snapshot measured, k of them drawn per trial, {trials} trials; "
          "snapshot quality = SWD of the samples (lower is better)")
    print(f"{'seed':>4} {'k':>3} {'rule':<22} {'mean':>7} {'90th %':>7} {'× latest':>9}   best / worst snapshot")
    for seed in (int(text) for text in args.seeds.split(",")):
        config = Config(image_size=size, seed=seed, init_from=str(args.base) if args.base else None, **extra)
        run = measured_or_saved(config, faces, samples, args.measurements)
        sets = run["sets"]
        for count in counts:
            rules = chosen_quality(run, faces, count, trials)
            baseline = rules["latest snapshot"].mean()
            for rule, values in rules.items():
                print(f"{seed:>4} {count:>3} {rule:<22} {values.mean():>7.1f} {np.percentile(values, 90):>7.1f} "
                      f"{values.mean() / baseline:>8.3f}×   {sets.min():.1f} / {sets.max():.1f}")


if __name__ == "__main__":
    main()
