"""Bases judged from outside: how a base improves with pretraining, and float32 against mixed bfloat16.

Run: python benchmarks/bases.py [--points 500,1500,3000] [--precisions float32,mixed_bfloat16] [--image-size 64]
     [--samples 64] [--sheets DIR] [--keep DIR] [--set SETTING=VALUE ...] [--quick]
The crowd is the front-end faces (../shared/data/frontend_faces) less every third, which are held out as
the real reference for KID, plus the 50 demo faces. Each precision pretrains one base with the product's own
resumable pretraining (`run_pretraining` with checkpoints and resume), stopping at each point of --points
to save the base and judge its own samples (benchmarks/judges.py: MTCNN, KID×1000 against the reference,
identity diversity against the crowd's). The first row judges real crowd faces the same way: the floor.
Training seconds and steps/s are per precision, measured in the same run; the machine line says where.
Needs the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import common
import judges as judging
import taste_setup


def parse_arguments() -> argparse.Namespace:
    """The benchmark's command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default="500,1500,3000", help="steps at which each base is saved and judged")
    parser.add_argument("--precisions", default="float32,mixed_bfloat16")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--samples", type=int, default=64, help="samples judged per base")
    parser.add_argument("--sheets", type=Path, help="folder for each base's samples as a PNG (default: temporary)")
    parser.add_argument("--keep", type=Path, help="folder that keeps each precision's base and checkpoints "
                        "(default: a temporary one, removed); a later run with the same folder resumes them")
    parser.add_argument("--set", action="append", default=[], metavar="SETTING=VALUE", dest="settings",
                        help="a pretraining setting for every base (repeatable), to compare recipes: r1_gamma=1")
    parser.add_argument("--quick", action="store_true", help="tiny bases at 16²: proves the benchmark runs")
    args = parser.parse_args()
    args.settings = dict(setting.split("=", 1) for setting in args.settings)
    args.points = [int(point) for point in args.points.split(",")]
    args.faces = 0
    if args.quick:
        args.points, args.image_size, args.samples, args.faces = [4, 8], 16, 4, 24
    return args


def crowd_and_reference(size: int, limit: int, with_demo: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(crowd, reference): front-end faces less every third, plus the demo faces when `with_demo`; every third
    front-end face."""
    from devface_core.imaging import decode_image, fit_image, to_array

    faces = taste_setup.front_end_faces(size)
    faces = faces[:limit] if limit else faces
    kept = [face for index, face in enumerate(faces) if index % 3]
    if with_demo:
        demo = [to_array(fit_image(decode_image(png, "demo"), size)) for png in common.demo_face_pngs()]
        kept += demo[: limit or len(demo)]
    return np.stack(kept), faces[::3]


def crowd_store(crowd: np.ndarray, name: str):
    """The crowd's faces as one user's likes in a memory store of its own."""
    from devface_adapters.memory import MemoryAdapter
    from devface_core.imaging import encode_png

    store = MemoryAdapter(space=f"bases-{name}")
    for index, face in enumerate(crowd):
        store.add("crowd", encode_png(face), f"{index}.png")
    return store


def pretrain_to(store, size: int, precision: str, steps: int, folder: Path, quick: bool,
                settings: dict[str, str]) -> tuple[float, int]:
    """Continue this precision's base to `steps` (resuming its checkpoint) and save it; the seconds it took
    and the step it resumed from (0 for none)."""
    from devface_core.config_loading import load_config
    from devface_core.pipeline import run_pretraining

    # No encoder or upscaler: this benchmark judges the GAN's own samples (taste.py and sharpness.py judge what
    # those add), and training them at every point would be most of a quick run.
    overrides = {"image_size": size, "precision": precision, "max_steps": steps, "resume": True,
                 "checkpoint_dir": str(folder / "checkpoints"), "checkpoint_every": 250, "encoder_steps": 0,
                 "upscaler_steps": 0}
    if quick:
        overrides.update(batch_size=4, z_dim=8, checkpoint_every=4)
    overrides.update(settings)
    started = time.perf_counter()
    config = load_config(environ={}, overrides=overrides, pretraining=True)
    report = run_pretraining(store, ["crowd"], config, folder / "base")
    return time.perf_counter() - started, report.resumed_from_step or 0


def main() -> None:
    args = parse_arguments()
    judges = judging.FaceJudges()
    crowd, reference = crowd_and_reference(args.image_size, args.faces)
    sheets = args.sheets or Path(tempfile.mkdtemp(prefix="devface-bases-"))
    print(common.machine_line())
    print(f"{len(crowd)} crowd faces at {args.image_size}², {len(reference)} held out; {args.samples} samples per row; "
          f"settings: {args.settings or 'defaults'}")
    print(f"{judging.HEADER} {'steps':>6} {'resumed':>7} {'train s':>8} {'steps/s':>8}")
    real = crowd[np.random.default_rng(0).permutation(len(crowd))[: args.samples]]
    print(judging.row("real crowd faces (the floor)", judging.judge(judges, real, crowd, reference)))
    with tempfile.TemporaryDirectory(prefix="devface-bases-") as temporary:
        work = args.keep or temporary
        precisions = args.precisions.split(",")
        stores = {precision: crowd_store(crowd, precision) for precision in precisions}
        seconds, trained = dict.fromkeys(precisions, 0.0), dict.fromkeys(precisions, 0)
        for steps in args.points:  # precisions side by side at each point: the same machine load for both
            for precision in precisions:
                folder = Path(work) / precision
                spent, resumed = pretrain_to(stores[precision], args.image_size, precision, steps, folder, args.quick,
                                             args.settings)
                # Steps/s counts the steps this run trained: a resumed base's earlier steps took no time here.
                seconds[precision] += spent
                trained[precision] += steps - resumed
                samples = taste_setup.base_samples(folder / "base", args.samples)
                taste_setup.write_thumbnails(sheets / f"{precision}-{steps}.png", [(f"{steps}", samples)])
                figures = judging.judge(judges, samples, crowd, reference)
                print(f"{judging.row(f'base {precision}', figures)} {steps:>6} {resumed or '-':>7} "
                      f"{seconds[precision]:>8.0f} {trained[precision] / seconds[precision]:>8.2f}", flush=True)
    print(f"samples: {sheets}")


if __name__ == "__main__":
    main()
