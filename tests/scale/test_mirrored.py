"""`--strategy mirrored` on two logical CPU devices trains to the same weights and samples as one device."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_mirrored_training_over_two_cpu_devices_matches_single_device_training():
    # A separate interpreter: the CPU can only be split into logical devices before TensorFlow starts.
    script = Path(__file__).with_name("mirrored_check.py")
    output = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                            cwd=Path(__file__).parents[2])
    assert output.returncode == 0, output.stderr[-3000:]
    result = json.loads(output.stdout.strip().splitlines()[-1])["fast"]
    assert result["replicas"] == 2 and result["steps"] == 6
    # Training moved the weights by ~0.06; the two runs differ only by float summation order.
    assert result["weight_change"] > 1e-3
    assert result["weight_gap"] < 1e-4 * max(1.0, result["weight_change"] * 100)
    assert result["sample_gap"] <= 1
