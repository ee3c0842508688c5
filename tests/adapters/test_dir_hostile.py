"""The dir source on hostile folders: huge sparse files are refused before a byte is read, and symbolic
links that break, loop or lead out of the likes folder are named skips (a link to another like is read)."""

from __future__ import annotations

import os

from devface_adapters.filesystem import DirectoryAdapter
from devface_core.config import Config
from devface_core.dataset import load_training_set
from tests.helpers import images

LIMIT = 1000


def likes_folder(tmp_path):
    folder = tmp_path / "likes" / "alice"
    folder.mkdir(parents=True)
    for index in range(2):
        (folder / f"{index}.png").write_bytes(images.face_like(index, 16))
    return folder


def test_no_file_is_read_past_max_bytes(tmp_path):
    folder = likes_folder(tmp_path)
    with open(folder / "big.png", "wb") as big:
        big.truncate(64 * 2**20)  # sparse: 64 MiB of nothing
    read = list(DirectoryAdapter(path=str(tmp_path / "likes")).iter_images("alice", max_bytes=LIMIT))
    assert [image.key.rsplit("/", 1)[1] for image in read] == ["0.png", "1.png", "big.png"]
    assert max(len(image.data) for image in read) <= LIMIT + 1
    assert read[2].problem == f"file is {64 * 2**20} bytes, larger than max_image_bytes ({LIMIT})"


def test_a_100_gib_sparse_file_is_a_named_skip_and_the_rest_train(tmp_path):
    folder = likes_folder(tmp_path)
    with open(folder / "huge.png", "wb") as huge:
        huge.truncate(100 * 2**30)
    training_set = load_training_set(DirectoryAdapter(path=str(tmp_path / "likes")), "alice",
                                     Config(image_size=16, max_image_bytes=LIMIT * 10))
    assert len(training_set.images) == 2
    assert [(s.key.rsplit("/", 1)[1], "larger than max_image_bytes" in s.reason) for s in training_set.skipped] == [
        ("huge.png", True)]


def test_links_that_break_loop_or_leave_the_folder_are_named_skips_and_a_link_to_a_like_is_read(tmp_path):
    folder = likes_folder(tmp_path)
    outside = tmp_path / "secret.png"
    outside.write_bytes(images.face_like(9, 16))
    os.symlink(outside, folder / "out.png")
    os.symlink(folder / "missing.png", folder / "dangling.png")
    os.symlink(folder / "loop-b.png", folder / "loop-a.png")
    os.symlink(folder / "loop-a.png", folder / "loop-b.png")
    os.symlink(folder / "0.png", folder / "same.png")
    training_set = load_training_set(DirectoryAdapter(path=str(tmp_path / "likes")), "alice", Config(image_size=16))
    reasons = {s.key.rsplit("/", 1)[1]: s.reason for s in training_set.skipped}
    assert reasons == {"dangling.png": "broken symbolic link", "loop-a.png": "symbolic link loop",
                       "loop-b.png": "symbolic link loop",
                       "out.png": "symbolic link leads out of the likes folder (not followed)"}
    assert len(training_set.images) == 3  # 0.png, 1.png and the link to 0.png
