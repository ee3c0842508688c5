"""Saved bases judged side by side on many samples, with the spread that 64 samples would show.

Run: python benchmarks/judge_bases.py NAME=BASE [NAME=BASE ...] [--samples 256] [--sheets DIR] [--front-end-only]
     [--quick]
Each BASE is a base folder or `builtin`. Every base is judged in the same run on the same crowd and
held-out reference as benchmarks/bases.py (front-end faces less every third, plus the demo faces unless
--front-end-only; every third front-end face held out), beside the real crowd (the floor). The last column
is KID×1000 of each disjoint quarter of a base's samples: how far apart one base's figures land on
different noise, so a difference between two bases smaller than that spread is chance.
Needs the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import bases
import common
import judge_metrics as metrics
import judges as judging
import taste_setup

QUARTERS = 4


def parse_arguments() -> argparse.Namespace:
    """The benchmark's command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bases", nargs="*", metavar="NAME=BASE", help="a label and a base folder (or builtin)")
    parser.add_argument("--samples", type=int, default=256, help="samples judged per base (a multiple of 4)")
    parser.add_argument("--sheets", type=Path, help="folder for each base's first 32 samples as a PNG")
    parser.add_argument("--front-end-only", action="store_true",
                        help="the crowd (the floor, and the likes that diversity is measured against) without the "
                        "demo faces: for bases trained on the front-end faces alone")
    parser.add_argument("--quick", action="store_true", help="the builtin base, 8 samples, 24 faces: proves it runs")
    args = parser.parse_args()
    args.faces = 0
    if args.quick:
        args.bases, args.samples, args.faces = args.bases or ["builtin=builtin"], 8, 24
    if not args.bases or any("=" not in spec for spec in args.bases):
        parser.error("give at least one NAME=BASE")
    return args


def quarter_kids(judges: judging.FaceJudges, samples: np.ndarray, reference: np.ndarray) -> list[float]:
    """KID×1000 against `reference` of each disjoint quarter of `samples`."""
    real = judges.descriptors(reference)
    return [1000 * metrics.kid(real, part) for part in np.array_split(judges.descriptors(samples), QUARTERS)]


def main() -> None:
    args = parse_arguments()
    from devface_core.fields import to_base_folder

    judges = judging.FaceJudges()
    crowd, reference = bases.crowd_and_reference(64, args.faces, with_demo=not args.front_end_only)
    print(common.machine_line())
    print(f"{len(crowd)} crowd faces at 64², {len(reference)} held out; {args.samples} samples per base")
    print(f"{judging.HEADER}  KID×1000 of each quarter")
    print(judging.row("real crowd faces (the floor)", judging.judge(judges, crowd, crowd, reference)))
    for spec in args.bases:
        name, folder = spec.split("=", 1)
        samples = taste_setup.base_samples(Path(to_base_folder(folder)), args.samples)
        quarters = " ".join(f"{kid:.2f}" for kid in quarter_kids(judges, samples, reference))
        print(f"{judging.row(name, judging.judge(judges, samples, crowd, reference))}  {quarters}", flush=True)
        if args.sheets:
            taste_setup.write_thumbnails(args.sheets / f"{name}.png", [(name, samples[:32])])


if __name__ == "__main__":
    main()
