"""Atomic writes: a failure while publishing leaves the previous file whole and no temporary file."""

from __future__ import annotations

import os

import pytest

from devface_adapters.files import atomic_write, unique_path
from devface_core.errors import AdapterError


def test_a_failed_replace_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch):
    target = tmp_path / "alice.png"
    atomic_write(target, b"old face", "dir:test")

    def broken_replace(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(AdapterError, match="dir:test: cannot write .*No space left"):
        atomic_write(target, b"new face", "dir:test")
    assert target.read_bytes() == b"old face"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alice.png"]


def test_unwritable_folder_is_an_adapter_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AdapterError):
        atomic_write(blocker / "sub" / "alice.png", b"face", "dir:test")


def test_unique_path_never_returns_an_existing_file(tmp_path):
    (tmp_path / "a.png").write_bytes(b"1")
    (tmp_path / "a-1.png").write_bytes(b"2")
    assert unique_path(tmp_path, "a.png").name == "a-2.png"
