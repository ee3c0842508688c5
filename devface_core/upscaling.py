"""Give a base its ×2 upscaler (after pretraining, `upscaler_steps`, or later with `devface upscaler`) and
publish faces through it, with the finest detail of the user's own likes (likes_detail.py), so a published
face's detail comes from twice the base's side."""

from __future__ import annotations

import itertools
from typing import Callable, Iterable

import attrs
import numpy as np
from PIL import Image

from devface_core.base_parts import PartReport, add_part, likes_of, train_in_chunks
from devface_core.config import Config
from devface_core.dataset import decoded_like, liked_images
from devface_core.errors import InvalidImageError
from devface_core.imaging import fit_image, to_array
from devface_core.likes_detail import MIN_DETAIL, detail_bank, finest_detail, with_likes_detail
from devface_core.protocols import ImageSource
from devface_core.saved_settings import has_upscaler
from devface_core.types import Progress, SourceImage, StopFlag

# A published face borrows detail from at most this many likes, found among at most DETAIL_LOOKS: ten likes
# lent as much detail as 116 faces did (docs/benchmarks.md "Published detail: the likes' own"); the bank of
# 16 likes and their mirror images holds about 45 MiB at 128²; and a user with thousands of small likes must
# not cost a full second look (a run keeps the first DETAIL_LOOKS it read: read_once.py).
DETAIL_LIKES = 16
DETAIL_LOOKS = 128


def likes_at_twice_the_side(source: ImageSource, user_ids: Iterable[str], config: Config) -> np.ndarray:
    """Every user's usable likes as uint8 faces at twice `config.image_size` (NoImagesError if none)."""
    return likes_of(source, user_ids, attrs.evolve(config, image_size=2 * config.image_size))[1]


def train_upscaler(likes: np.ndarray, config: Config, progress: Callable[[Progress], None] | None = None,
                   stop: StopFlag | None = None):
    """An upscaler trained on uint8 likes at twice the base's side for `upscaler_steps`; (upscaler, steps, losses)."""
    from devface_core.gan.upscaler import UpscalerTraining, build_upscaler

    upscaler = build_upscaler(config.seed)
    training = UpscalerTraining(upscaler, likes, config.batch_size, config.seed, critic_weight=config.upscaler_critic)
    steps, losses = train_in_chunks(training, config.upscaler_steps, "×2 upscaler", len(likes), progress, stop)
    return upscaler, steps, losses


def run_upscaler_training(source: ImageSource, user_ids: Iterable[str], config: Config,
                          progress: Callable[[Progress], None] | None = None,
                          stop: StopFlag | None = None) -> PartReport:
    """Train an upscaler for the base `config.init_from` on every user's likes and add it to that base."""
    return add_part("upscaler", source, user_ids, config, likes_at_twice_the_side,
                    lambda config, likes: train_upscaler(likes, config, progress, stop), stop)


def detail_side(config: Config) -> int:
    """The side a published face's detail comes from: twice the base's when it has an upscaler and
    `upscale` is on, else the side the faces are drawn at."""
    upscaled = config.upscale and config.init_from and has_upscaler(config.init_from)
    return 2 * config.image_size if upscaled else config.image_size


def detail_looks(config: Config) -> int:
    """How many of a user's first likes `likes_for_detail` looks at (0: it looks at none)."""
    return _looks_at(config, detail_side(config))


def _looks_at(config: Config, side: int) -> int:
    return DETAIL_LOOKS if config.likes_detail and side > config.image_size else 0


def likes_for_detail(source: ImageSource, user_id: str, config: Config) -> np.ndarray:
    """Up to DETAIL_LIKES of the user's likes that hold detail at `detail_side(config)`, fitted to it as uint8
    (N, side, side, 3): what `upscaled_face` borrows detail from; none when `likes_detail` is off or nothing
    is upscaled. Unusable likes are passed over here: reading the training set reported them."""
    side = detail_side(config)  # it reads the base's files: once
    looks = _looks_at(config, side)
    found: list[np.ndarray] = []
    if looks:
        liked = iter(liked_images(source, user_id, config.max_image_bytes))
        try:
            for image in itertools.islice(liked, looks):
                pixels = _stored_at_least(image, side, config)
                if pixels is not None and finest_detail(pixels) >= MIN_DETAIL:
                    found.append(pixels)
                if len(found) == DETAIL_LIKES:
                    break
        finally:
            close = getattr(liked, "close", None)
            if callable(close):
                close()
    return np.stack(found) if found else np.zeros((0, side, side, 3), np.uint8)


def _stored_at_least(liked: SourceImage, side: int, config: Config) -> np.ndarray | None:
    """A like fitted to `side`, or None when it is unusable or stored smaller (it has no detail to lend: a
    like stored larger but enlarged from a smaller picture is told by `finest_detail`)."""
    try:
        pixels = decoded_like(liked, config)
    except InvalidImageError:
        return None
    if min(pixels.shape[:2]) < side:
        return None
    return to_array(fit_image(Image.fromarray(pixels, "RGB"), side, config.fit))


def upscaled_face(config: Config, face: np.ndarray, likes: np.ndarray | None = None) -> np.ndarray:
    """One uint8 face at `detail_side(config)`: through the base's upscaler, with the finest detail of `likes`
    (uint8 at that side, from `likes_for_detail`) when any are given; or as it is."""
    if detail_side(config) == face.shape[0]:
        return face
    from devface_core.gan.bases import load_model_weights
    from devface_core.gan.upscaler import build_upscaler, upscale

    upscaler = load_model_weights(build_upscaler(), config.init_from, "upscaler")
    enlarged = upscale(upscaler, face[None])
    if likes is not None and len(likes):
        enlarged = with_likes_detail(enlarged, detail_bank(likes, lambda faces: upscale(upscaler, faces)))
    return enlarged[0]
