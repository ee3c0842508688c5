"""Realistic database shapes: raw image bytes in a `bytea` column, and a SQL_ASCII database holding bytes
that are not text. Each row is read or skipped by name; none aborts the run."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import sql

from devface_adapters.postgres import PostgresAdapter
from devface_core.config import Config
from devface_core.dataset import load_training_set
from devface_core.imaging import to_data_url
from tests.helpers import images, pg

TINY = Config(image_size=16)


def test_raw_png_bytes_in_a_bytea_column_are_read_and_a_bad_row_is_a_named_skip(pg_dsn, pg_schema):
    table = sql.SQL("{}.tbl_save_image").format(sql.Identifier(pg_schema))
    pg.execute(pg_dsn, sql.SQL("CREATE TABLE {} (id serial, user_id text, image bytea)").format(table))
    rows = [images.face_like(index, 16) for index in range(3)] + [b"\xff\x00 not an image"]
    for data in rows:
        pg.execute(pg_dsn, sql.SQL("INSERT INTO {} (user_id, image) VALUES ('alice', %s)").format(table),
                   (psycopg2.Binary(data),))
    source = PostgresAdapter(dsn=pg.dsn_with_search_path(pg_dsn, pg_schema))
    training_set = load_training_set(source, "alice", TINY)
    assert (training_set.images_read, len(training_set.images)) == (4, 3)
    assert [skipped.key for skipped in training_set.skipped] == ["tbl_save_image row 4"]


@pytest.fixture
def sql_ascii_dsn(pg_dsn):
    """A throwaway SQL_ASCII database (its text columns hold any bytes), dropped afterwards."""
    name = f"devface_ascii_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(pg_dsn)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' "
                               "TEMPLATE template0").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(pg_dsn)._replace(path=f"/{name}"))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


def test_a_sql_ascii_database_with_a_byte_that_is_not_text_skips_that_row_by_name(sql_ascii_dsn):
    pg.execute(sql_ascii_dsn, "CREATE TABLE tbl_save_image (id serial, user_id text, image text)")
    for index in range(2):
        pg.execute(sql_ascii_dsn, "INSERT INTO tbl_save_image (user_id, image) VALUES ('bob', %s)",
                   (to_data_url(images.face_like(index, 16)),))
    pg.execute(sql_ascii_dsn, "INSERT INTO tbl_save_image (user_id, image) VALUES ('bob', E'data:image/png;base64,\\377')")
    training_set = load_training_set(PostgresAdapter(dsn=sql_ascii_dsn), "bob", TINY)
    assert (training_set.images_read, len(training_set.images)) == (3, 2)
    assert [skipped.key for skipped in training_set.skipped] == ["tbl_save_image row 3"]
