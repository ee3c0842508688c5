"""run_pipeline end to end with the in-memory adapter: read, skip bad images, train, select, publish, report."""

from __future__ import annotations

import attrs
import pytest

from devface_adapters.memory import MemoryAdapter
from devface_core import NoImagesError, run_pipeline
from devface_core.errors import ConfigError
from tests.contract.harness import png_size
from tests.helpers import images


@pytest.fixture
def tiny_config(tiny_config):
    """This file's checks are written for 32×32 (its images, sizes and stages), not conftest's 16×16."""
    return attrs.evolve(tiny_config, image_size=32)


@pytest.fixture
def likes(request):
    store = MemoryAdapter(space=f"pipeline-{request.node.name}")
    store.space.clear()
    for index in range(6):
        store.add("alice", images.face_like(index), f"{index}.png")
    return store


def test_publishes_a_500_by_492_png_and_reports_it(likes, tiny_config):
    report = run_pipeline(likes, likes, "alice", tiny_config)
    face = likes.space.published("alice")
    assert png_size(face.png) == (500, 492)
    assert (report.images_read, report.images_used, report.skipped) == (6, 6, ())
    assert report.snapshot_step == report.steps == face.step == 4  # 2 epochs of 2 steps
    assert report.snapshot_epoch == face.epoch == tiny_config.epochs
    assert report.published_uri == "memory://" + likes.space.name + "/alice.png"
    assert set(report.timings_s) == {"read", "train", "select", "render", "publish"}
    assert report.detail_size == face.metadata["detail_size"] == tiny_config.image_size  # no base: no upscaler


def test_bad_images_are_skipped_and_reported_by_key(likes, tiny_config):
    bad_key = likes.add("alice", images.truncated_png(), "broken.png")
    likes.add("alice", b"just text", "notes.txt")
    report = run_pipeline(likes, likes, "alice", tiny_config)
    assert report.images_read == 8 and report.images_used == 6
    assert [s.key for s in report.skipped][0] == bad_key
    assert all("not an image" in s.reason for s in report.skipped)


def test_a_user_with_no_usable_images_raises_no_images_error(likes, tiny_config):
    likes.add("bob", b"not an image", "x.png")
    with pytest.raises(NoImagesError, match="all 1 images were unusable"):
        run_pipeline(likes, likes, "bob", tiny_config)
    with pytest.raises(NoImagesError, match="no images"):
        run_pipeline(likes, likes, "nobody", tiny_config)
    assert likes.space.published("bob") is None


def test_same_seed_twice_publishes_identical_bytes(likes, tiny_config):
    run_pipeline(likes, likes, "alice", tiny_config)
    first = likes.space.published("alice").png
    run_pipeline(likes, likes, "alice", tiny_config)
    assert likes.space.published("alice").png == first


def test_image_size_limit_skips_oversized_data(likes, tiny_config):
    small = attrs.evolve(tiny_config, max_image_bytes=10)
    with pytest.raises(NoImagesError):
        run_pipeline(likes, likes, "alice", small)


def test_max_images_caps_what_is_read(likes, tiny_config):
    report = run_pipeline(likes, likes, "alice", attrs.evolve(tiny_config, max_images=3))
    assert report.images_used == 3


def test_invalid_user_id_is_refused_before_reading(likes, tiny_config):
    with pytest.raises(ConfigError):
        run_pipeline(likes, likes, "", tiny_config)
