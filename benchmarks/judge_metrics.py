"""Figures over face descriptors (numpy only): KID, identity diversity, distance to the likes' mean,
identity copies and taste accuracy (the descriptors come from `judges.py`; these functions only count), the
interval a pass share could move in by chance, and the sharpness of images."""

from __future__ import annotations

import numpy as np

# A sample is an identity copy when its nearest like is nearer than this share of the distance at which
# the likes themselves sit from their nearest other like (different people who look most alike).
COPY_SHARE = 0.5
# Two-sided 90 %: the normal quantile 1.645.
INTERVAL_Z = 1.645


def pairwise_distances(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Euclidean distances between every row of `first` and every row of `second`."""
    return np.linalg.norm(first[:, None, :] - second[None, :, :], axis=-1)


def kid(real: np.ndarray, fake: np.ndarray) -> float:
    """Kernel inception distance: the unbiased MMD² with the cubic kernel (x·y/d + 1)³ (Bińkowski 2018)."""
    dimensions = real.shape[1]

    def kernel(first, second):
        return (first @ second.T / dimensions + 1.0) ** 3

    def within(samples):
        count = len(samples)
        block = kernel(samples, samples)
        return (block.sum() - np.trace(block)) / (count * (count - 1))

    return float(within(real) + within(fake) - 2.0 * kernel(real, fake).mean())


def mean_pairwise_distance(descriptors: np.ndarray) -> float:
    """The mean distance between two different rows: how many different identities a set holds."""
    distances = pairwise_distances(descriptors, descriptors)
    return float(distances[np.triu_indices(len(descriptors), 1)].mean())


def identity_diversity(samples: np.ndarray, likes: np.ndarray) -> float:
    """The samples' mean pairwise distance over the likes' (1: as varied as the likes; low: one face)."""
    return mean_pairwise_distance(samples) / mean_pairwise_distance(likes)


def distance_to_likes_mean(samples: np.ndarray, likes: np.ndarray) -> float:
    """How far the samples' mean descriptor lies from the likes' mean: whether the set leans to the likes."""
    return float(np.linalg.norm(samples.mean(axis=0) - likes.mean(axis=0)))


def copy_limit(likes: np.ndarray) -> float:
    """The distance under which a sample copies a like: COPY_SHARE of the likes' median nearest-like distance."""
    distances = pairwise_distances(likes, likes)
    np.fill_diagonal(distances, np.inf)
    return COPY_SHARE * float(np.median(distances.min(axis=1)))


def identity_copies(samples: np.ndarray, likes: np.ndarray) -> int:
    """How many samples sit within the copy limit of some like."""
    return int((pairwise_distances(samples, likes).min(axis=1) < copy_limit(likes)).sum())


def nearest_taste(described: np.ndarray, likes: dict[str, np.ndarray]) -> np.ndarray:
    """Per descriptor, the index (in sorted user order) of the user whose likes' centroid is nearest."""
    centroids = np.stack([likes[user].mean(axis=0) for user in sorted(likes)])
    return pairwise_distances(described, centroids).argmin(axis=1)


def taste_accuracy(samples: dict[str, np.ndarray], likes: dict[str, np.ndarray]) -> dict[str, float]:
    """Per user in `samples`, the share of their samples whose descriptor is nearer their own likes' centroid
    than any other user's in `likes` (chance: 1 / number of users)."""
    users = sorted(likes)
    return {user: float((nearest_taste(samples[user], likes) == users.index(user)).mean()) for user in samples}


def share_interval(share: float, total: int) -> tuple[float, float]:
    """The 90 % Wilson score interval of a pass share measured on `total` faces: where a detector's pass share
    of faces drawn alike would land nine times out of ten (at 64 faces, about ±8 points)."""
    spread = INTERVAL_Z ** 2 / total
    centre = (share + spread / 2) / (1 + spread)
    half = INTERVAL_Z * np.sqrt(share * (1 - share) / total + spread / (4 * total)) / (1 + spread)
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def sharpness(images: np.ndarray) -> float:
    """Mean squared Laplacian of the luminance (0..1) over uint8 images: the energy of their finest detail."""
    luminance = images.astype(np.float64).mean(axis=-1) / 255.0
    laplacian = (luminance[:, :-2, 1:-1] + luminance[:, 2:, 1:-1] + luminance[:, 1:-1, :-2] + luminance[:, 1:-1, 2:]
                 - 4 * luminance[:, 1:-1, 1:-1])
    return float(np.mean(laplacian ** 2))
