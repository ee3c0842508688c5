"""The taste benchmark's users and runs: front-end faces split into tastes by k-means on dlib descriptors,
a base pretrained on the faces nobody liked, and each user's faces from a fine-tune or from scratch."""

from __future__ import annotations

import time
from pathlib import Path

import attrs
import numpy as np

import common
import judge_metrics

FRONTEND_FACES = common.ROOT.parent / "shared" / "data" / "frontend_faces"
KMEANS_ROUNDS = 50


@attrs.frozen
class TasteSetup:
    """Each user's liked faces, the crowd a base learns from, the held-out real reference, and each user's real
    faces of their taste (taste_references)."""

    likes: dict[str, np.ndarray]
    crowd: np.ndarray
    reference: np.ndarray
    taste_reference: dict[str, np.ndarray]


def front_end_faces(size: int) -> np.ndarray:
    """The front end's faces as (N, size, size, 3) uint8, fitted the way a run fits likes."""
    from devface_core.imaging import decode_image, fit_image, to_array

    files = sorted(FRONTEND_FACES.glob("*.png"))
    if not files:
        raise SystemExit(f"no faces in {FRONTEND_FACES}: the taste benchmark needs ../shared/data")
    return np.stack([to_array(fit_image(decode_image(file.read_bytes(), file.name), size)) for file in files])


def clusters(descriptors: np.ndarray, count: int) -> np.ndarray:
    """k-means centres (farthest-point start from the first face, so the split is the same every run)."""
    centres = [descriptors[0]]
    while len(centres) < count:
        distances = judge_metrics.pairwise_distances(descriptors, np.stack(centres)).min(axis=1)
        centres.append(descriptors[int(distances.argmax())])
    centres = np.stack(centres)
    for _ in range(KMEANS_ROUNDS):
        nearest = judge_metrics.pairwise_distances(descriptors, centres).argmin(axis=1)
        centres = np.stack([descriptors[nearest == k].mean(axis=0) for k in range(count)])
    return centres


def build(judges, size: int, users: int, likes_each: int, reference_count: int, limit: int = 0) -> TasteSetup:
    """Users who each like the `likes_each` faces nearest one taste cluster's centre; the rest split into
    a held-out reference (every third face, up to `reference_count`) and the crowd, and, for each user, among
    both, those of their taste (taste_references); `limit`: use only the first that many faces (0: all)."""
    faces = front_end_faces(size)
    faces = faces[:limit] if limit else faces
    descriptors = judges.descriptors(faces)
    distances = judge_metrics.pairwise_distances(descriptors, clusters(descriptors, users))
    nearest = distances.argmin(axis=1)
    likes, liked, taken = {}, {}, set()
    for k in range(users):
        members = [index for index in np.argsort(distances[:, k]) if nearest[index] == k][:likes_each]
        likes[f"user{k}"], liked[f"user{k}"] = faces[members], descriptors[members]
        taken.update(members)
    others = [index for index in range(len(faces)) if index not in taken]
    reference = others[::3][:reference_count]
    crowd = [index for index in others if index not in set(reference)]
    of_taste = taste_references(faces[others], descriptors[others], liked)
    return TasteSetup(likes, faces[crowd], faces[reference], of_taste)


