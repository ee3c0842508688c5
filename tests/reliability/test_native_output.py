"""TensorFlow's native lines stay off a library user's stderr, and come back when the work fails."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers.scripts import script

NATIVE = """
import os, sys
from devface_core.native_output import native_output_captured
from devface_core.errors import AdapterError
print("python before", file=sys.stderr)
try:
    with native_output_captured():
        os.write(2, b"I0000 native chatter\\n")
        print("python during", file=sys.stderr)
        {failure}
except Exception:
    pass
print("python after", file=sys.stderr)
"""


@pytest.mark.parametrize("failure, replayed", [("pass", False), ("raise RuntimeError('boom')", True),
                                               ("raise AdapterError('clean one-line error')", False)])
def test_native_output_is_captured_and_replayed_only_on_an_unexpected_failure(failure, replayed):
    result = subprocess.run([sys.executable, "-c", NATIVE.format(failure=failure)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    python_lines = [line for line in result.stderr.splitlines() if line.startswith("python")]
    assert python_lines == ["python before", "python during", "python after"]  # Python's own stderr still shows
    assert ("I0000 native chatter" in result.stderr) is replayed


def test_embedding_devface_prints_nothing_native(tmp_path):
    code = ("from devface_adapters.demo import DemoAdapter\nfrom devface_adapters.memory import MemoryAdapter\n"
            "from devface_core import Config, run_pipeline\n"
            "report = run_pipeline(DemoAdapter(count='4'), MemoryAdapter(), 'a', "
            "Config(max_steps=2, image_size=16, batch_size=4, z_dim=8))\nprint(report.steps)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "2", result.stderr
    assert result.stderr == ""  # no absl start-up lines, no I0000/E0000 lines from TensorFlow


def test_the_command_shows_native_output_at_vv(tmp_path):
    command = [script("devface-run"), "--source", "demo:4", "--sink", f"jsfile:{tmp_path / 'f.js'}", "--user", "a",
               "--max-steps", "1", "--image-size", "16", "--batch-size", "4", "--z-dim", "8", "-q"]
    quiet = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    loud = subprocess.run([*command, "-vv"], capture_output=True, text=True, timeout=300)
    assert loud.returncode == 0 and "absl::InitializeLog" in loud.stderr
