"""The examples keep working: embedding devface in another backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_embed_example_trains_in_memory_and_publishes():
    env = {**os.environ, "DEVFACE_EPOCHS": "1", "DEVFACE_IMAGE_SIZE": "32", "DEVFACE_Z_DIM": "8"}
    result = subprocess.run([sys.executable, str(EXAMPLES / "embed.py")], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert printed["uri"] == "memory://embed-example/carol.png" and printed["step"] == 1
    assert printed["png_bytes"] > 1000