def taste_references(faces: np.ndarray, described: np.ndarray, liked: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per user, the real faces nobody liked that the taste judge gives to them (descriptor nearest their likes'
    centroid): the reference for a realism judge that a set following one taste is not penalised for."""
    nearest = judge_metrics.nearest_taste(described, liked)
    return {user: faces[nearest == index] for index, user in enumerate(sorted(liked))}


def pretrain(crowd: np.ndarray, steps: int, size: int, folder: Path, encoder_steps: int = 0,
             adapt_steps: int = 0) -> Path:
    """A base and its encoder (no upscaler), taught its codes, pretrained on the crowd by the product's own
    pretraining (its default lengths unless `steps`, `encoder_steps` and `adapt_steps`)."""
    from devface_adapters.memory import MemoryAdapter
    from devface_core.config_loading import load_config
    from devface_core.imaging import encode_png
    from devface_core.pipeline import run_pretraining

    store = MemoryAdapter(space=f"taste-crowd-{folder.name}")
    for index, face in enumerate(crowd):
        store.add("crowd", encode_png(face), f"{index}.png")
    # No upscaler: every row is judged at the base's own side, so it would train for nothing.
    overrides = {"image_size": size, "max_steps": steps or None, "encoder_steps": encoder_steps or None,
                 "adapt_steps": adapt_steps or None, "upscaler_steps": 0}
    run_pretraining(store, ["crowd"], load_config(environ={}, overrides=overrides, pretraining=True), folder)
    return folder


def base_samples(base: Path, count: int, seed: int = 12345) -> np.ndarray:
    """The base's own samples, untouched by any user (every shape setting read from the base), on noise of
    `seed` (Trainer.generate's own, which every judged row uses unless told)."""
    from devface_core.config_loading import load_config
    from devface_core.gan.trainer import Trainer

    return Trainer(load_config(environ={}, overrides={"init_from": str(base)})).generate(count, seed)


def of_each_taste(pool: np.ndarray, described: np.ndarray, liked: dict[str, np.ndarray], count: int):
    """Per user, the first `count` faces of `pool` that the taste judge gives to them (descriptor nearest their
    likes' centroid): the base's own faces of that taste, as a perfect filter of its samples would pick them."""
    nearest = judge_metrics.nearest_taste(described, liked)
    return {user: pool[nearest == index][:count] for index, user in enumerate(sorted(liked))}


def nearest_the_likes(pool: np.ndarray, described: np.ndarray, liked: dict[str, np.ndarray], count: int):
    """Per user, the `count` faces of `pool` whose descriptors lie nearest their likes' mean descriptor: the
    base's own faces pushed as near the likes as a judge can pick them (no run can), to set beside a
    personalised set at the same nearness."""
    picked = {}
    for user, likes in liked.items():
        distances = judge_metrics.pairwise_distances(described, likes.mean(axis=0)[None])[:, 0]
        picked[user] = pool[np.argsort(distances, kind="stable")[:count]]
    return picked


def per_user(likes: dict[str, np.ndarray], count: int, steps: int, base: Path | None):
    """Each user's `count` faces after the default run (a fine-tune from `base`, or from scratch), and the
    mean wall and CPU seconds of a user's training."""
    from devface_core.config_loading import load_config
    from devface_core.gan.trainer import Trainer

    samples, walls, cpus = {}, [], []
    for user, faces in likes.items():
        overrides = {"image_size": faces.shape[1], "init_from": str(base) if base else None}
        overrides["finetune_steps" if base else "max_steps"] = steps or None
        trainer = Trainer(load_config(environ={}, overrides=overrides))
        started, cpu = time.perf_counter(), time.process_time()
        for _ in trainer.train(faces):
            pass
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        samples[user] = trainer.generate(count)
    return samples, float(np.mean(walls)), float(np.mean(cpus))


def latent_per_user(likes: dict[str, np.ndarray], count: int, base: Path):
    """Each user's `count` faces drawn at their likes' codes (personalize latent, every setting at its default),
    and the mean wall and CPU seconds per user, the base loaded afresh for each as a run would."""
    from devface_core.config_loading import load_config
    from devface_core.gan.latent import LatentBase

    samples, walls, cpus = {}, [], []
    for user, faces in likes.items():
        config = load_config(environ={}, overrides={"init_from": str(base), "latent_faces": count})
        started, cpu = time.perf_counter(), time.process_time()
        drawn = LatentBase.load(config).faces_for(config, faces)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        samples[user] = drawn
    return samples, float(np.mean(walls)), float(np.mean(cpus))


def published_per_user(likes: dict[str, np.ndarray], runs: int, base: Path, latent: bool = True,
                       settings: dict | None = None):
    """Per user, the face `devface-run` publishes (`select` at its default, best) in each of `runs` runs, seeds
    0 to runs − 1: chosen among faces drawn at the likes' codes (personalize latent, the base loaded afresh for
    each run as a run loads it) or, with `latent` False, among as many of the base's own samples; and the mean
    wall and CPU seconds of a run's drawing and choosing. `settings`: overrides of the defaults."""
    from devface_core.config_loading import load_config
    from devface_core.gan.latent import LatentBase
    from devface_core.gan.trainer import Trainer
    from devface_core.selection import select_snapshot
    from devface_core.types import Snapshot

    published, walls, cpus = {}, [], []
    for user, faces in likes.items():
        sampler = None if latent else Trainer(load_config(environ={}, overrides={"init_from": str(base)}))
        chosen = []
        for seed in range(runs):
            config = load_config(environ={}, overrides={"init_from": str(base), "seed": seed, **(settings or {})})
            started, cpu = time.perf_counter(), time.process_time()
            drawn = (LatentBase.load(config).faces_for(config, faces) if latent
                     else sampler.generate(config.latent_faces, seed))
            choice = select_snapshot([Snapshot(step=0, images=drawn)], config.select, faces)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
            chosen.append(drawn[choice.sample_index])
        published[user] = np.stack(chosen)
    return published, float(np.mean(walls)), float(np.mean(cpus))


def write_sheets(folder: Path, likes: dict[str, np.ndarray], samples: dict[str, np.ndarray]) -> None:
    """Per user, a contact sheet: their likes in the first row, their faces below."""
    from devface_core.contact_sheet import write_contact_sheet
    from devface_core.types import Snapshot

    for user, faces in likes.items():
        rows = [Snapshot(step=0, images=faces)]
        rows += [Snapshot(step=1 + start // 16, images=samples[user][start:start + 16])
                 for start in range(0, len(samples[user]), 16)]
        write_contact_sheet(folder, user, rows)


def write_thumbnails(path: Path, rows: list[tuple[str, np.ndarray]], per_row: int = 8, scale: int = 2) -> None:
    """One PNG: a labelled row of `per_row` faces for each (label, faces), enlarged `scale`× (nearest)."""
    from PIL import Image, ImageDraw

    side, label_width, gap = rows[0][1].shape[1] * scale, 230, 2
    sheet = Image.new("RGB", (label_width + per_row * (side + gap), len(rows) * (side + gap)), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for index, (label, faces) in enumerate(rows):
        top = index * (side + gap)
        # Pillow's default font has no "×" and drew a box in its place.
        draw.text((4, top + side // 2 - 6), label.replace("×", "x"), fill=(230, 230, 230))
        for column, face in enumerate(faces[:per_row]):
            tile = Image.fromarray(face).resize((side, side), Image.Resampling.NEAREST)
            sheet.paste(tile, (label_width + column * (side + gap), top))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
