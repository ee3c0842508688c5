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
    results = json.loads(output.stdout.strip().splitlines()[-1])
    for result in results.values():
        assert result["replicas"] == 2 and result["steps"] == 6 and result["weight_change"] > 1e-3
    # Training moved the weights by ~0.06; with nearest upsampling the runs differ only by float summation
    # order (2e-7). With bilinear they differ by 1.7e-4 in the weights and 5/255 in the samples: not from
    # the blur's op (slices gave the same gap) nor from synchronised batch norm's formula (the same on one
    # device); unexplained, so bounded here at 1 % of the change rather than hidden. The gap depends on the
    # CPU: an AMD EPYC host gave 3.8e-4 (0.65 % of the change) and 10/255 in the samples.
    # R1 (its penalty is a per-replica mean, shared like the loss) matched as exactly as nearest on one AMD
    # EPYC host and parted by 7.6e-4 (1.3 % of the change) and 9/255 on another, deterministically; also
    # unexplained, so bounded like bilinear, with room for that host.
    # Nearest's gap depends on the load too: alone on a slow AMD EPYC host 2e-7 and 0/255 (bilinear there
    # 1e-7 and 0/255), in that host's CI run beside the other test process 5e-5 and 2/255; so its samples
    # may part by 4/255, its weights still by at most 1 % of the change.
    nearest, bilinear, r1 = results["fast"], results["fast bilinear"], results["fast r1"]
    assert nearest["weight_gap"] < 1e-4 * max(1.0, nearest["weight_change"] * 100) and nearest["sample_gap"] <= 4
    assert bilinear["weight_gap"] < 0.01 * bilinear["weight_change"] and bilinear["sample_gap"] <= 16
    assert r1["weight_gap"] < 0.025 * r1["weight_change"] and r1["sample_gap"] <= 16
