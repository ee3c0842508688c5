"""A sink that cannot take the face fails before a single like is read, so before any training step."""

from __future__ import annotations

import pytest

from devface_adapters.filesystem import DirectoryAdapter
from devface_adapters.jsfile import JavaScriptFileAdapter
from devface_adapters.postgres import PostgresAdapter
from devface_adapters.s3 import S3Adapter
from devface_core import Config, run_pipeline
from devface_core.errors import AdapterError, NoImagesError
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


def test_a_jsfile_sink_whose_folder_cannot_be_created_or_whose_path_is_a_folder_fails_first(source, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    assert_refused_before_reading(source, JavaScriptFileAdapter(path=str(tmp_path / "file" / "face.js")),
                                  "cannot create the folder")
    assert_refused_before_reading(source, JavaScriptFileAdapter(path=str(tmp_path)), "is a folder")


def test_a_file_sink_in_a_folder_nothing_can_be_written_to_fails_first_even_for_root(source):
    # Root passes os.access everywhere; in /proc no file can be created.
    assert_refused_before_reading(source, DirectoryAdapter(path="/proc/devface-faces"), "/proc is not writable")
    assert_refused_before_reading(source, JavaScriptFileAdapter(path="/proc/devface/face.js"), "/proc is not writable")


def test_a_file_sink_creates_its_folder_only_when_it_publishes(source, tmp_path):
    faces, page = tmp_path / "new" / "faces", tmp_path / "web" / "face.js"
    for sink in (DirectoryAdapter(path=str(faces)), JavaScriptFileAdapter(path=str(page))):
        with pytest.raises(NoImagesError):
            run_pipeline(source, sink, "nobody", Config(image_size=16, max_steps=1))
    assert not any(tmp_path.iterdir())  # a failed run leaves nothing: no folder, no probe file
    for sink in (DirectoryAdapter(path=str(faces)), JavaScriptFileAdapter(path=str(page))):
        run_pipeline(source, sink, "alice", Config(image_size=16, batch_size=2, z_dim=8, max_steps=1))
    assert (faces / "alice.png").is_file() and page.is_file()


def test_an_s3_sink_without_credentials_fails_first(source, s3_bucket, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):  # nor from ~/.aws
        monkeypatch.setenv(name, str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # nor from an instance role
    assert_refused_before_reading(source, S3Adapter(url=f"s3://{s3_bucket}/faces"), "no AWS credentials found")


def test_a_postgres_sink_on_a_closed_port_fails_first(source, pg_dsn):
    closed = pg_dsn.replace(":5432", ":1") if ":5432" in pg_dsn else pg_dsn + "?port=1"
    assert_refused_before_reading(source, PostgresAdapter(dsn=closed, connect_timeout="3"), "cannot connect")


def test_a_postgres_sink_without_its_faces_table_fails_first(source, pg_dsn, pg_schema):
    assert_refused_before_reading(source, PostgresAdapter(dsn=pg.dsn_with_search_path(pg_dsn, pg_schema)),
                                  "tbl_create_image: table does not exist")


def test_a_postgres_sink_whose_user_column_is_not_unique_fails_first(source, pg_dsn, pg_schema):
    pg.execute(pg_dsn, f'CREATE TABLE "{pg_schema}".tbl_create_image (user_id text, image text)')
    sink = PostgresAdapter(dsn=pg.dsn_with_search_path(pg_dsn, pg_schema))
    assert_refused_before_reading(source, sink, "column 'user_id' has no unique index")
    pg.execute(pg_dsn, f'CREATE UNIQUE INDEX ON "{pg_schema}".tbl_create_image (user_id) WHERE user_id <> \'\'')
    assert_refused_before_reading(source, sink, "no unique index")  # a partial index cannot serve ON CONFLICT
    pg.execute(pg_dsn, f'CREATE UNIQUE INDEX ON "{pg_schema}".tbl_create_image (user_id)')
    report = run_pipeline(source, sink, "alice", Config(image_size=16, batch_size=2, z_dim=8, max_steps=1))
    assert report.steps == 1 and sink.published_text("alice")
