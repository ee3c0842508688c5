"""The postgres adapter against a real PostgreSQL server, on the hackathon's deployed schema."""

from __future__ import annotations

import base64
import io
import json
import subprocess

import attrs
import pytest
from click.testing import CliRunner
from PIL import Image
from psycopg2 import sql

from devface_adapters.cli import main, run_command
from devface_adapters.postgres import PostgresAdapter
from devface_core import NoImagesError, run_pipeline
from devface_core.errors import AdapterError
from devface_core.imaging import to_data_url
from tests.helpers.cli import the_error_line
from tests.helpers import images, pg
from tests.helpers.scripts import script


@pytest.fixture
def tiny_config(tiny_config):
    """This file's checks are written for 32×32 (its images, sizes and stages), not conftest's 16×16."""
    return attrs.evolve(tiny_config, image_size=32)

TINY = ["--epochs", "1", "--image-size", "32", "--batch-size", "4", "--z-dim", "8"]


@pytest.fixture
def deployed(pg_dsn, pg_schema):
    """The deployed schema with alice's three 128×128 RGBA data-URL likes; yields the session DSN."""
    pg.create_deployed_tables(pg_dsn, pg_schema)
    for _ in range(3):
        pg.insert_like(pg_dsn, pg_schema, "alice", to_data_url(images.rgba_png()))
    return pg.dsn_with_search_path(pg_dsn, pg_schema)


def faces(dsn):
    return pg.execute(dsn, "SELECT user_id, image FROM tbl_create_image ORDER BY user_id", fetch=True)


def invoke(dsn, args):
    return CliRunner().invoke(run_command, [*TINY, *args], env={"DEVFACE_DATABASE_URL": dsn})


