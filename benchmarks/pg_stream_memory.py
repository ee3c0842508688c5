"""Peak memory of reading one user's liked images from PostgreSQL: devface's stream vs fetching all as text.

Run: python benchmarks/pg_stream_memory.py [--rows 10000] [--quick]
Each mode runs in a fresh process; the table shows peak RSS above the process's own baseline (imports
done, connected), and the ratio against holding every row's text at once (fetchall, as the original did).
Rows are the 128×128 demo faces from ../shared/data as data URLs, or synthetic 128×128 RGBA PNGs.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
from psycopg2 import sql
from psycopg2.extras import execute_values

sys.path.insert(0, str(Path(__file__).parents[1]))
from devface_core.imaging import to_data_url  # noqa: E402

DSN = os.environ.get("DEVFACE_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
DEMO_FACES = Path(__file__).parents[2] / "shared" / "data" / "demo_faces"


def liked_images() -> list[str]:
    """Data URLs of 128×128 faces (the shared demo set if present, else synthetic)."""
    files = sorted(DEMO_FACES.glob("*.png"))
    if files:
        return [to_data_url(file.read_bytes()) for file in files]
    from tests.helpers.images import rgba_png

    return [to_data_url(rgba_png())]


def fill(schema: str, rows: int) -> int:
    """Create the deployed table in a schema with `rows` likes for user 'bench'; return total text bytes."""
    faces = liked_images()
    connection = psycopg2.connect(DSN)
    with connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        cursor.execute(sql.SQL("CREATE TABLE {}.tbl_save_image (id serial, user_id text, image text)").format(
            sql.Identifier(schema)))
        values = [("bench", faces[i % len(faces)]) for i in range(rows)]
        execute_values(cursor, sql.SQL("INSERT INTO {}.tbl_save_image (user_id, image) VALUES %s").format(
            sql.Identifier(schema)).as_string(cursor), values, page_size=1000)
    connection.close()
    return sum(len(text) for _, text in values)


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(mode: str, schema: str) -> None:
    """Child process: read every row in one mode; print baseline and peak RSS in KiB."""
    from devface_adapters.postgres import PostgresAdapter

    adapter = PostgresAdapter(dsn=DSN, schema=schema)
    psycopg2.connect(DSN).close()
    baseline = peak_rss_kib()
    count = 0
    if mode == "stream":
        for liked in adapter.iter_images("bench"):
            count += len(liked.data) > 0
    else:
        connection = psycopg2.connect(DSN)
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("SELECT id, image FROM {}.tbl_save_image WHERE user_id = %s").format(
                sql.Identifier(schema)), ("bench",))
            count = len(cursor.fetchall())
    print(baseline, peak_rss_kib(), count)


def run_child(mode: str, schema: str) -> tuple[int, int, int]:
    output = subprocess.run([sys.executable, __file__, "--child", mode, "--schema", schema],
                            capture_output=True, text=True, check=True).stdout.split()
    return tuple(int(x) for x in output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1 000 rows, to prove the benchmark runs")
    parser.add_argument("--child")
    parser.add_argument("--schema")
    args = parser.parse_args()
    if args.child:
        return measure(args.child, args.schema)
    rows = 1_000 if args.quick else args.rows
    schema = f"devface_bench_{uuid.uuid4().hex[:8]}"
    try:
        text_bytes = fill(schema, rows)
        results = {mode: run_child(mode, schema) for mode in ("fetchall", "stream")}
    finally:
        connection = psycopg2.connect(DSN)
        with connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        connection.close()
    report(rows, text_bytes, results)


def report(rows: int, text_bytes: int, results: dict) -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{rows} rows, {text_bytes / 2**20:.1f} MiB of data-URL text for one user")
    print(f"{'mode':<10} {'rows read':>10} {'peak RSS above baseline':>26} {'ratio vs fetchall':>18}")
    base_growth = max(1, results["fetchall"][1] - results["fetchall"][0])
    for mode, (baseline, peak, count) in results.items():
        growth = peak - baseline
        print(f"{mode:<10} {count:>10} {growth / 1024:>22.1f} MiB {growth / base_growth:>18.3f}")


if __name__ == "__main__":
    main()
