"""Benchmarks still run (quick mode); their numbers are read by people, never asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def test_postgres_stream_memory_benchmark_runs_quick(pg_dsn):
    result = subprocess.run([sys.executable, str(BENCHMARKS / "pg_stream_memory.py"), "--quick"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "machine:" in result.stdout
    assert [line.split()[0] for line in result.stdout.splitlines()[-2:]] == ["fetchall", "stream"]
