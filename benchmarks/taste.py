"""The taste benchmark: do users who like different faces get different faces?

Run: python benchmarks/taste.py [--users 2] [--pretrain-steps 3000 | --base DIR] [--encoder-steps 1000] [--adapt-steps 1000]
     [--finetune-steps 500] [--scratch-steps 1500] [--samples 64] [--runs 64] [--sheets DIR] [--quick]
From ../shared/data/frontend_faces (100 varied faces), dlib's face descriptors are split into --users
clusters (k-means); each user likes the 10 faces nearest one cluster's centre. Of the faces no user
liked, every third (up to 30) is held out as the real reference (KID); the rest are the crowd a base
is pretrained on.
Rows: the crowd itself (real faces, the floor), each user's likes (taste ~100 %), the base's own samples,
the base's samples of each user's taste alone (those the taste judge gives to that user, out of a larger pool:
what a perfect filter of the base would publish, the fair match for a personalised set, which is narrow too),
the pool's faces nearest each user's likes (the base's own faces as near the likes as a judge can pick them),
each user's default fine-tune from it, each user's faces drawn at their likes' codes by the base (personalize
latent), then the face a run publishes (select best) in each of --runs runs (seeds) per user: chosen among the
base's own samples, and among the faces drawn at the likes' codes (what the user sees), and (with
--scratch-steps) each user trained from scratch. KID taste is KID×1000 against the real
faces nobody liked that are of the user's taste (crowd and reference alike): against the mixed reference, a
set that follows one taste scores a higher KID for the taste alone (the users' own likes do). Wall and CPU
seconds are per user (per run for the published faces). MTCNN≥.99 CI: where the share of faces drawn alike would land nine times out of ten (a
90 % interval; at 64 faces it spans about 15 points). Taste accuracy: the share of a user's faces nearer their
own likes' descriptor centroid than any other user's (chance 1/users).
Needs the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import common
import judge_metrics
import judges as judging
import taste_setup

LIKES_EACH = 10
REFERENCE_FACES = 30
# The base's faces of one taste are picked from this many samples per user and face judged, so that a taste
# the base draws rarely (user1's men were 17 % of the shipped base's samples) still fills its row.
POOL_PER_USER = 4


def parse_arguments() -> argparse.Namespace:
    """The benchmark's command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2, help="users (clusters of taste)")
    parser.add_argument("--pretrain-steps", type=int, default=0, help="base length (0: devface pretrain's default)")
    parser.add_argument("--base", type=Path, help="judge this base instead of pretraining one")
    parser.add_argument("--encoder-steps", type=int, default=0, help="the base's encoder (0: pretrain's default)")
    parser.add_argument("--adapt-steps", type=int, default=0, help="teaching it its codes (0: pretrain's default)")
    parser.add_argument("--finetune-steps", type=int, default=0, help="fine-tune length (0: the default)")
    parser.add_argument("--scratch-steps", type=int, default=0, help="also train each user from scratch this long")
    parser.add_argument("--samples", type=int, default=64, help="faces generated per user and recipe")
    parser.add_argument("--runs", type=int, default=64, help="runs per user whose published faces are judged")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--sheets", type=Path, help="folder for contact sheets (default: a temporary one)")
    parser.add_argument("--thumbnails", type=Path, help="also write one PNG: a row of generated faces per recipe and user")
    parser.add_argument("--quick", action="store_true", help="tiny runs at 16²: proves the benchmark runs")
    args = parser.parse_args()
    args.faces, args.likes_each, args.reference, args.run_settings = 0, LIKES_EACH, REFERENCE_FACES, {}
    if args.quick:
        # Training from scratch is the fine-tune's code without a base: the quick run leaves it out.
        args.pretrain_steps, args.finetune_steps, args.encoder_steps, args.adapt_steps = 8, 2, 4, 2
        args.samples, args.image_size, args.runs = 4, 16, 2
        # Each published run chooses among 8 faces tuned for 2 steps, not 64 tuned for 60: 12 s less alone.
        args.run_settings = {"latent_faces": 8, "latent_pivot_steps": 2}
        # Judging is most of a quick run (MTCNN and dlib take about 0.3 s per face): 40 of the 100 faces.
        args.faces, args.likes_each, args.reference = 40, 6, 10
    return args


def print_rows(label: str, samples: dict[str, np.ndarray], setup, judges, seconds: float | None = None,
               cpu: float | None = None) -> None:
    """Judge each user's samples and print one row per user with the recipe's taste accuracy and cost (a user
    with fewer than two samples gets a row that says so: KID and diversity need two)."""
    judged = {user: images for user, images in samples.items() if len(images) >= 2}
    described = {user: judges.descriptors(images) for user, images in judged.items()}
    liked = {user: judges.descriptors(images) for user, images in setup.likes.items()}
    taste = judge_metrics.taste_accuracy(described, liked)
    for user, images in samples.items():
        if user not in judged:
            print(f"{label + f' [{user}]':<44} {len(images):>4}  too few faces to judge")
            continue
        figures = judging.judge(judges, images, setup.likes[user], setup.reference)
        of_taste = 1000.0 * judge_metrics.kid(judges.descriptors(setup.taste_reference[user]), described[user])
        wall = f"{seconds:>7.1f}" if seconds is not None else f"{'—':>7}"
        cpu_text = f"{cpu:>7.1f}" if cpu is not None else f"{'—':>7}"
        low, high = judge_metrics.share_interval(figures["mtcnn_99"], len(images))
        print(f"{judging.row(f'{label} [{user}]', figures)} {of_taste:>9.2f} {taste[user]:>6.0%} {wall} {cpu_text} "
              f"{f'{low:.0%}–{high:.0%}':>13}")


