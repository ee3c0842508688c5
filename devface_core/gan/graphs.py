"""The one way devface_core compiles its training, averaging, sampling, encoding and tuning passes to graphs,
and runs a compiled training step a number of times."""

from __future__ import annotations

from typing import Callable

import tensorflow as tf


def compiled(fn: Callable, **options) -> Callable:
    """`fn` as a TensorFlow graph function, traced without autograph's conversion of Python control flow."""
    # Every branch and loop in these passes tests a Python value (a setting, a stage, a flag), never a tensor,
    # so autograph's rewrite only added tracing time: a tiny first train 3.0 s -> 2.4 s (docs/benchmarks.md).
    # A pass that loops over a tensor must use tf.function itself: here such a branch fails when traced.
    return tf.function(fn, autograph=False, **options)


def run_steps(step: Callable[[], dict], steps: int) -> dict[str, float]:
    """Call a compiled training step `steps` times; the last call's losses as floats."""
    losses = {}
    for _ in range(steps):
        losses = step()
    return {name: float(value) for name, value in losses.items()}
