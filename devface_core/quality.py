"""Reference-free, offline measures of generated faces against the liked ones (NumPy and attrs, no
downloaded weights).

- Sliced Wasserstein distance (Karras et al. 2018) between 7×7 patches of a Laplacian pyramid: how far the
  local statistics (edges, textures, colours) of generated images are from the liked images', per level.
- Diversity: mean MS-SSIM between pairs of images; compared with the same on the liked set, a much higher
  value means the samples are the same face (mode collapse).
- Memorisation: each sample's distance to its nearest liked image; a near copy must never be published.
Images are (N, H, W, 3) uint8 throughout.
"""

from __future__ import annotations

import attrs
import numpy as np

PATCH = 7
GRID_SIDE = 32  # patches per row of an image at most (every pixel row of a 38-px level, every 2nd at 64)
PATCHES_PER_LEVEL = 16_384  # the most patches one set contributes per level: bounds time and memory
DIRECTIONS = 256
MIN_LEVEL_SIDE = 16
_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
NEAR_COPY_FRACTION = 0.35  # of the typical distance between two different liked images
NEAR_COPY_FLOOR = 0.02  # RMS in [0, 1] at 32×32: closer than this is a copy whatever the liked set
COMPARE_SIDE = 32


def _blur(images: np.ndarray) -> np.ndarray:
    """Separable 5-tap binomial blur with edge padding."""
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="edge")
    rows = sum(weight * padded[:, i : i + images.shape[1], :, :] for i, weight in enumerate(_BINOMIAL))
    return sum(weight * rows[:, :, i : i + images.shape[2], :] for i, weight in enumerate(_BINOMIAL))


def laplacian_pyramid(images: np.ndarray) -> list[np.ndarray]:
    """Band-pass levels from full size down to ≥ 16 px, then the low-pass residue (float32)."""
    current = images.astype(np.float32) / 127.5 - 1.0
    levels = []
    while current.shape[1] // 2 >= MIN_LEVEL_SIDE:
        smaller = _blur(current)[:, ::2, ::2, :]
        upsampled = _blur(np.repeat(np.repeat(smaller, 2, axis=1), 2, axis=2))
        levels.append(current - upsampled[:, : current.shape[1], : current.shape[2]])
        current = smaller
    levels.append(current)
    return levels


def _grid(count: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image, row, column) of every patch on a regular grid of at most GRID_SIDE × GRID_SIDE per image."""
    stride = max(1, -(-(height - PATCH + 1) // GRID_SIDE))
    rows, cols = np.arange(0, height - PATCH + 1, stride), np.arange(0, width - PATCH + 1, stride)
    return tuple(axis.ravel() for axis in np.meshgrid(np.arange(count), rows, cols, indexing="ij"))


def _patches(level: np.ndarray, seed: int, index: int) -> np.ndarray:
    """The level's grid patches, flattened to (P, 147); above PATCHES_PER_LEVEL, a subset drawn from
    (seed, index) alone, so the same images always give the same patches."""
    image, row, col = _grid(*level.shape[:3])
    if len(image) > PATCHES_PER_LEVEL:
        kept = np.sort(np.random.default_rng((seed, index)).choice(len(image), PATCHES_PER_LEVEL, replace=False))
        image, row, col = image[kept], row[kept], col[kept]
    offsets = np.arange(PATCH)
    picked = level[image[:, None, None], (row[:, None] + offsets)[:, :, None], (col[:, None] + offsets)[:, None, :]]
    return picked.reshape(len(image), -1)


def _quantile_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |a − b| between sorted columns at matching quantiles (the longer one read at the shorter's)."""
    if len(a) > len(b):
        a, b = b, a
    picks = ((np.arange(len(a)) + 0.5) * len(b) / len(a)).astype(int)
    return float(np.mean(np.abs(a - b[picks])))


@attrs.frozen
class _Level:
    """One pyramid level of a PatchDistribution."""

    mean: np.ndarray
    std: np.ndarray
    directions: np.ndarray
    projected: np.ndarray  # the reference's normalised patches projected on each direction, sorted


class PatchDistribution:
    """A reference set's 7×7 Laplacian-pyramid patches, normalised and projected on random directions per
    level: measured once, then compared with any number of generated sets (`distances`)."""

    def __init__(self, images: np.ndarray, seed: int = 0):
        self.seed = seed
        self.levels = [self._measure(level, index) for index, level in enumerate(laplacian_pyramid(images))]

    def _measure(self, level: np.ndarray, index: int) -> _Level:
        patches = _patches(level, self.seed, index)
        mean, std = patches.mean(axis=0), patches.std(axis=0) + 1e-6
        directions = np.random.default_rng((self.seed, index, 1)).normal(size=(patches.shape[1], DIRECTIONS))
        directions /= np.linalg.norm(directions, axis=0, keepdims=True)
        return _Level(mean, std, directions, np.sort(((patches - mean) / std) @ directions, axis=0))

    def distances(self, generated: np.ndarray) -> list[float]:
        """Sliced Wasserstein distance of `generated` to the reference per pyramid level (finest first), ×1000."""
        result = []
        for index, (level, own) in enumerate(zip(laplacian_pyramid(generated), self.levels)):
            projected = np.sort(((_patches(level, self.seed, index) - own.mean) / own.std) @ own.directions, axis=0)
            result.append(1000.0 * _quantile_gap(projected, own.projected))
        return result


