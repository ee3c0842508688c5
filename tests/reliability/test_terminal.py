"""Untrusted names (files, keys, user ids) reach the terminal escaped: no forged lines, no escape codes."""

from __future__ import annotations

import subprocess

from tests.helpers import images
from tests.helpers.scripts import script

FORGED = "bad\ndevface: error: forged\x1b[31m.png"
TINY = ["--max-steps", "1", "--image-size", "16", "--batch-size", "4", "--z-dim", "8", "-v"]


def test_a_file_name_with_a_newline_and_an_escape_code_is_shown_escaped(tmp_path):
    likes = tmp_path / "likes" / "alice"
    likes.mkdir(parents=True)
    for index in range(2):
        (likes / f"{index}.png").write_bytes(images.face_like(index, 16))
    (likes / FORGED).write_bytes(b"not an image")
    result = subprocess.run([script("devface-run"), "--source", f"dir:{tmp_path / 'likes'}", "--sink",
                             f"dir:{tmp_path / 'out'}", "--user", "alice", *TINY],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-1500:]
    assert "\x1b" not in result.stderr + result.stdout
    assert not any(line.startswith("devface: error: forged") for line in result.stderr.splitlines())
    assert "bad\\x0adevface: error: forged\\x1b[31m.png" in result.stderr


def test_an_error_naming_an_unknown_user_folder_escapes_it(tmp_path):
    (tmp_path / "likes").mkdir()
    result = subprocess.run([script("devface-run"), "--source", f"dir:{tmp_path / 'likes'}", "--sink", "memory",
                             "--user", "eve\x1b[2J", *TINY], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "\x1b" not in result.stderr and "eve\\x1b[2J" in result.stderr
