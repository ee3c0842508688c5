"""Peak memory of a full run vs the number of liked images: the dataset must cost ~49 152 B per 128² image.

Run: python benchmarks/memory.py [--images 100,1000,10000] [--repeats 3] [--image-size 128] [--quick]
Each size runs in fresh processes, each the real pipeline (PostgreSQL source → train 2 steps at 128×128 →
memory sink); a size's figure is the lowest of `--repeats` runs, because TensorFlow's own peak varies by
about 100 MiB from run to run, which would swamp the per-image slope. The table shows peak RSS above the process's baseline (TensorFlow imported, connected) and the
bytes each extra image added compared with the previous row, against uint8's 128·128·3 = 49 152 bytes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import common

def measure(schema: str, size: int) -> None:
    """Child process: one full pipeline run; print baseline and peak RSS (KiB) and images used."""
    import importlib

    import psycopg2

    importlib.import_module("tensorflow")  # a run imports it anyway; keep it out of the growth

    from devface_adapters.memory import MemoryAdapter
    from devface_adapters.postgres import PostgresAdapter
    from devface_core.config import Config
    from devface_core.pipeline import run_pipeline

    psycopg2.connect(common.DSN).close()
    baseline = common.peak_rss_kib()
    config = Config(image_size=size, epochs=1, max_steps=2)
    report = run_pipeline(PostgresAdapter(dsn=common.DSN, schema=schema), MemoryAdapter(), "bench", config)
    print(baseline, common.peak_rss_kib(), report.images_used)


def run_child(schema: str, size: int) -> tuple[int, int, int]:
    output = subprocess.run([sys.executable, __file__, "--child", "--schema", schema, "--image-size", str(size)],
                            capture_output=True, text=True, check=True).stdout.split()
    return tuple(int(value) for value in output[-3:])


def lowest_growth(count: int, repeats: int, size: int) -> int:
    """Bytes of peak RSS above baseline for `count` liked images: the lowest of `repeats` fresh runs."""
    growths = []
    with common.liked_table(count) as (schema, _):
        for _ in range(repeats):
            baseline, peak, used = run_child(schema, size)
            assert used == count, f"the run used {used} of {count} images"
            growths.append((peak - baseline) * 1024)
    return min(growths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default="100,1000,10000", help="comma-separated image counts")
    parser.add_argument("--repeats", type=int, default=3, help="runs per size; the lowest growth counts")
    parser.add_argument("--image-size", type=int, default=128, help="training side (the front end posts 128²)")
    parser.add_argument("--quick", action="store_true", help="20 and 200 images at 16², to prove the benchmark runs")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--schema")
    args = parser.parse_args()
    size = 16 if args.quick else args.image_size
    if args.child:
        return measure(args.schema, args.image_size)
    uint8_bytes = size * size * 3
    print(common.machine_line())
    print(f"{'images':>7} {'peak RSS above baseline':>24} {'bytes per extra image':>22} "
          f"{f'vs uint8 {uint8_bytes} B':>18}")
    previous = None
    for count in [20, 200] if args.quick else [int(n) for n in args.images.split(",")]:
        growth = lowest_growth(count, 1 if args.quick else args.repeats, size)
        per_image = "" if previous is None else f"{(growth - previous[1]) / (count - previous[0]):>22.0f}"
        ratio = "" if previous is None else f"{(growth - previous[1]) / (count - previous[0]) / uint8_bytes:>17.2f}×"
        print(f"{count:>7} {growth / 2**20:>20.1f} MiB {per_image:>22} {ratio:>18}")
        previous = (count, growth)


if __name__ == "__main__":
    main()
