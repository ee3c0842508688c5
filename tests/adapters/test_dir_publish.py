"""The dir sink's face and sidecar change together: a full disk changes neither, the face goes live last,
and temporaries a killed writer left behind are cleaned up by the next publish."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

import pytest

from devface_adapters.filesystem import DirectoryAdapter
from devface_core.errors import AdapterError
from devface_core.types import PublishedImage
from tests.conftest import IN_CI
from tests.helpers import images


def face(seed: int, padding: int = 0) -> PublishedImage:
    return PublishedImage(images.face_like(seed, 32), 32, 32, step=seed, metadata={"padding": "x" * padding})


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs (root only); outside CI, skipped elsewhere with the reason."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        if IN_CI:
            pytest.fail(f"cannot mount a tmpfs in CI: {mounted.stderr.decode()}")
        print("skipping: mounting a small tmpfs needs root")
        pytest.skip("mounting a small tmpfs needs root")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def fill(folder, leave_bytes: int) -> None:
    """Write a filler file so that about `leave_bytes` stay free."""
    stats = os.statvfs(folder)
    (folder / "filler").write_bytes(b"\0" * max(0, stats.f_bavail * stats.f_frsize - leave_bytes))


def test_a_full_disk_during_publish_changes_neither_the_face_nor_its_sidecar(small_disk):
    sink = DirectoryAdapter(path=str(small_disk))
    sink.publish("alice", face(1))
    before = {name: (small_disk / name).read_bytes() for name in ("alice.png", "alice.json")}
    new = face(2, padding=60_000)  # its face fits in what is left, its sidecar does not
    fill(small_disk, leave_bytes=len(new.png) + 16_384)
    with pytest.raises(AdapterError, match="cannot write"):
        sink.publish("alice", new)
    assert {name: (small_disk / name).read_bytes() for name in ("alice.png", "alice.json")} == before
    assert not list(small_disk.glob(".*.tmp"))


def test_the_sidecar_names_the_face_it_describes(tmp_path):
    DirectoryAdapter(path=str(tmp_path)).publish("alice", face(3))
    sidecar = json.loads((tmp_path / "alice.json").read_text())
    assert sidecar["png_sha256"] == hashlib.sha256((tmp_path / "alice.png").read_bytes()).hexdigest()


def test_a_killed_writers_temporaries_are_removed_and_a_live_writers_are_kept(tmp_path):
    killed = subprocess.Popen(["true"])
    killed.wait()  # a process id that no longer runs
    abandoned = [tmp_path / f".alice.png.{killed.pid}.a1b2.tmp", tmp_path / ".alice.json.c3d4e5.tmp"]
    in_progress = tmp_path / f".alice.png.{os.getpid()}.f6g7.tmp"
    for temporary in [*abandoned, in_progress]:
        temporary.write_bytes(b"half")
    DirectoryAdapter(path=str(tmp_path)).publish("alice", face(4))
    assert sorted(path.name for path in tmp_path.glob(".*.tmp")) == [in_progress.name]
