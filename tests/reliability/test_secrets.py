"""A recognisable fake password and secret key, through every adapter, on success and on failure: they
must never appear in a log line, an error message, a --json report, a sidecar, stored metadata or an
exception's text (its whole chain included)."""

from __future__ import annotations

import os
import subprocess
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from devface_adapters.registry import get_registry
from devface_core.errors import DevfaceError
from devface_core.imaging import to_data_url
from tests.helpers import images, pg
from tests.helpers.scripts import script

PASSWORD = "Fake-Pw-7f3a91"
SECRET_KEY = "Fake-Secret-Key-2c8e55"
SECRETS = (PASSWORD, SECRET_KEY)
TINY = ["--epochs", "1", "--image-size", "16", "--batch-size", "4", "--z-dim", "8", "-vv", "--json"]


def with_password(dsn: str, password: str = PASSWORD, port: int | None = None) -> str:
    """The DSN with a user:password (trust auth accepts any password) and optionally another port."""
    parts = urlsplit(dsn)
    host = f"{parts.hostname}:{port or parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}:{password}@{host}"))


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """devface-run with the fake secrets in its environment too; everything it prints is returned."""
    environment = {**os.environ, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "PGPASSWORD": PASSWORD, **env}
    return subprocess.run([script("devface-run"), *args], capture_output=True, text=True, env=environment,
                          timeout=300)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"secret leaked: ...{text[max(0, text.find(secret) - 80):][:200]}..."


def exception_text(error: BaseException) -> str:
    """The error's message, repr and full chain, as a traceback would show it."""
    return "".join(traceback.format_exception(error, chain=True)) + repr(error)


@pytest.fixture
def deployed(pg_dsn, pg_schema):
    pg.create_deployed_tables(pg_dsn, pg_schema)
    for index in range(4):
        pg.insert_like(pg_dsn, pg_schema, "alice", to_data_url(images.face_like(index, 16)))
    return pg.dsn_with_search_path(with_password(pg_dsn), pg_schema)


def test_postgres_success_keeps_the_password_out_of_logs_report_sidecar_and_stored_metadata(
        deployed, tmp_path, pg_dsn, pg_schema):
    result = run_cli(["--source", deployed, "--sink", f"dir:{tmp_path}", "--user", "alice", *TINY], {})
    assert result.returncode == 0, result.stderr[-1500:]
    assert_no_secret(result.stdout, result.stderr, (tmp_path / "alice.json").read_text())
    result = run_cli(["--source", deployed, "--sink", deployed, "--user", "alice", *TINY], {})
    assert result.returncode == 0, result.stderr[-1500:]
    stored = pg.execute(pg_dsn, f'SELECT * FROM "{pg_schema}".tbl_create_image', fetch=True)
    assert_no_secret(result.stdout, result.stderr, repr(stored))


@pytest.mark.parametrize("how", ["spec", "environment"])
def test_postgres_failures_name_the_server_but_never_the_password(pg_dsn, how):
    unreachable = with_password(pg_dsn, port=1)
    args, env = (["--source", unreachable], {}) if how == "spec" else (["--source", "postgres"],
                                                                       {"DEVFACE_DATABASE_URL": unreachable})
    result = run_cli([*args, "--sink", "memory", "--user", "alice", *TINY], env)
    assert result.returncode == 4
    assert "127.0.0.1:1" in result.stderr
    assert_no_secret(result.stdout, result.stderr)


def test_postgres_missing_table_error_has_no_password(pg_dsn, pg_schema):
    dsn = pg.dsn_with_search_path(with_password(pg_dsn), pg_schema)
    result = run_cli(["--source", dsn, "--sink", "memory", "--user", "alice", *TINY], {})
    assert result.returncode == 4 and "tbl_save_image" in result.stderr
    assert_no_secret(result.stdout, result.stderr)


