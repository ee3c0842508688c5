"""PostgreSQL → training tensor: devface's stream vs the original's file dance, rows/s and peak memory.

Run: python benchmarks/ingest.py [--rows 1000,10000] [--quick]
One user's likes are 128×128 demo faces stored as data URLs. Each path runs in a fresh process, timed from
the query to a training-ready array: devface streams rows through a named cursor and decodes them into a
uint8 buffer; the original fetched every row, wrote PNG files, resized them into more PNG files and loaded
those into float32. Peak RSS is above the process's baseline (imports done, connected).
Each path runs twice, alternating, and the faster run is shown (once with --quick).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import common


def devface_ingest(schema: str) -> int:
    """devface: stream rows from PostgreSQL into the uint8 training buffer, then a tensor; return the count."""
    from devface_adapters.postgres import PostgresAdapter
    from devface_core.config import Config
    from devface_core.dataset import load_training_set
    from devface_core.gan.growth import resident_images

    source = PostgresAdapter(dsn=common.DSN, schema=schema)
    training_set = load_training_set(source, "bench", Config(image_size=128))
    return int(resident_images(training_set.images).shape[0])


def original_ingest(schema: str) -> int:
    """The original: fetch all rows as text, then the file dance of baseline_seed.original_ingest."""
    import psycopg2
    from psycopg2 import sql

    from baseline_seed import original_ingest as file_dance

    connection = psycopg2.connect(common.DSN)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT image FROM {}.tbl_save_image WHERE user_id = %s").format(
            sql.Identifier(schema)), ("bench",))
        rows = [text for (text,) in cursor.fetchall()]
    connection.close()
    return len(file_dance(rows))


PATHS = {"original": original_ingest, "devface": devface_ingest}


def measure(path: str, schema: str) -> None:
    """Child process: run one path; print seconds, baseline and peak RSS (KiB), rows."""
    import importlib

    import psycopg2

    # Both paths' imports happen before the clock starts (TensorFlow's too, as a run would have it).
    for module in ("tensorflow", "PIL.Image", "baseline_seed", "devface_adapters.postgres", "devface_core.dataset",
                   "devface_core.gan.trainer"):
        importlib.import_module(module)
    from PIL import Image

    Image.init()  # Pillow registers its format plugins on first use; neither path is charged for that
    psycopg2.connect(common.DSN).close()
    baseline = common.peak_rss_kib()
    started = time.perf_counter()
    count = PATHS[path](schema)
    print(time.perf_counter() - started, baseline, common.peak_rss_kib(), count)


def run_child(path: str, schema: str) -> tuple[float, int, int, int]:
    output = subprocess.run([sys.executable, __file__, "--child", path, "--schema", schema],
                            capture_output=True, text=True, check=True).stdout.split()
    seconds, baseline, peak, count = output[-4:]
    return float(seconds), int(baseline), int(peak), int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,10000", help="comma-separated row counts")
    parser.add_argument("--quick", action="store_true", help="200 rows, to prove the benchmark runs")
    parser.add_argument("--child")
    parser.add_argument("--schema")
    args = parser.parse_args()
    if args.child:
        return measure(args.child, args.schema)
    print(common.machine_line())
    print(f"{'rows':>6} {'path':<9} {'seconds':>8} {'rows/s':>8} {'peak RSS MiB':>13} {'rows/s vs original':>19} "
          f"{'memory vs original':>19}")
    for rows in [200] if args.quick else [int(r) for r in args.rows.split(",")]:
        with common.liked_table(rows) as (schema, _):
            runs = [{path: run_child(path, schema) for path in PATHS} for _ in range(1 if args.quick else 2)]
            results = {path: min((run[path] for run in runs), key=lambda result: result[0]) for path in PATHS}
        _rows(rows, results)


def _rows(rows: int, results: dict) -> None:
    original_seconds, original_base, original_peak, _ = results["original"]
    for path, (seconds, baseline, peak, count) in results.items():
        assert count == rows, f"{path} read {count} of {rows} rows"
        growth = (peak - baseline) / 1024
        original_growth = max(1e-9, (original_peak - original_base) / 1024)
        print(f"{rows:>6} {path:<9} {seconds:>8.2f} {rows / seconds:>8.0f} {growth:>13.1f} "
              f"{original_seconds / seconds:>18.2f}× {growth / original_growth:>18.3f}×")


if __name__ == "__main__":
    main()
