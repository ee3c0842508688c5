"""The GAN: architectures by name (`models`) and the compiled trainer that yields snapshots (`trainer`).

Importing this package is cheap; TensorFlow loads when `models` or `trainer` is imported. Importing it
first turns on TensorFlow's oneDNN kernels on x86 CPUs (see `use_onednn_kernels`).
"""

import os
import platform


def use_onednn_kernels() -> None:
    """Ask TensorFlow for its oneDNN kernels on x86 CPUs unless TF_ENABLE_ONEDNN_OPTS is already set."""
    # TensorFlow turns them on by itself only on CPUs with AVX512-VNNI, bf16 or AMX units. On 2 AVX2-only AMD
    # EPYC cores they drew faces 1.2-1.7x faster (benchmarks/cpu_kernels.py, docs/benchmarks.md).
    # Read once, when TensorFlow loads: so before any devface module imports it.
    if platform.machine().lower() in ("x86_64", "amd64"):
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def onednn_kernels_off() -> bool:
    """Whether TF_ENABLE_ONEDNN_OPTS turns TensorFlow's oneDNN kernels off (a user's 0 or false)."""
    return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip().lower() in ("0", "false")


use_onednn_kernels()