def test_postgres_to_jsfile_as_a_real_command(deployed, tmp_path):
    out = tmp_path / "imgb64.js"
    command = [script("devface-run"), "--source", "postgres", "--sink", f"jsfile:{out}", "--user", "alice", *TINY]
    result = subprocess.run(command, capture_output=True, text=True, env={"DEVFACE_DATABASE_URL": deployed,
                                                                              "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    subprocess.run(["node", "--check", str(out)], check=True)
    assert "data:image/png;base64," in out.read_text()


def test_postgres_to_postgres_upserts_raw_base64_one_row_per_user(deployed):
    pg.execute(deployed, "INSERT INTO tbl_save_image (user_id, image) VALUES ('bob', %s)",
               (base64.b64encode(images.png()).decode(),))
    for user in ("alice", "bob", "alice"):
        result = invoke(deployed, ["--source", "postgres", "--sink", "postgres", "--user", user])
        assert result.exit_code == 0, result.output
    rows = faces(deployed)
    assert [user for user, _ in rows] == ["alice", "bob"]
    for _, text in rows:
        assert not text.startswith("data:")
        assert Image.open(io.BytesIO(base64.b64decode(text))).size == (500, 492)


def test_sql_injection_user_id_is_just_a_user_with_no_images(deployed):
    result = invoke(deployed, ["--source", "postgres", "--sink", "postgres", "--user",
                               "x'); DROP TABLE tbl_save_image; --"])
    assert result.exit_code == 3, result.output
    assert pg.execute(deployed, "SELECT count(*) FROM tbl_save_image", fetch=True) == [(3,)]


def test_hostile_table_name_options_are_quoted_not_executed(deployed):
    result = invoke(deployed, ["--source", "postgres", "--sink", "memory", "--user", "alice",
                               "--source-opt", 'likes_table=tbl_save_image"; DROP TABLE tbl_create_image; --'])
    assert result.exit_code == 4 and "does not exist" in result.output
    assert pg.execute(deployed, "SELECT count(*) FROM tbl_create_image", fetch=True) == [(0,)]


def test_table_names_with_spaces_and_quotes_work(deployed, tiny_config):
    table = 'liked "faces" v2'
    pg.execute(deployed, sql.SQL("CREATE TABLE {} (id serial, user_id text, image text)").format(sql.Identifier(table)))
    pg.execute(deployed, sql.SQL("INSERT INTO {} (user_id, image) VALUES ('carol', %s)").format(sql.Identifier(table)),
               (to_data_url(images.png()),))
    adapter = PostgresAdapter(dsn=deployed, likes_table=table)
    assert len(list(adapter.iter_images("carol"))) == 1


def test_bad_rows_are_skipped_by_id_and_left_untouched(deployed, tiny_config):
    bad_id = pg.insert_like(deployed.split("?")[0], deployed.split("search_path%3D")[1], "alice", "not base64 !!")
    adapter = PostgresAdapter(dsn=deployed)
    report = run_pipeline(adapter, adapter, "alice", tiny_config)
    assert [s.key for s in report.skipped] == [f"tbl_save_image row {bad_id}"]
    assert pg.execute(deployed, "SELECT image FROM tbl_save_image WHERE id = %s", (bad_id,), fetch=True) == [
        ("not base64 !!",)]


def test_extra_face_columns_are_filled_and_data_url_option_is_honoured(deployed, tiny_config):
    pg.execute(deployed, "ALTER TABLE tbl_create_image ADD COLUMN updated_at timestamptz, ADD COLUMN epoch int, "
                         "ADD COLUMN step int, "
                         "ADD COLUMN score double precision, ADD COLUMN metadata jsonb")
    adapter = PostgresAdapter(dsn=deployed, data_url="true")
    run_pipeline(adapter, adapter, "alice", tiny_config)
    (image, updated_at, epoch, step, metadata), = pg.execute(
        deployed, "SELECT image, updated_at, epoch, step, metadata FROM tbl_create_image", fetch=True)
    assert image.startswith("data:image/png;base64,")
    assert updated_at is not None and epoch == tiny_config.epochs and step >= epoch
    assert metadata["width"] == 500 and metadata["config"]["image_size"] == 32


def test_rows_stream_through_a_server_side_cursor(deployed):
    adapter = PostgresAdapter(dsn=deployed, itersize="1")
    stream = adapter.iter_images("alice")
    next(stream)
    activity = pg.execute(deployed, "SELECT query FROM pg_stat_activity WHERE application_name = 'devface'",
                          fetch=True)
    stream.close()
    assert any(query.startswith("FETCH FORWARD 1 FROM") for (query,) in activity)


@pytest.mark.parametrize(
    "dsn_template,options,expected",
    [
        ("postgresql://devface:S3cretPw@127.0.0.1:1/postgres", [], "127.0.0.1:1/postgres: cannot connect"),
        ("{dsn}", ["--source-opt", "likes_table=no_such_table"], "table no_such_table: table does not exist"),
        ("{dsn}", ["--source-opt", "likes_image_column=picture"], "missing column"),
    ],
)
def test_database_errors_are_one_line_exit_4_and_never_show_the_password(deployed, dsn_template, options, expected):
    dsn = dsn_template.format(dsn=deployed)
    result = invoke(dsn, ["--source", "postgres", "--sink", "memory", "--user", "alice", *options])
    assert result.exit_code == 4, result.output
    assert expected in the_error_line(result.output) and "S3cretPw" not in result.output


def test_missing_face_column_writes_nothing(deployed, tiny_config):
    adapter = PostgresAdapter(dsn=deployed, faces_image_column="face")
    with pytest.raises(AdapterError, match="missing column 'face'"):
        run_pipeline(adapter, adapter, "alice", tiny_config)
    assert faces(deployed) == []


def test_unknown_user_has_no_images(deployed, tiny_config):
    adapter = PostgresAdapter(dsn=deployed)
    with pytest.raises(NoImagesError):
        run_pipeline(adapter, adapter, "nobody", tiny_config)


def test_db_init_is_idempotent_and_seed_stores_data_urls_in_one_transaction(pg_dsn, pg_schema, tmp_path):
    dsn = pg.dsn_with_search_path(pg_dsn, pg_schema)
    env = {"DEVFACE_DATABASE_URL": dsn}
    for _ in range(2):
        result = CliRunner().invoke(main, ["db", "init"], env=env)
        assert result.exit_code == 0, result.output
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.png").write_bytes(images.png())
    (folder / "b.jpg").write_bytes(images.encoded(images.solid(), "JPEG"))
    (folder / "c.png").write_bytes(images.truncated_png())
    seed = ["seed", "--from", f"dir:{folder}", "--to", "postgres", "--user", "dora"]
    assert CliRunner().invoke(main, seed, env=env).exit_code == 5
    assert pg.execute(dsn, "SELECT count(*) FROM tbl_save_image", fetch=True) == [(0,)]
    result = CliRunner().invoke(main, [*seed, "--skip-invalid"], env=env)
    assert result.exit_code == 0, result.output
    stored = [image[:15] for (image,) in pg.execute(dsn, "SELECT image FROM tbl_save_image ORDER BY id", fetch=True)]
    assert stored == ["data:image/png;", "data:image/jpeg"]


def test_both_url_and_keyword_passwords_are_masked():
    from devface_adapters.secrets import mask_secrets

    assert mask_secrets("postgresql://u:pw@db/app and password=hunter2 x") == "postgresql://u:***@db/app and password=*** x"


def test_postgres_describes_itself_without_credentials():
    adapter = PostgresAdapter(dsn="postgresql://devface:S3cretPw@db.internal:6543/faces")
    assert "S3cretPw" not in repr(adapter) and "db.internal:6543/faces" in adapter.describe()
    assert json.dumps(adapter._describe())


def test_users_lists_every_user_with_likes_for_pretraining(deployed, pg_dsn, pg_schema):
    pg.insert_like(pg_dsn, pg_schema, "bob", to_data_url(images.rgba_png()))
    assert PostgresAdapter(dsn=deployed).users() == ["alice", "bob"]
