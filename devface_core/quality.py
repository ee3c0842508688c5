"""Reference-free, offline measures of generated faces against the liked ones (NumPy only, no weights).

- Sliced Wasserstein distance (Karras et al. 2018) between 7×7 patches of a Laplacian pyramid: how far the
  local statistics (edges, textures, colours) of generated images are from the liked images', per level.
- Diversity: mean MS-SSIM between pairs of images; compared with the same on the liked set, a much higher
  value means the samples are the same face (mode collapse).
- Memorisation: each sample's distance to its nearest liked image; a near copy must never be published.
Images are (N, H, W, 3) uint8 throughout.
"""

from __future__ import annotations

import numpy as np

PATCH = 7
PATCHES_PER_IMAGE = 128
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


def _patches(level: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` random 7×7×3 patches per image, flattened: (N × count, 147)."""
    n, height, width, _ = level.shape
    ys = rng.integers(0, height - PATCH + 1, (n, count))
    xs = rng.integers(0, width - PATCH + 1, (n, count))
    offsets = np.arange(PATCH)
    rows = (ys[..., None] + offsets)[..., :, None]
    cols = (xs[..., None] + offsets)[..., None, :]
    picked = level[np.arange(n)[:, None, None, None], rows, cols]
    return picked.reshape(n * count, -1)


def _sliced_wasserstein(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, directions: int = 256) -> float:
    """Mean over random unit directions of the 1-D Wasserstein distance between the projections."""
    size = min(len(a), len(b))
    a = a[rng.choice(len(a), size, replace=False)]
    b = b[rng.choice(len(b), size, replace=False)]
    projections = rng.normal(size=(a.shape[1], directions))
    projections /= np.linalg.norm(projections, axis=0, keepdims=True)
    return float(np.mean(np.abs(np.sort(a @ projections, axis=0) - np.sort(b @ projections, axis=0))))


def swd(generated: np.ndarray, real: np.ndarray | list[np.ndarray], seed: int = 0) -> list[float]:
    """Sliced Wasserstein distance per pyramid level (finest first), ×1000; descriptors are normalised by
    the liked set's per-channel statistics, so colour shifts count as well as texture. `real` may be a
    precomputed `laplacian_pyramid` of the liked images."""
    rng = np.random.default_rng(seed)
    real_levels = laplacian_pyramid(real) if isinstance(real, np.ndarray) else real
    distances = []
    for fake_level, real_level in zip(laplacian_pyramid(generated), real_levels):
        count = max(PATCHES_PER_IMAGE, 4 * PATCHES_PER_IMAGE // max(1, len(generated)))
        fake = _patches(fake_level, count, rng)
        true = _patches(real_level, max(1, count * len(generated) // len(real_level)) + 1, rng)
        mean, std = true.mean(axis=0), true.std(axis=0) + 1e-6
        distances.append(1000.0 * _sliced_wasserstein((fake - mean) / std, (true - mean) / std, rng))
    return distances


def sample_scores(samples: np.ndarray, real: np.ndarray, seed: int = 0, reference: int = 256) -> list[float]:
    """Mean-over-levels SWD of each sample alone against the liked set: lower is more realistic.
    At most `reference` liked images (a seeded sample) stand for the set, which bounds memory."""
    if len(real) > reference:
        real = real[np.sort(np.random.default_rng(seed).permutation(len(real))[:reference])]
    real_levels = laplacian_pyramid(real)
    return [float(np.mean(swd(sample[None], real_levels, seed))) for sample in samples]


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
