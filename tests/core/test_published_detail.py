"""A run's face lent the finest detail of the user's own likes (upscaling.likes_for_detail, likes_detail.py)."""

from __future__ import annotations

import io

import attrs
import numpy as np
import pytest
from PIL import Image

from devface_adapters.memory import MemoryAdapter
from devface_core import upscaling
from devface_core.imaging import encode_png, fit_image, resize_array, to_array
from devface_core.pipeline import run_pipeline, run_pretraining
from devface_core.upscaling import likes_for_detail
from tests.core.test_upscaler import TINY
from tests.helpers.reports import run_report_line
from tests.helpers.images import textured_likes
from tests.helpers.sources import CountingSource, two_users


@pytest.fixture(scope="module")
def upscaling_base(tmp_path_factory):
    """A tiny base (16²) with an upscaler: lending detail needs one, not a well-trained one."""
    folder = tmp_path_factory.mktemp("detail") / "base"
    run_pretraining(two_users("detail-crowd"), ["ann", "bob"], attrs.evolve(TINY, max_steps=2, upscaler_steps=2), folder)
    return folder


def detail_store(space: str) -> CountingSource:
    """ann's likes stored at several sides: 16² (the base's: no finer detail), 16² enlarged to 40² (none either),
    40², a corrupt one, and 64²."""
    CountingSource.reads = 0
    store = CountingSource(space=space)
    photos = textured_likes(3, 64)

    def at(side: int, face: np.ndarray) -> bytes:
        return encode_png(resize_array(face, side, side))

    small = to_array(resize_array(photos[0], 16, 16))
    for name, data in (("small.png", at(16, photos[0])), ("enlarged.png", at(40, small)), ("mid.png", at(40, photos[1])),
                       ("bad.png", b"not an image"), ("large.png", encode_png(photos[2]))):
        store.add("ann", data, name)
    return store


def test_the_likes_that_lend_detail_are_those_stored_at_least_at_the_published_side(upscaling_base, monkeypatch):
    folder = upscaling_base
    config = attrs.evolve(TINY, init_from=str(folder))
    lenders = likes_for_detail(detail_store("detail-sides"), "ann", config)
    assert lenders.shape == (2, 32, 32, 3)
    mid = to_array(resize_array(textured_likes(3, 64)[1], 40, 40))
    assert np.array_equal(lenders[0], to_array(fit_image(Image.fromarray(mid), 32)))
    assert len(likes_for_detail(detail_store("detail-off"), "ann", attrs.evolve(config, likes_detail=False))) == 0
    assert len(likes_for_detail(detail_store("detail-flat"), "ann", attrs.evolve(config, upscale=False))) == 0
    monkeypatch.setattr(upscaling, "DETAIL_LIKES", 1)
    assert len(likes_for_detail(detail_store("detail-one"), "ann", config)) == 1
    assert CountingSource.reads == 3  # it stopped at the first like with detail to lend


def test_a_run_lends_its_face_the_likes_detail_unless_told_not_to(upscaling_base):
    folder = upscaling_base
    published = {}
    for lend in (True, False):
        sink = MemoryAdapter(space=f"detail-run-{lend}")
        config = attrs.evolve(TINY, init_from=str(folder), finetune_steps=2, likes_detail=lend)
        report = run_pipeline(detail_store(f"detail-run-likes-{lend}"), sink, "ann", config)
        assert CountingSource.reads == 5  # each like read once: the detail's look at them came from memory
        assert report.detail_size == 32 and report.detail_likes == (2 if lend else 0)
        assert ("its finest detail from 2 of them" in run_report_line(report)) == lend
        image = sink.space.published("ann")
        assert image.metadata["detail_likes"] == report.detail_likes
        published[lend] = np.asarray(Image.open(io.BytesIO(image.png)), dtype=float)
    assert np.abs(published[True] - published[False]).mean() > 0.5  # the likes' grain, not the upscaler alone
