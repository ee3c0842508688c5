"""Published faces' detail: a base's samples enlarged ×2 by a plain filter or by learned upscalers, judged from
outside beside real faces at the same side.

Run: python benchmarks/sharpness.py [--base builtin] [--steps 2000] [--max-blurs 0.6] [--critic-weights 0,0.1]
     [--critic-on likes] [--detail-banks 3] [--detail-likes 10] [--samples 64] [--sheet PNG] [--quick]
The base's own upscaler is also shown lending each face the finest detail of a bank of crowd faces
standing for a user's likes (`likes_detail`, what a run publishes), one row per bank. Upscalers are trained here (the product's own training, `gan/upscaler.py`) on the crowd of
benchmarks/bases.py (front-end faces less every third, and the demo faces) at twice the base's side, one per
most blur of their shrunk inputs, weight of the patch critic (0: L1 alone) and what the critic judges: the
enlarged likes, or the enlargements of faces the base drew (other noise than the judged samples'), which is
what a run publishes; a base that holds an upscaler of its own gets a row for it too. Every row is the same samples of
the base at twice its side. Sharpness is the mean squared Laplacian of the luminance, divided by that of
real faces at the same side (the held-out every third front-end face): 1.00 is a photo's detail. The
judges (benchmarks/judges.py) and KID against those held-out faces say whether detail cost the faces
anything. Needs the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import bases
import common
import judge_metrics as metrics
import judges as judging
import taste_setup


def parse_arguments() -> argparse.Namespace:
    """The benchmark's command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="builtin", help="the base whose samples are enlarged (default: builtin)")
    parser.add_argument("--steps", type=int, default=2000, help="training steps of each upscaler")
    parser.add_argument("--max-blurs", default="0.6", help="one upscaler per most blur of its inputs (pixels; "
                        "'': none, for a base with its own)")
    parser.add_argument("--critic-weights", default="0,0.1", help="and per weight of its patch critic (0: L1 alone)")
    parser.add_argument("--critic-on", default="likes", help="and per what the critic judges enlarged: 'likes', "
                        "'samples' (the base's own, drawn apart from the judged ones), or both")
    parser.add_argument("--detail-banks", type=int, default=3, help="rows lending the likes' detail (likes_detail): "
                        "one per bank of --detail-likes crowd faces, each standing for a user's likes (0: none)")
    parser.add_argument("--detail-likes", type=int, default=10, help="faces in each bank")
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--sheet", type=Path, help="a PNG of 8 samples per row (default: none)")
    parser.add_argument("--quick", action="store_true", help="4 steps, 4 samples, 24 faces: proves it runs")
    args = parser.parse_args()
    args.blurs, args.faces = [float(blur) for blur in args.max_blurs.split(",") if blur], 0
    args.weights = [float(weight) for weight in args.critic_weights.split(",")]
    args.judged = args.critic_on.split(",")
    if set(args.judged) - {"likes", "samples"}:
        parser.error(f"--critic-on takes likes and samples, not {args.critic_on}")
    if args.quick:
        args.steps, args.samples, args.faces, args.detail_banks, args.detail_likes = 4, 4, 24, 1, 4
    return args


def enlarged(faces: np.ndarray) -> np.ndarray:
    """uint8 faces at twice their side by the Lanczos filter a run resizes with when nothing upscales."""
    from devface_core.imaging import resized_faces

    return resized_faces(faces, 2 * faces.shape[1])


def trained_upscaler(crowd: np.ndarray, steps: int, max_blur: float, critic_weight: float, drawn: np.ndarray | None):
    """An upscaler trained on the crowd's faces at full side for `steps`, its critic judging the enlargements of
    `drawn` if given; (upscaler, seconds)."""
    from devface_core.gan.upscaler import UpscalerTraining, build_upscaler

    upscaler = build_upscaler()
    started = time.perf_counter()
    UpscalerTraining(upscaler, crowd, batch_size=16, max_blur=max_blur, critic_weight=critic_weight,
                     drawn=drawn).run(steps)
    return upscaler, time.perf_counter() - started


def through(upscaler, faces: np.ndarray) -> tuple[np.ndarray, float]:
    """Faces at twice their side through `upscaler`, and the milliseconds per face it took."""
    from devface_core.gan.upscaler import upscale

    upscale(upscaler, faces[:1])  # the first call builds the graph
    started = time.perf_counter()
    upscaled = upscale(upscaler, faces)
    return upscaled, 1000 * (time.perf_counter() - started) / len(faces)