def print_base_rows(base: Path, args: argparse.Namespace, setup, judges, wall: float | None) -> np.ndarray:
    """The base's own samples for everyone, then those of each user's taste alone, then those nearest each
    user's likes; the first returned."""
    pool = taste_setup.base_samples(base, args.samples * POOL_PER_USER * args.users)
    print_rows("base, untouched", {user: pool[:args.samples] for user in setup.likes}, setup, judges, wall)
    liked = {user: judges.descriptors(faces) for user, faces in setup.likes.items()}
    described = judges.descriptors(pool)
    print_rows("base, only the user's taste", taste_setup.of_each_taste(pool, described, liked, args.samples),
               setup, judges)
    print_rows("base, nearest the user's likes", taste_setup.nearest_the_likes(pool, described, liked, args.samples),
               setup, judges)
    return pool[:args.samples]


def print_published_rows(base: Path, args: argparse.Namespace, setup, judges, sheets: Path) -> dict[str, np.ndarray]:
    """The face a run publishes, once per run (args.runs seeds): chosen among the base's own samples, then
    among the faces drawn at the user's likes' codes (those returned, and written to a contact sheet)."""
    picked, _, _ = taste_setup.published_per_user(setup.likes, args.runs, base, False, args.run_settings)
    print_rows("base, the face best picks", picked, setup, judges)
    published, wall, cpu = taste_setup.published_per_user(setup.likes, args.runs, base, True, args.run_settings)
    print_rows("latent: the face published", published, setup, judges, wall, cpu)
    taste_setup.write_sheets(sheets / "published", setup.likes, published)
    return published


def main() -> None:
    """Build the users, train each recipe, judge every set and print the table."""
    args = parse_arguments()
    sheets = args.sheets or Path(tempfile.mkdtemp(prefix="devface-taste-"))
    judges = judging.FaceJudges()
    setup = taste_setup.build(judges, args.image_size, args.users, args.likes_each, args.reference, args.faces)
    print(common.machine_line())
    print(f"{args.users} users × {args.likes_each} likes from {taste_setup.FRONTEND_FACES.name} at {args.image_size}²; "
          f"crowd {len(setup.crowd)} faces (the base's), reference {len(setup.reference)} held out; "
          f"copy limit {judge_metrics.copy_limit(judges.descriptors(np.concatenate(list(setup.likes.values())))):.3f}")
    print(f"taste references (real faces nobody liked, of each user's taste): "
          f"{', '.join(f'{user} {len(faces)}' for user, faces in setup.taste_reference.items())}")
    print(f"{judging.HEADER} {'KID taste':>9} {'taste':>6} {'wall s':>7} {'cpu s':>7} {'MTCNN≥.99 CI':>13}")
    print_rows("real faces (the crowd)", {user: setup.crowd for user in setup.likes}, setup, judges)
    print_rows("the user's own likes", setup.likes, setup, judges)
    started = time.perf_counter()
    base = args.base or taste_setup.pretrain(setup.crowd, args.pretrain_steps, args.image_size, sheets / "base",
                                             args.encoder_steps, args.adapt_steps)
    base_wall = time.perf_counter() - started if not args.base else None
    base_samples = print_base_rows(base, args, setup, judges, base_wall)
    tuned, wall, cpu = taste_setup.per_user(setup.likes, args.samples, args.finetune_steps, base)
    print_rows("fine-tune from the base", tuned, setup, judges, wall, cpu)
    drawn, wall, cpu = taste_setup.latent_per_user(setup.likes, args.samples, base)
    print_rows("latent: the likes' codes", drawn, setup, judges, wall, cpu)
    taste_setup.write_sheets(sheets / "latent", setup.likes, drawn)
    published = print_published_rows(base, args, setup, judges, sheets)
    taste_setup.write_sheets(sheets / "finetune", setup.likes, tuned)
    # Generated faces only: the likes are photos from ../shared/data, which stay out of the project.
    thumbnails = [("base, untouched", base_samples)]
    thumbnails += [(f"{user} fine-tune", faces) for user, faces in tuned.items()]
    thumbnails += [(f"{user} latent", faces) for user, faces in drawn.items()]
    thumbnails += [(f"{user} published", faces) for user, faces in published.items()]
    if args.scratch_steps:
        scratch, wall, cpu = taste_setup.per_user(setup.likes, args.samples, args.scratch_steps, None)
        print_rows("from scratch", scratch, setup, judges, wall, cpu)
        taste_setup.write_sheets(sheets / "scratch", setup.likes, scratch)
        thumbnails += [(f"{user} from scratch", faces) for user, faces in scratch.items()]
    if args.thumbnails:
        taste_setup.write_thumbnails(args.thumbnails, thumbnails)
    print(f"contact sheets (each user's likes above their faces): {sheets}")


if __name__ == "__main__":
    main()
