"""Face quality for the same wall-clock budget: the original `seed` recipe vs the few-image recipes,
from scratch and fine-tuned from a shared base model.

Run: python benchmarks/quality.py [--minutes 10] [--pretrain-minutes 10 | --pretrain-steps N] [--image-size 64] [--base DIR] [--seed 0] [--quick]
The "user" likes demo faces 40–49 (../shared/data/demo_faces); the base model is pretrained on faces 00–39
(its time is reported apart). Each row trains for the same time, then measures 32 samples of the sampling
generator against the user's faces (devface_core/quality.py): sliced
Wasserstein distance on Laplacian-pyramid patches (mean over levels, lower is better), diversity as mean
MS-SSIM between samples next to the real set's own (higher than real = samples alike), and the nearest
liked image (a copy would be near 0); beside them the outside judges (benchmarks/judges.py: MTCNN's share
of samples at confidence ≥ 0.99, KID×1000 of dlib descriptors against base faces 00–19, identity
diversity over the likes', distance to the likes' mean descriptor), with real faces 20–39 as the floor.
Each recipe writes a contact sheet; the table gives its path.
Before each fine-tuned row, an "untuned" row measures the base's own samples the same way (0 steps): what
the fine-tune starts from, so the table shows what the user's 10 likes added.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import numpy as np

import common

# Every recipe names each setting it depends on, so changing devface's defaults never changes a row.
ORIGINAL = {"architecture": "seed", "augment": "", "ada_target": 0.0, "mirror": False, "ema": 0.0, "batch_size": 8,
            "r1_gamma": 0.0, "minibatch_stddev": False}
FEW_SHOT = {"architecture": "fast", "augment": "color,translation,cutout", "ada_target": 0.0, "mirror": True,
            "ema": 0.999, "batch_size": 16, "upsample": "nearest", "finetune_lr_scale": 1.0,
            "finetune_steps": 0, "r1_gamma": 0.0, "minibatch_stddev": False}
RECIPES = {
    "seed (original)": ORIGINAL,
    "seed + DiffAugment + EMA": {**ORIGINAL, "augment": "color,translation,cutout", "mirror": True, "ema": 0.999},
    "fast + DiffAugment + EMA": FEW_SHOT,
    "fast + ADA + EMA": {**FEW_SHOT, "ada_target": 0.6},
    "fast + ADA + EMA + grow 4×": {**FEW_SHOT, "ada_target": 0.6, "grow_from": "quarter"},
    "fast + ADA + EMA + grow 2×": {**FEW_SHOT, "ada_target": 0.6, "grow_from": "half"},
    "fast + ADA + EMA + bilinear": {**FEW_SHOT, "ada_target": 0.6, "upsample": "bilinear", "finetune_lr_scale": 0.25,
                                    "finetune_steps": 500},
}
RECIPES["fast + ADA + EMA + bilinear + R1"] = {**RECIPES["fast + ADA + EMA + bilinear"], "r1_gamma": 10.0}
# Without the 500-step cap: a fine-tune then trains for the whole --minutes.
RECIPES["fast + ADA + EMA + bilinear + R1 uncapped"] = {**RECIPES["fast + ADA + EMA + bilinear + R1"], "finetune_steps": 0}
RECIPES["fast + ADA + EMA + bilinear + stddev"] = {**RECIPES["fast + ADA + EMA + bilinear"], "minibatch_stddev": True}
RECIPES["fast + ADA + EMA + bilinear + R1 + stddev"] = {**RECIPES["fast + ADA + EMA + bilinear + R1"],
                                                       "minibatch_stddev": True}
RECIPES["fast + ADA + EMA + bilinear + R1 + stddev uncapped"] = {**RECIPES["fast + ADA + EMA + bilinear + R1 + stddev"],
                                                                "finetune_steps": 0}
# A base grown from a quarter of the side (32 → 64 → 128 at --image-size 128); its fine-tunes do not grow
# again. Measured as a base only (--fine-tune): from scratch, the grow rows above measure growing.
BASE_ONLY = ("fast + ADA + EMA + bilinear + R1 + stddev + grow 4×",)
RECIPES[BASE_ONLY[0]] = {**RECIPES["fast + ADA + EMA + bilinear + R1 + stddev"], "grow_from": "quarter"}
GROW_FROM = {"quarter": 4, "half": 2}  # start growing at this fraction of the side, so rows work at any size
FINE_TUNED = ("fast + ADA + EMA + bilinear + R1 + stddev",)  # the default recipe


def liked_faces(size: int) -> np.ndarray:
    """The demo faces as (N, size, size, 3) uint8, decoded and fitted the way a run does."""
    from devface_core.imaging import decode_image, fit_image, to_array

    return np.stack([to_array(fit_image(decode_image(png, "demo"), size)) for png in common.demo_face_pngs()])


def recipe_config(name: str, size: int, seconds: float, init_from: Path | None = None, seed: int = 0, steps: int = 0):
    """A recipe's Config for `seconds` of training (and at most `steps`, 0 = no step limit)."""
    from devface_core.config import Config

    recipe = dict(RECIPES[name])
    if "grow_from" in recipe:
        recipe["grow_from"] = max(16, size // GROW_FROM[recipe["grow_from"]])
    return Config(image_size=size, epochs=100_000, max_steps=steps, max_seconds=seconds, sample_every=100,
                  samples_per_snapshot=6, init_from=str(init_from) if init_from else None, seed=seed, **recipe)


def pretrain_base(name: str, faces: np.ndarray, seconds: float, folder: Path, seed: int = 0,
                  steps: int = 0) -> tuple[int, float]:
    """Pretrain a recipe's base on `faces` for `seconds`, or for `steps` when given; (steps, wall seconds)."""
    from devface_core.gan.trainer import Trainer

    trainer = Trainer(recipe_config(name, faces.shape[1], 0.0 if steps else seconds, seed=seed, steps=steps))
    started = time.perf_counter()
    for _ in trainer.train(faces):
        pass
    trainer.save_base(folder)
    return trainer.steps_done, time.perf_counter() - started


def train_recipe(name: str, faces: np.ndarray, seconds: float, sheets: Path, base: Path | None = None,
                 seed: int = 0) -> dict:
    """Train one recipe for `seconds` (from a base if given); measure its samples; write its contact sheet."""
    from devface_core.gan.trainer import Trainer

    trainer = Trainer(recipe_config(name, faces.shape[1], seconds, base, seed))
    started = time.perf_counter()
    snapshots = list(trainer.train(faces))
    wall = time.perf_counter() - started
    label = ("finetuned " if base else "") + name.split(" (")[0]
    return measured(trainer, faces, snapshots[-8:], sheets / _slug(label)) | {"steps": trainer.steps_done, "wall": wall}


def base_alone(name: str, faces: np.ndarray, sheets: Path, base: Path, seed: int = 0) -> dict:
    """A base's own samples measured against the user's faces, untuned: where its fine-tune starts from."""
    from devface_core.gan.trainer import Trainer

    trainer = Trainer(recipe_config(name, faces.shape[1], 0.0, base, seed))
    return measured(trainer, faces, [trainer.snapshot(0)], sheets / f"base_alone_{_slug(name)}") | {"steps": 0, "wall": 0.0}


def judged(samples: np.ndarray, faces: np.ndarray) -> dict:
    """The outside judges' figures for samples of the user's `faces`, KID against the reference real faces."""
    import judges

    return judges.judge(judges.FaceJudges(), samples, faces, MEASURING["reference"])


# Set by main(): the real faces KID is measured against, and samples judged per row (fewer with --quick).
MEASURING: dict = {"samples": 32}


def measured(trainer, faces: np.ndarray, snapshots: list, sheet: Path) -> dict:
    """SWD, diversity, nearest liked face and the outside judges' figures of 32 samples of the trainer's
    sampling generator; the contact sheet of `snapshots` written as `sheet`.png."""
    from devface_core import quality
    from devface_core.contact_sheet import write_contact_sheet
    from devface_core.gan.flops import model_macs

    samples = trainer.generate(MEASURING["samples"])
    return {"judges": judged(samples, faces),
            "swd": float(np.mean(quality.swd(samples, faces))), "diversity": quality.diversity(samples),
            "nearest": float(quality.nearest_distances(samples, faces).min()),
            "gmac": (model_macs(trainer.generator) / 1e9, model_macs(trainer.discriminator) / 1e9),
            "sheet": write_contact_sheet(sheet.parent, sheet.name, snapshots)}


def parse_arguments() -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The benchmark's command line (the parser too, for its errors)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget per recipe")
    parser.add_argument("--pretrain-minutes", type=float, default=10.0, help="base model budget per recipe (0: no fine-tuned rows)")
    parser.add_argument("--pretrain-steps", type=int, default=0, help="train each base this many steps instead, "
                        "whatever the time: a base that the machine's speed or load does not change")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--sheets", type=Path, help="folder for contact sheets (default: a temporary one)")
    parser.add_argument("--fine-tuned-only", action="store_true", help="only the rows fine-tuned from a base")
    parser.add_argument("--only", help="comma-separated recipe names: train just these from scratch")
    parser.add_argument("--fine-tune", default=",".join(FINE_TUNED),
                        help="comma-separated recipe names to pretrain a base for and fine-tune from it")
    parser.add_argument("--base", type=Path, help="fine-tune from this base instead of pretraining one "
                        "(it must fit the --fine-tune recipes)")
    parser.add_argument("--seed", type=int, default=0, help="every row's training seed (its noise, weights, batches)")
    parser.add_argument("--quick", action="store_true",
                        help="1 s per recipe at 32×32, a 4-step base: proves the benchmark runs")
    return parser, parser.parse_args()


def main() -> None:
    """Train every chosen recipe and print its row beside the real faces' figures."""
    parser, args = parse_arguments()
    seconds, pretrain_seconds, size = ((1.0, 1.0, 32) if args.quick else
                                       (args.minutes * 60, args.pretrain_minutes * 60, args.image_size))
    if args.quick:  # a base of a few steps proves the base and fine-tune rows run (a 1 s budget trained 25)
        args.pretrain_steps = args.pretrain_steps or 4
    chosen = args.only.split(",") if args.only else [name for name in RECIPES if name not in BASE_ONLY]
    fine_tuned = [name for name in args.fine_tune.split(",") if name] if pretrain_seconds > 0 else []
    unknown = set(chosen + fine_tuned) - set(RECIPES)
    if unknown:  # before the faces are read and measured: a typo costs no wait
        parser.error(f"unknown recipe {', '.join(sorted(unknown))} (known: {'; '.join(RECIPES)})")
    from devface_core import quality

    sheets = args.sheets or Path(tempfile.mkdtemp(prefix="devface-quality-"))
    faces = liked_faces(size)
    base_faces, user_faces = faces[:40], faces[40:]
    # The baselines, measured here: other real faces against the user's, and the user's own variety.
    real = {"swd": float(np.mean(quality.swd(base_faces, user_faces))), "diversity": quality.diversity(user_faces)}
    # Quick: the judges take about 0.3 s a face, most of a quick run; 4 samples and 10 reference faces prove it runs.
    MEASURING.update(reference=base_faces[:10 if args.quick else 20], samples=4 if args.quick else 32)
    print_header(size, seconds, base_faces, user_faces, real)
    for name in [] if args.fine_tuned_only else chosen:
        _print_row(name, train_recipe(name, user_faces, seconds, sheets, seed=args.seed), real)
    for name in fine_tuned:
        if args.base:
            base, origin = args.base, f"from base {args.base}"
        else:
            base = sheets / f"base-{_slug(name)}"
            steps, wall = pretrain_base(name, base_faces, pretrain_seconds, base, args.seed, args.pretrain_steps)
            origin = f"from base ({steps} steps, {wall:.0f} s)"
        _print_row(f"{name} {origin}, untuned", base_alone(name, user_faces, sheets, base, args.seed), real)
        _print_row(f"{name} {origin}", train_recipe(name, user_faces, seconds, sheets, base, args.seed), real)


def print_header(size: int, seconds: float, base_faces: np.ndarray, user_faces: np.ndarray, real: dict) -> None:
    """The machine, the data, the real faces' figures and the column names."""
    from devface_core import quality

    print(common.machine_line())
    print(f"user: {len(user_faces)} liked faces at {size}², {seconds:.0f} s of training per row; base: "
          f"{len(base_faces)} other faces. User's own set: diversity {real['diversity']:.3f}; "
          f"SWD of the {len(base_faces)} base faces against it {real['swd']:.1f}; "
          f"near-copy limit {quality.near_copy_limit(user_faces):.3f}")
    print("×real: SWD over the base faces' SWD (below 1: nearer the user's faces than other real faces are); "
          "diversity over the user's own (above 1: samples more alike than the likes). GMAC per image, G and D.")
    print("Judges (benchmarks/judges.py): MTCNN ≥ 0.99, KID×1000 of dlib descriptors against base faces 00–19, "
          "identity diversity over the likes', distance to the likes' mean descriptor. Real faces 20–39: "
          + _judge_columns(judged(base_faces[20:], user_faces)))
    print(f"{'recipe':<36} {'steps':>6} {'wall s':>7} {'SWD':>7} {'×real':>6} {'diversity':>10} {'×real':>6} "
          f"{'nearest':>8} {'G GMAC':>7} {'D GMAC':>7} {'MTCNN':>6} {'KID':>6} {'idiv':>5} {'→likes':>6}  contact sheet")


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")


def _print_row(label: str, row: dict, real: dict) -> None:
    print(f"{label:<36} {row['steps']:>6} {row['wall']:>7.0f} {row['swd']:>7.1f} {row['swd'] / real['swd']:>5.2f}× "
          f"{row['diversity']:>10.3f} {row['diversity'] / real['diversity']:>5.2f}× {row['nearest']:>8.3f} "
          f"{row['gmac'][0]:>7.3f} {row['gmac'][1]:>7.3f} {_judge_columns(row['judges'])}  {row['sheet']}")


def _judge_columns(figures: dict) -> str:
    return (f"{figures['mtcnn_99']:>6.0%} {figures['kid_x1000']:>6.2f} {figures['diversity_x_likes']:>5.2f} "
            f"{figures['to_likes_mean']:>6.3f}")


if __name__ == "__main__":
    main()