def swd(generated: np.ndarray, real: "np.ndarray | PatchDistribution", seed: int = 0) -> list[float]:
    """Sliced Wasserstein distance per pyramid level (finest first), ×1000; descriptors are normalised by
    the liked set's per-dimension statistics, so colour shifts count as well as texture. Patches lie on
    a fixed grid rather than at random places, so a set against itself is exactly 0 and repeated
    measurements of one set agree. `real` may be a `PatchDistribution` measured before."""
    reference = real if isinstance(real, PatchDistribution) else PatchDistribution(real, seed)
    return reference.distances(generated)


def liked_distribution(real: np.ndarray, seed: int = 0, reference: int = 256) -> PatchDistribution:
    """The liked set's patch distribution for scoring samples; at most `reference` liked images (a seeded
    sample) stand for the set, which bounds memory."""
    if len(real) > reference:
        real = real[np.sort(np.random.default_rng(seed).permutation(len(real))[:reference])]
    return PatchDistribution(real, seed)


def set_score(generated: np.ndarray, liked: PatchDistribution) -> float:
    """Mean-over-levels SWD of the generated images, together, against the liked set: lower is better."""
    return float(np.mean(liked.distances(generated)))


def sample_scores(samples: np.ndarray, real: "np.ndarray | PatchDistribution", seed: int = 0) -> list[float]:
    """Mean-over-levels SWD of each sample alone against the liked set: lower is more realistic."""
    liked = real if isinstance(real, PatchDistribution) else liked_distribution(real, seed)
    return [set_score(sample[None], liked) for sample in samples]


def _ssim(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(SSIM, contrast-structure term) of two greyscale float images, 7×7 box windows."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def box(x):
        windows = np.lib.stride_tricks.sliding_window_view(x, (PATCH, PATCH))
        return windows.mean(axis=(-1, -2))

    mu_a, mu_b = box(a), box(b)
    var_a, var_b = box(a * a) - mu_a**2, box(b * b) - mu_b**2
    cov = box(a * b) - mu_a * mu_b
    cs = (2 * cov + c2) / (var_a + var_b + c2)
    luminance = (2 * mu_a * mu_b + c1) / (mu_a**2 + mu_b**2 + c1)
    return float(np.mean(luminance * cs)), float(np.mean(cs))


def ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Multi-scale SSIM of two uint8 RGB images (greyscale, scales down to ≥ 2 windows, equal weights)."""
    a = a.astype(np.float64).mean(axis=2)
    b = b.astype(np.float64).mean(axis=2)
    terms = []
    while True:
        ssim, cs = _ssim(a, b)
        if min(a.shape) // 2 < 2 * PATCH:
            terms.append(max(ssim, 0.0))
            break
        terms.append(max(cs, 0.0))
        a, b = _halve(a), _halve(b)
    return float(np.prod(np.array(terms) ** (1.0 / len(terms))))


def _halve(x: np.ndarray) -> np.ndarray:
    height, width = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    return x[:height, :width].reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))


def diversity(images: np.ndarray, pairs: int = 200, seed: int = 0) -> float:
    """Mean MS-SSIM over random pairs of different images (lower = more diverse)."""
    if len(images) < 2:
        return float("nan")
    rng = np.random.default_rng(seed)
    all_pairs = [(i, j) for i in range(len(images)) for j in range(i + 1, len(images))]
    chosen = [all_pairs[k] for k in rng.permutation(len(all_pairs))[:pairs]]
    return float(np.mean([ms_ssim(images[i], images[j]) for i, j in chosen]))


def _small(images: np.ndarray) -> np.ndarray:
    """Images averaged down to about 32×32, in [0, 1], flattened for distances (float32)."""
    factor = max(1, images.shape[1] // COMPARE_SIDE)
    side = images.shape[1] // factor * factor
    pooled = images[:, :side, :side].astype(np.float32).reshape(
        len(images), side // factor, factor, side // factor, factor, 3).mean(axis=(2, 4))
    return pooled.reshape(len(images), -1) / 255.0


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum((a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T, 0.0)


def nearest_distances(samples: np.ndarray, liked: np.ndarray, chunk: int = 256) -> np.ndarray:
    """RMS distance from each sample to its nearest liked image (both at about 32×32, in [0, 1]).

    The liked images are compared a chunk at a time, so a user with 10 000 likes costs no more memory
    than one with 256 (the selection must not undo the dataset's uint8 economy)."""
    small = _small(samples)
    best = np.full(len(samples), np.inf, dtype=np.float64)
    for start in range(0, len(liked), chunk):
        best = np.minimum(best, _squared_distances(small, _small(liked[start : start + chunk])).min(axis=1))
    return np.sqrt(best / small.shape[1])


def near_copy_limit(liked: np.ndarray, sample: int = 256, seed: int = 0) -> float:
    """The distance under which a sample counts as a copy of a liked image: a fraction of the median
    distance between a liked image and its nearest other liked image (measured on at most `sample` of
    them; fewer neighbours only make the limit stricter)."""
    if len(liked) < 2:
        return NEAR_COPY_FLOOR
    chosen = np.random.default_rng(seed).permutation(len(liked))[:sample]
    small = _small(liked[np.sort(chosen)])
    squared = _squared_distances(small, small)
    np.fill_diagonal(squared, np.inf)
    typical = float(np.median(np.sqrt(squared.min(axis=1) / small.shape[1])))
    return max(NEAR_COPY_FLOOR, NEAR_COPY_FRACTION * typical)
