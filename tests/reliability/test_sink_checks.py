"""A sink that cannot take the face fails before a single like is read, so before any training step."""

from __future__ import annotations

import pytest

from devface_adapters.filesystem import DirectoryAdapter
from devface_adapters.postgres import PostgresAdapter
from devface_core import Config, run_pipeline
from devface_core.errors import AdapterError
from tests.helpers import images, pg
from tests.helpers.sources import CountingSource


@pytest.fixture
def source():
    likes = CountingSource(space="sink-checks")
    likes.add("alice", images.face_like(0, 16), "0.png")
    CountingSource.reads = 0
    return likes


def assert_refused_before_reading(source, sink, match):
    with pytest.raises(AdapterError, match=match):
        run_pipeline(source, sink, "alice", Config(image_size=16, max_steps=1))
    assert CountingSource.reads == 0


def test_a_dir_sink_whose_folder_cannot_be_created_fails_first(source, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    assert_refused_before_reading(source, DirectoryAdapter(path=str(tmp_path / "file" / "faces")),
                                  "cannot create the folder")


def test_a_postgres_sink_on_a_closed_port_fails_first(source, pg_dsn):
    closed = pg_dsn.replace(":5432", ":1") if ":5432" in pg_dsn else pg_dsn + "?port=1"
    assert_refused_before_reading(source, PostgresAdapter(dsn=closed, connect_timeout="3"), "cannot connect")


def test_a_postgres_sink_without_its_faces_table_fails_first(source, pg_dsn, pg_schema):
    assert_refused_before_reading(source, PostgresAdapter(dsn=pg.dsn_with_search_path(pg_dsn, pg_schema)),
                                  "tbl_create_image: table does not exist")
