"""Selection: `latest` is by numeric epoch, whatever the digit count; `best` by the patch realism of
each snapshot's samples together, then by the detail in the centre of its samples nearest the likes one by
one; neither publishes a near copy."""

from __future__ import annotations

import numpy as np
import pytest

from devface_core import quality
from devface_core.errors import NearCopyError
from devface_core.imaging import resized_faces
from devface_core.selection import SHORTLIST_SHARE, select_snapshot
from devface_core.types import Snapshot
from tests.helpers.images import demo_faces


def _snapshots(epochs):
    return [Snapshot(step=e, images=np.zeros((1, 4, 4, 3), np.uint8)) for e in epochs]


def test_latest_is_the_highest_epoch_not_the_last_in_text_order():
    # Sorted as text, "900" comes after "1000": the original published epoch 900.
    shuffled = _snapshots([900, 1, 1000, 100])
    choice = select_snapshot(shuffled, "latest")
    assert choice.snapshot.step == 1000
    assert choice.sample_index == 0


def noise(count, size=32, seed=0):
    return np.random.default_rng(seed).integers(0, 255, (count, size, size, 3), dtype=np.uint8)


def test_best_picks_the_sample_whose_patches_look_like_the_liked_faces():
    liked = demo_faces()
    unseen_face = demo_faces(12)[10:11]  # a face-like image that is not one of the liked ones
    snapshots = [Snapshot(step=10, images=np.concatenate([noise(1, seed=1), unseen_face])),
                 Snapshot(step=20, images=noise(2, seed=2))]
    best = select_snapshot(snapshots, "best", liked)
    assert (best.snapshot.step, best.sample_index) == (10, 1)
    assert best.score is not None and "best of 2 snapshots (4 candidates)" in best.reason
    assert "near-copy limit" in best.reason
    assert select_snapshot(snapshots, "latest", liked).snapshot.step == 20


def test_best_prefers_a_snapshot_whose_samples_all_look_right_to_one_lucky_sample():
    liked = demo_faces()
    unseen = demo_faces(14)[10:14]
    grain = np.random.default_rng(5).integers(-20, 21, unseen[1:].shape)
    lucky = Snapshot(step=10, images=np.concatenate([unseen[:1], noise(2, seed=7)]))  # one clean face
    steady = Snapshot(step=20, images=np.clip(unseen[1:] + grain, 0, 255).astype(np.uint8))  # all faces
    lucky_scores, steady_scores = (quality.sample_scores(s.images, liked) for s in (lucky, steady))
    assert min(lucky_scores) < min(steady_scores)  # the single best sample is the lucky one...
    best = select_snapshot([lucky, steady], "best", liked)
    assert best.snapshot.step == 20  # ...but its snapshot is mostly noise
    assert best.sample_index == int(np.argmin(steady_scores)) and best.score == round(min(steady_scores), 3)


def test_best_judges_a_snapshot_by_its_samples_together_not_one_by_one():
    liked = demo_faces()
    unseen = demo_faces(20)[10:20]
    alone = quality.sample_scores(unseen, liked)
    favourite, *others = np.argsort(alone)
    varied = Snapshot(step=10, images=unseen[[favourite, *others[:3]]])  # four different faces
    same = Snapshot(step=20, images=np.repeat(unseen[favourite:favourite + 1], 4, axis=0))  # one face, four times
    assert np.mean(quality.sample_scores(same.images, liked)) < np.mean(quality.sample_scores(varied.images, liked))
    best = select_snapshot([varied, same], "best", liked)
    assert (best.snapshot.step, best.sample_index) == (10, 0)  # the varied snapshot's most realistic face
    assert "samples together: step 10" in best.reason


def test_best_publishes_the_most_detailed_centre_of_the_samples_nearest_the_likes():
    liked = demo_faces()
    sharp = demo_faces(14)[13]
    soft = resized_faces(resized_faces(sharp[None], 16), 32)[0].astype(np.uint8)  # its finest detail gone
    faces = np.concatenate([[soft, sharp], noise(2 * SHORTLIST_SHARE - 2, seed=4)])  # the noise: all detail
    scores = quality.sample_scores(faces, liked)
    assert sorted(np.argsort(scores)[:2]) == [0, 1] and scores[0] < scores[1]  # the soft face alone scores best
    best = select_snapshot([Snapshot(step=1, images=faces)], "best", liked)
    assert best.sample_index == 1 and best.score == round(scores[1], 3)
    assert "the most detailed centre of its 2 nearest" in best.reason


def test_best_breaks_a_tie_for_the_newest_snapshot():
    liked = demo_faces()
    faces = demo_faces(14)[10:14]
    best = select_snapshot([Snapshot(step=e, images=faces) for e in (100, 300, 200)], "best", liked)
    assert best.snapshot.step == 300


@pytest.mark.parametrize("strategy", ["latest", "best"])
def test_a_near_copy_of_a_liked_image_is_never_chosen(strategy):
    liked = demo_faces()
    copy = liked[3:4].copy()
    copy[0, 0, 0] ^= 1  # one bit off: still a copy
    snapshots = [Snapshot(step=5, images=noise(2, seed=3)), Snapshot(step=9, images=copy)]
    choice = select_snapshot(snapshots, strategy, liked)
    assert choice.snapshot.step == 5


def test_when_every_candidate_is_a_copy_nothing_is_published():
    liked = demo_faces()
    with pytest.raises(NearCopyError, match="all 2 generated candidates are near copies"):
        select_snapshot([Snapshot(step=1, images=liked[:2])], "latest", liked)


def test_selection_memory_does_not_grow_with_thousands_of_likes():
    import tracemalloc

    liked = np.tile(demo_faces(8, size=64), (1250, 1, 1, 1))  # 10 000 likes, 123 MB as uint8
    tracemalloc.start()
    try:
        select_snapshot([Snapshot(step=1, images=noise(4, size=64))], "best", liked)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # As float32 the liked set alone would be 491 MB, its pyramid more: selection works on bounded pieces.
    assert peak < 300 * 2**20, f"selection peaked at {peak / 2**20:.0f} MiB"
