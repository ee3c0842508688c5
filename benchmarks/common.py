"""What every benchmark shares: the machine line, peak RSS, the demo faces, a scratch PostgreSQL schema."""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import resource
import sys
import uuid
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
DEMO_FACES = ROOT.parent / "shared" / "data" / "demo_faces"
DSN = os.environ.get("DEVFACE_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
# Every trainer a benchmark builds traces its sampling anew, which TensorFlow reports as frequent "tf.function
# retracing": expected here, and it buried the tables (the CLI hides it the same way).
logging.getLogger("tensorflow").setLevel(logging.ERROR)


def machine_line() -> str:
    """One line naming the machine, so a table is never read without its context."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (f"machine: {platform.machine()}, {model}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}")


def peak_rss_kib() -> int:
    """This process's peak resident set size so far, in KiB (Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def demo_face_pngs() -> list[bytes]:
    """The 50 demo faces (128×128) from ../shared/data, or, where that folder is absent, 50 faces of
    devface's demo source (its shipped base's samples), so every benchmark still runs."""
    files = sorted(DEMO_FACES.glob("*.png"))
    if files:
        return [file.read_bytes() for file in files]
    from devface_adapters.demo import DemoAdapter
    from devface_core.imaging import image_bytes

    return [image_bytes(image.data, image.key) for image in DemoAdapter(count="50").iter_images("benchmark")]


def demo_face_data_urls() -> list[str]:
    """The demo faces as data URLs, as the swipe app stores them."""
    from devface_core.imaging import to_data_url

    return [to_data_url(png) for png in demo_face_pngs()]


@contextlib.contextmanager
def liked_table(rows: int, user_id: str = "bench") -> Iterator[tuple[str, int]]:
    """A scratch schema whose deployed-style table holds `rows` data-URL likes; yields (schema, text bytes)."""
    import psycopg2
    from psycopg2 import sql
    from psycopg2.extras import execute_values

    schema = f"devface_bench_{uuid.uuid4().hex[:8]}"
    faces = demo_face_data_urls()
    values = [(user_id, faces[i % len(faces)]) for i in range(rows)]
    connection = psycopg2.connect(DSN)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            table = sql.SQL("{}.tbl_save_image").format(sql.Identifier(schema))
            cursor.execute(sql.SQL("CREATE TABLE {} (id serial, user_id text, image text)").format(table))
            insert = sql.SQL("INSERT INTO {} (user_id, image) VALUES %s").format(table).as_string(cursor)
            execute_values(cursor, insert, values, page_size=1000)
        connection.autocommit = True  # VACUUM cannot run in a transaction
        with connection.cursor() as cursor:
            # Settle the new rows (hint bits, visibility map) so no measured read pays for the insert.
            cursor.execute(sql.SQL("VACUUM ANALYZE {}.tbl_save_image").format(sql.Identifier(schema)))
        connection.autocommit = False
        yield schema, sum(len(text) for _, text in values)
    finally:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        connection.close()
