"""The finest detail of a user's own likes, lent to their enlarged face patch by patch.

An upscaler trained by L1 draws the mean of every detail a small face could hide, so its faces are soft
(docs/benchmarks.md "Published detail"). Here each 8×8 patch of the enlarged face finds, near the same place
in the user's likes, the patch whose enlargement from the small side looks most like it, and takes that
like's own detail: what the like holds beyond its enlargement. The detail comes from real faces at twice
the base's side, so it is the texture of skin, hair and eyes that a photo has, not a learnt guess.
"""

from __future__ import annotations

from typing import Callable

import attrs
import numpy as np

from devface_core.imaging import resized_faces

PATCH = 8
STRIDE = PATCH // 2  # half-overlapping windows: every pixel is in (up to) four patches
# How far (in strides) from its own place a patch may look: faces are centred, so an eye's detail comes from
# the likes' eyes, while pose and framing still differ by a few pixels.
REACH = 2
# A like's detail is scaled to the patch's contrast, within these factors. Never below 1: a base's faces are
# softer than photos, so their patches match smoother parts of the likes, whose detail is weaker than a photo's
# (a floor of 0.5 gave sharpness 0.55-0.62 of a photo's, 1 gave 0.80-0.97 at a lower KID; "Published detail:
# the likes' own" in docs/benchmarks.md).
GAIN_LIMITS = (1.0, 2.0)
# A like holds detail to lend when it differs from its own half-side copy enlarged again by at least this many
# levels (root mean square). The front-end faces at 128² differ by 4.7–11.4; the demo source's, the shipped
# base's 64² faces enlarged to 128², by 1.1–1.9: an enlarged small picture has nothing finer to lend.
MIN_DETAIL = 3.0


@attrs.frozen
class DetailBank:
    """The likes' patches on the stride grid: unit-length low features, their lengths, and their detail."""

    features: np.ndarray  # (N, G, G, D) the enlarged likes' patches less their mean, of unit length
    lengths: np.ndarray  # (N, G, G) those patches' lengths before scaling
    detail: np.ndarray  # (N, G, G, PATCH, PATCH, 3) the likes less their enlargement

    @property
    def side(self) -> int:
        """The side of the faces this bank lends detail to."""
        return (self.features.shape[1] - 1) * STRIDE + PATCH


def finest_detail(like: np.ndarray) -> float:
    """How much a uint8 like (S, S, 3) holds beyond its copy at half the side enlarged again: the root mean
    square difference, in levels of 255 (see MIN_DETAIL)."""
    side = like.shape[0]
    again = resized_faces(resized_faces(like[None], side // 2), side)[0]
    return float(np.sqrt(np.mean((like.astype(np.float64) - again) ** 2)))


def detail_bank(likes: np.ndarray, enlarge: Callable[[np.ndarray], np.ndarray]) -> DetailBank:
    """The bank of uint8 likes at the published side (N, 2S, 2S, 3), and their mirror images, where
    `enlarge` is what enlarges faces from half that side (the base's upscaler)."""
    likes = np.concatenate([likes, likes[:, :, ::-1]])
    enlarged = enlarge(resized_faces(likes, likes.shape[1] // 2)).astype(np.float32)
    features, lengths = _features(_patches(enlarged))
    return DetailBank(features, lengths, _patches(likes.astype(np.float32) - enlarged))


def with_likes_detail(faces: np.ndarray, bank: DetailBank) -> np.ndarray:
    """uint8 enlarged faces (N, 2S, 2S, 3) with the bank's detail added, patch by patch."""
    if faces.shape[1] != bank.side:
        raise ValueError(f"faces of side {faces.shape[1]} given to a detail bank of side {bank.side}")
    features, lengths = _features(_patches(faces.astype(np.float32)))
    window = _window()[..., None]
    added = np.zeros(faces.shape, np.float64)
    overlap = np.zeros(faces.shape[1:3] + (1,))  # per pixel, the sum of the squared windows over it
    grid = features.shape[1]
    for row in range(grid):
        for column in range(grid):
            near = np.s_[:, max(0, row - REACH): row + REACH + 1, max(0, column - REACH): column + REACH + 1]
            detail = _nearest_detail(features[:, row, column], lengths[:, row, column], bank, near)
            here = np.s_[row * STRIDE: row * STRIDE + PATCH, column * STRIDE: column * STRIDE + PATCH]
            added[(slice(None), *here)] += window * detail
            overlap[here] += window ** 2
    # Dividing by the root of the squared windows keeps the detail's strength where patches from different
    # likes overlap; dividing by the windows' sum (plain averaging) would halve it.
    return np.clip(np.round(faces + added / np.sqrt(overlap)), 0, 255).astype(np.uint8)


def _nearest_detail(query: np.ndarray, length: np.ndarray, bank: DetailBank, near) -> np.ndarray:
    """Per face, the detail of the bank patch nearest its `query` features among `near`, scaled to its contrast."""
    candidates = bank.features[near].reshape(-1, bank.features.shape[-1])
    nearest = (query @ candidates.T).argmax(axis=1)  # unit length: the nearest is the most aligned
    gain = np.clip(length / np.maximum(bank.lengths[near].reshape(-1)[nearest], 1e-3), *GAIN_LIMITS)
    return bank.detail[near].reshape(-1, PATCH, PATCH, 3)[nearest] * gain[:, None, None, None]


def _window() -> np.ndarray:
    """A patch's weights: a raised cosine, so neighbouring patches fade into each other without seams."""
    ramp = np.sin(np.pi * (np.arange(PATCH) + 0.5) / PATCH) ** 2
    return np.outer(ramp, ramp)


def _patches(images: np.ndarray) -> np.ndarray:
    """(N, G, G, PATCH, PATCH, 3) float patches of float images (N, side, side, 3) on the stride grid."""
    if (images.shape[1] - PATCH) % STRIDE:
        raise ValueError(f"a face of side {images.shape[1]} does not fit whole {PATCH}² patches every {STRIDE}")
    windows = np.lib.stride_tricks.sliding_window_view(images, (PATCH, PATCH), axis=(1, 2))[:, ::STRIDE, ::STRIDE]
    return np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3))


def _features(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Patches less their mean colour, flattened and of unit length; and their lengths before."""
    centred = (patches - patches.mean(axis=(3, 4), keepdims=True)).reshape(*patches.shape[:3], -1)
    lengths = np.linalg.norm(centred, axis=-1)
    return centred / np.maximum(lengths, 1e-3)[..., None], lengths