def test_adapter_exceptions_carry_no_secret_in_their_whole_chain(pg_dsn, s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    registry = get_registry()
    failing = [
        registry.resolve(with_password(pg_dsn, port=1), {}, role="source"),
        registry.resolve("s3://no-such-bucket-devface/likes", {"endpoint_url": s3_endpoint}, role="source"),
        registry.resolve("s3://bucket/likes", {"endpoint_url": "http://127.0.0.1:1"}, role="source"),
    ]
    for adapter in failing:
        assert_no_secret(repr(adapter), str(adapter.describe()))
        with pytest.raises(DevfaceError) as raised:
            list(adapter.iter_images("alice"))
        assert_no_secret(exception_text(raised.value))


def test_s3_success_and_failure_keep_the_secret_key_out(s3_bucket, s3_endpoint, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    store = get_registry().resolve(f"s3://{s3_bucket}/likes", {}, role="source")
    for index in range(4):
        store.add("alice", images.face_like(index, 16), f"{index}.png")
    result = run_cli(["--source", f"s3://{s3_bucket}/likes", "--sink", f"s3://{s3_bucket}/faces",
                      "--user", "alice", *TINY], {})
    assert result.returncode == 0, result.stderr[-1500:]
    assert_no_secret(result.stdout, result.stderr)
    result = run_cli(["--source", "s3://nowhere/likes", "--source-opt", "endpoint_url=http://127.0.0.1:1",
                      "--sink", "memory", "--user", "alice", *TINY], {})
    assert result.returncode == 4
    assert_no_secret(result.stdout, result.stderr)


def test_adapters_without_secrets_do_not_echo_the_environment(tmp_path):
    likes = tmp_path / "likes" / "alice"
    likes.mkdir(parents=True)
    for index in range(4):
        (likes / f"{index}.png").write_bytes(images.face_like(index, 16))
    env = {"DEVFACE_DATABASE_URL": f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/x"}
    result = run_cli(["--source", f"dir:{tmp_path / 'likes'}", "--sink", f"jsfile:{tmp_path / 'face.js'}",
                      "--user", "alice", *TINY], env)
    assert result.returncode == 0, result.stderr[-1500:]
    assert_no_secret(result.stdout, result.stderr, Path(tmp_path / "face.js").read_text())
    plugins = subprocess.run([script("devface"), "plugins", "--json"], capture_output=True, text=True,
                             env={**os.environ, **env}, timeout=120)
    assert_no_secret(plugins.stdout, plugins.stderr)


# A password with the characters a URL should escape and people do not: libpq then reads pieces of it as
# the host, port or database, and its errors echo them.
UNESCAPED = "Fake-Pw/7f3a#91c2"
PIECES = (UNESCAPED, "Fake-Pw", "7f3a", "91c2")


@pytest.mark.parametrize("spec", [
    f"host=127.0.0.1 port=1 user=postgres password={UNESCAPED} dbname=postgres",  # keyword style, as a spec
    f"postgresql://postgres:{UNESCAPED}@127.0.0.1:1/postgres",  # unescaped '/' and '#'
    f"postgresql://postgres:{UNESCAPED}@127.0.0.1/postgres",
])
def test_a_password_in_any_shape_of_connection_string_never_reaches_a_message(spec):
    result = run_cli(["--source", spec, "--sink", "memory", "--user", "alice", *TINY], {})
    assert result.returncode in (2, 4), result.stderr[-1500:]
    for piece in PIECES:
        assert piece not in result.stdout + result.stderr, result.stderr[-1500:]


@pytest.mark.parametrize("spec", [f"postgresql://postgres:{UNESCAPED}@127.0.0.1:1/postgres"])
def test_an_unescaped_password_stays_out_of_the_adapters_description_and_error_chain(spec):
    adapter = get_registry().resolve(spec, {}, role="source")
    with pytest.raises(DevfaceError) as raised:
        list(adapter.iter_images("alice"))
    for piece in PIECES:
        assert piece not in repr(adapter) + str(adapter.describe()) + exception_text(raised.value)
