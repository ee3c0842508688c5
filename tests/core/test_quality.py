"""The reference-free measures: pyramid SWD, MS-SSIM diversity and the distance to the nearest liked face."""

from __future__ import annotations

import numpy as np
import pytest

from devface_core import quality
from tests.helpers.images import demo_faces


@pytest.fixture(scope="module")
def faces():
    return demo_faces(16, size=64)


def noisy(images: np.ndarray, sigma: float, seed: int = 1) -> np.ndarray:
    grain = np.random.default_rng(seed).normal(0.0, sigma, images.shape)
    return np.clip(images + grain, 0, 255).astype(np.uint8)


def test_swd_of_a_set_against_itself_is_zero_at_every_level(faces):
    distances = quality.swd(faces, faces)
    assert len(distances) == len(quality.laplacian_pyramid(faces[:1])) == 3  # 64 and 32 band-pass, 16 residue
    assert distances == [0.0, 0.0, 0.0]


def test_swd_grows_with_noise_at_every_level(faces):
    by_noise = np.array([quality.swd(noisy(faces, sigma), faces) for sigma in (3, 10, 30, 100)])
    assert (by_noise > 0).all()
    assert (np.diff(by_noise, axis=0) > 0).all(), by_noise


def test_swd_measures_the_same_sets_the_same_way_and_other_faces_as_far(faces):
    others = demo_faces(24, size=64)[16:]
    assert quality.swd(others, faces) == quality.swd(others, faces)
    reference = quality.PatchDistribution(faces)
    assert reference.distances(others) == quality.swd(others, faces)
    assert np.mean(quality.swd(others, faces)) > np.mean(quality.swd(noisy(faces, 3), faces))


def test_sample_scores_rank_a_clean_face_above_the_same_face_in_noise(faces):
    unseen = demo_faces(20, size=64)[18:20]
    scores = quality.sample_scores(np.concatenate([unseen, noisy(unseen, 40)]), faces)
    assert max(scores[:2]) < min(scores[2:])


def test_ms_ssim_of_identical_images_is_one_and_falls_with_noise_and_for_another_face(faces):
    assert quality.ms_ssim(faces[0], faces[0]) == pytest.approx(1.0, abs=1e-12)
    with_noise = quality.ms_ssim(faces[0], noisy(faces[:1], 20)[0])
    assert quality.ms_ssim(faces[0], faces[1]) < with_noise < 1.0


def test_diversity_of_one_face_repeated_is_one_and_of_different_faces_lower(faces):
    assert quality.diversity(np.repeat(faces[:1], 4, axis=0)) == pytest.approx(1.0)
    assert quality.diversity(faces) < 0.9


def test_a_copy_is_at_distance_zero_and_the_near_copy_limit_is_a_fraction_of_the_typical_distance(faces):
    others = demo_faces(24, size=64)[16:]
    assert quality.nearest_distances(faces[:4], faces).max() < 1e-3  # float32 rounding, not a real gap
    limit = quality.near_copy_limit(faces)
    assert quality.NEAR_COPY_FLOOR <= limit < quality.nearest_distances(others, faces).min()