def trainings(args: argparse.Namespace) -> list[tuple[float, float, str]]:
    """(most blur, critic weight, what the critic judges) of each upscaler to train; L1 alone once per blur."""
    return [(blur, weight, judged) for blur in args.blurs for weight in args.weights
            for judged in (args.judged if weight else args.judged[:1])]


def drawn_apart(base: Path, count: int) -> np.ndarray:
    """16× `count` faces the base draws from other noise than its judged samples' (their seed is 12345)."""
    return taste_setup.base_samples(base, 16 * count, seed=777)


def lent_detail(upscaler, upscaled: np.ndarray, crowd: np.ndarray, reference: np.ndarray,
                args: argparse.Namespace) -> list[tuple]:
    """Rows of the upscaled samples lent the detail of each bank of crowd faces (a user's likes, as a run lends
    them), and of the held-out real faces shrunk, upscaled and lent detail the same way: how much of a photo's
    detail the method gives back when the face beneath is real."""
    from devface_core.gan.upscaler import shrunk, upscale
    from devface_core.likes_detail import detail_bank, with_likes_detail

    def enlarge(faces: np.ndarray) -> np.ndarray:
        return upscale(upscaler, faces)

    rows, real_soft = [], enlarge(shrunk(reference))
    for index in range(args.detail_banks):
        likes = crowd[np.random.default_rng(100 + index).permutation(len(crowd))[: args.detail_likes]]
        started = time.perf_counter()
        bank = detail_bank(likes, enlarge)
        lent = with_likes_detail(upscaled, bank)
        ms = 1000 * (time.perf_counter() - started) / len(upscaled)
        rows.append((f"  the same, lent the detail of {len(likes)} likes ({index + 1})", lent, None, ms))
        if index == 0:
            rows.append(("held-out real faces shrunk, upscaled", real_soft, None, None))
            rows.append((f"  the same, lent the detail of {len(likes)} likes", with_likes_detail(real_soft, bank),
                         None, None))
    return rows


def main() -> None:
    args = parse_arguments()
    from devface_core.fields import to_base_folder
    from devface_core.gan.bases import load_model_weights
    from devface_core.gan.upscaler import build_upscaler
    from devface_core.saved_settings import has_upscaler

    judges = judging.FaceJudges()
    base = Path(to_base_folder(args.base))
    samples = taste_setup.base_samples(base, args.samples)
    side = 2 * samples.shape[1]
    crowd, reference = bases.crowd_and_reference(side, args.faces)
    floor = metrics.sharpness(reference)
    print(common.machine_line())
    print(f"{len(samples)} samples of {args.base} at {samples.shape[1]}² shown at {side}²; {len(crowd)} crowd "
          f"faces, {len(reference)} held out; upscalers trained {args.steps} steps each")
    print(f"{judging.HEADER} {'sharpness×real':>14} {'train s':>8} {'ms/face':>8}")
    real = crowd[np.random.default_rng(0).permutation(len(crowd))[: args.samples]]
    rows = [("real crowd faces (the floor)", real, None, None)]
    rows.append(("base samples, Lanczos ×2 (no upscaler)", enlarged(samples), None, None))
    if has_upscaler(base):
        upscaler = load_model_weights(build_upscaler(), base, "upscaler")
        upscaled, ms = through(upscaler, samples)
        rows.append(("base samples, the base's own upscaler", upscaled, None, ms))
        rows += lent_detail(upscaler, upscaled, crowd, reference, args)
    drawn = drawn_apart(base, args.samples) if "samples" in args.judged else None
    for blur, weight, judged in trainings(args):
        upscaler, seconds = trained_upscaler(crowd, args.steps, blur, weight, drawn if judged == "samples" else None)
        upscaled, ms = through(upscaler, samples)
        critic = f", critic {weight:g} on {judged}" if weight else ", L1 alone"
        rows.append((f"base samples, upscaler, blur ≤ {blur:g}{critic}", upscaled, seconds, ms))
    for label, faces, seconds, ms in rows:
        figures = judging.judge(judges, faces, crowd, reference)
        print(f"{judging.row(label, figures)} {metrics.sharpness(faces) / floor:>14.2f} "
              f"{'—' if seconds is None else f'{seconds:.0f}':>8} {'—' if ms is None else f'{ms:.1f}':>8}", flush=True)
    if args.sheet:
        taste_setup.write_thumbnails(args.sheet, [(label, faces) for label, faces, _, _ in rows], scale=1)
        print(f"sheet: {args.sheet}")


if __name__ == "__main__":
    main()
