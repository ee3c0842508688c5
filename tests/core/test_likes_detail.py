"""The likes' finest detail lent to an enlarged face, patch by patch (devface_core/likes_detail.py)."""

from __future__ import annotations

import numpy as np
import pytest

from devface_core.imaging import resized_faces
from devface_core.likes_detail import MIN_DETAIL, detail_bank, finest_detail, with_likes_detail
from tests.helpers.images import textured_likes


def enlarged(faces: np.ndarray) -> np.ndarray:
    """uint8 faces at twice their side by a plain filter: the stand-in for a base's upscaler."""
    return resized_faces(faces, 2 * faces.shape[1])


def soft(likes: np.ndarray) -> np.ndarray:
    """The likes shrunk to half their side and enlarged again: what an upscaler makes of their small copies."""
    return enlarged(resized_faces(likes, likes.shape[1] // 2))


def error(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.abs(first.astype(float) - second.astype(float)).mean())


def test_a_soft_like_gets_its_own_detail_back():
    likes = textured_likes()
    restored = with_likes_detail(soft(likes[:1]), detail_bank(likes, enlarged))
    assert error(restored, likes[:1]) < 0.6 * error(soft(likes[:1]), likes[:1])


def test_a_mirrored_face_borrows_the_mirrored_like():
    likes = textured_likes()
    mirrored = likes[:1, :, ::-1]
    restored = with_likes_detail(soft(mirrored), detail_bank(likes, enlarged))
    assert error(restored, mirrored) < 0.6 * error(soft(mirrored), mirrored)


def test_likes_without_finer_detail_lend_little():
    likes = textured_likes()
    face = soft(likes[:1])
    from_photos = error(with_likes_detail(face, detail_bank(likes, enlarged)), face)
    # Already enlargements, so nothing beyond their half-side copies but the filter's own ringing.
    from_enlargements = error(with_likes_detail(face, detail_bank(soft(likes), enlarged)), face)
    assert from_enlargements < 0.3 * from_photos


def test_detail_is_lent_only_to_faces_of_the_bank_side():
    with pytest.raises(ValueError, match="side 48 given to a detail bank of side 32"):
        with_likes_detail(np.zeros((1, 48, 48, 3), np.uint8), detail_bank(textured_likes(), enlarged))


def test_a_like_enlarged_from_a_smaller_picture_holds_no_detail_to_lend():
    photo = textured_likes(1)[0]
    assert finest_detail(photo) >= MIN_DETAIL > finest_detail(soft(photo[None])[0])
