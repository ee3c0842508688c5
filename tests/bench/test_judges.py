"""The outside judges and their figures: KID, taste accuracy, and a face detector that refuses non-faces."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import service_unavailable

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
import judge_metrics  # noqa: E402

FRONTEND_FACES = Path(__file__).parents[3] / "shared" / "data" / "frontend_faces"


@pytest.fixture(scope="module")
def judges():
    """MTCNN and dlib's descriptor (the bench extra); missing is a failure in CI, a skip elsewhere."""
    import judges as judging

    try:
        return judging.FaceJudges()
    except ImportError as exc:
        service_unavailable(f"the bench extra is not installed ({exc})")


@pytest.fixture(scope="module")
def taste(judges):
    """The taste benchmark's two users built from the front-end faces at 64²."""
    if not any(FRONTEND_FACES.glob("*.png")):
        service_unavailable(f"no front-end faces in {FRONTEND_FACES}")
    import taste_setup

    return taste_setup.build(judges, 64, 2, 10, 30)


def test_kid_of_a_set_against_itself_is_near_zero_and_grows_with_noise():
    rng = np.random.default_rng(0)
    real, other_draw = rng.normal(size=(1000, 128)), rng.normal(size=(1000, 128))
    same = judge_metrics.kid(real, other_draw)
    noisier = [judge_metrics.kid(real, other_draw + rng.normal(size=real.shape) * level) for level in (1.0, 2.0)]
    assert abs(same) < 0.1 * noisier[0]
    assert same < noisier[0] < noisier[1]


def test_identity_copies_count_samples_within_the_copy_limit_of_a_like():
    likes = np.eye(4)  # every like sqrt(2) from its nearest other
    samples = np.stack([likes[0] + 0.01, likes.mean(axis=0)])  # a copy of like 0; a blend of all
    assert judge_metrics.copy_limit(likes) == pytest.approx(0.5 * np.sqrt(2))
    assert judge_metrics.identity_copies(samples, likes) == 1


def test_the_detector_refuses_flat_and_noise_images_and_finds_real_faces(judges, taste):
    flat = np.full((2, 64, 64, 3), 128, np.uint8)
    noise = np.random.default_rng(1).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    assert judges.face_confidence(np.concatenate([flat, noise])).max() < 0.5
    assert (judges.face_confidence(taste.reference[:8]) >= 0.95).mean() >= 0.75


def test_each_users_own_likes_score_over_90_percent_taste_and_random_real_faces_near_chance(judges, taste):
    liked = {user: judges.descriptors(faces) for user, faces in taste.likes.items()}
    assert min(judge_metrics.taste_accuracy(liked, liked).values()) >= 0.9
    crowd = judges.descriptors(taste.reference)
    random_real = judge_metrics.taste_accuracy({user: crowd for user in liked}, liked)
    # Every face falls to exactly one user, so the mean is chance; neither user takes nearly all of them.
    assert np.mean(list(random_real.values())) == pytest.approx(0.5)
    assert max(random_real.values()) <= 0.8


def test_the_bases_faces_of_a_taste_are_those_the_taste_judge_gives_that_user(judges, taste):
    import taste_setup

    liked = {user: judges.descriptors(faces) for user, faces in taste.likes.items()}
    pool = np.concatenate([taste.reference, taste.crowd])
    picked = taste_setup.of_each_taste(pool, judges.descriptors(pool), liked, len(pool))
    described = {user: judges.descriptors(faces) for user, faces in picked.items()}
    assert judge_metrics.taste_accuracy(described, liked) == {"user0": 1.0, "user1": 1.0}
    assert sum(len(faces) for faces in picked.values()) == len(pool)  # every face goes to exactly one taste
    assert len(taste_setup.of_each_taste(pool, judges.descriptors(pool), liked, 3)["user1"]) == 3


def test_the_faces_nearest_a_users_likes_sit_nearer_their_mean_than_the_rest(judges, taste):
    import taste_setup

    liked = {user: judges.descriptors(faces) for user, faces in taste.likes.items()}
    pool = np.concatenate([taste.reference, taste.crowd])
    described = judges.descriptors(pool)
    picked = taste_setup.nearest_the_likes(pool, described, liked, 4)
    for user, faces in picked.items():
        distances = np.linalg.norm(described - liked[user].mean(axis=0), axis=1)
        chosen = np.linalg.norm(judges.descriptors(faces) - liked[user].mean(axis=0), axis=1)
        assert np.allclose(np.sort(chosen), np.sort(distances)[:4])
    assert not np.array_equal(picked["user0"], picked["user1"])  # each user's own nearest


def test_a_second_judge_shares_the_loaded_models_and_every_verdict_already_given(judges, monkeypatch):
    import judges as judging

    # The verdicts this test plants (a stand-in descriptor) stay in a copy that is dropped after it.
    monkeypatch.setattr(judging, "_KNOWN", dict(judging._KNOWN))
    image = np.random.default_rng(3).integers(0, 256, (1, 16, 16, 3), dtype=np.uint8)
    confidence, descriptor = judges.face_confidence(image), judges.descriptors(image)
    other = judging.FaceJudges()
    assert other._mtcnn is judges._mtcnn and other._describer is judges._describer
    monkeypatch.setattr(other, "_confidence", lambda image: pytest.fail("judged the same image again"))
    monkeypatch.setattr(other, "_descriptor", lambda image: np.zeros(128))  # what a new image gets here
    assert other.face_confidence(image) == confidence and np.array_equal(other.descriptors(image), descriptor)
    assert not other.descriptors(image.reshape(1, 8, 32, 3)).any()  # the same bytes in another shape: a new image


def test_each_users_taste_reference_holds_the_unliked_faces_nearest_their_likes(judges, taste):
    references = taste.taste_reference
    assert sum(len(faces) for faces in references.values()) == len(taste.crowd) + len(taste.reference)
    liked = {user: judges.descriptors(faces) for user, faces in taste.likes.items()}
    for index, user in enumerate(sorted(references)):
        assert (judge_metrics.nearest_taste(judges.descriptors(references[user]), liked) == index).all()
        assert not any((like == references[user]).all(axis=(1, 2, 3)).any() for like in taste.likes[user])


def test_a_users_likes_are_nearer_real_faces_of_their_taste_than_of_the_others(judges, taste):
    users = sorted(taste.likes)
    for user in users:
        liked = judges.descriptors(taste.likes[user])
        kids = {other: judge_metrics.kid(judges.descriptors(taste.taste_reference[other]), liked) for other in users}
        assert kids[user] < min(kid for other, kid in kids.items() if other != user)


def test_a_pass_share_interval_holds_the_share_and_narrows_with_more_faces():
    low, high = judge_metrics.share_interval(32 / 64, 64)
    assert low == pytest.approx(0.399, abs=1e-3) and high == pytest.approx(0.601, abs=1e-3)  # Wilson, 90 %
    assert judge_metrics.share_interval(0.0, 10)[0] == 0.0 and judge_metrics.share_interval(1.0, 10)[1] == 1.0
    wide, narrow = judge_metrics.share_interval(54 / 64, 64), judge_metrics.share_interval(216 / 256, 256)
    assert wide[0] < narrow[0] < 54 / 64 < narrow[1] < wide[1]
