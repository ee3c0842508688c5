"""The s3 adapter against a real S3 HTTP endpoint on 127.0.0.1 (moto's server), one bucket per test."""

from __future__ import annotations

import io
import subprocess
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from click.testing import CliRunner
from PIL import Image

from devface_adapters.cli import main, run_command
from devface_adapters.s3 import S3Adapter, parse_s3_url
from devface_core.errors import ConfigError
from tests.helpers import images
from tests.helpers.cli import the_error_line

TINY = ["--epochs", "1", "--image-size", "32", "--batch-size", "4", "--z-dim", "8"]
PRETRAIN_TINY = [*TINY, "--encoder-steps", "0", "--upscaler-steps", "0"]


@pytest.fixture
def client(s3_endpoint, s3_bucket):
    return boto3.client("s3", endpoint_url=s3_endpoint)


@pytest.fixture
def likes(client, s3_bucket):
    """alice has three liked images and a text file under likes/alice/."""
    for index in range(3):
        client.put_object(Bucket=s3_bucket, Key=f"likes/alice/{index}.png", Body=images.rgba_png())
    client.put_object(Bucket=s3_bucket, Key="likes/alice/readme.txt", Body=b"not an image")
    return f"s3://{s3_bucket}/likes"


def run(args):
    return CliRunner().invoke(run_command, [*TINY, *args, "--user", "alice"])


def test_s3_to_s3_publishes_png_with_content_type_and_metadata(likes, client, s3_bucket):
    result = run(["--source", likes, "--sink", f"s3://{s3_bucket}/out", "--json"])
    assert result.exit_code == 0, result.output
    assert '"key": "s3://%s/likes/alice/readme.txt"' % s3_bucket in result.stdout
    face = client.get_object(Bucket=s3_bucket, Key="out/alice.png")
    assert face["ContentType"] == "image/png"
    assert (face["Metadata"]["step"], face["Metadata"]["epoch"]) == ("1", "1") and "devface-version" in face["Metadata"]
    assert Image.open(io.BytesIO(face["Body"].read())).size == (500, 492)


def test_s3_to_jsfile_and_dir_to_s3(likes, client, s3_bucket, tmp_path):
    js = tmp_path / "face.js"
    assert run(["--source", likes, "--sink", f"jsfile:{js}"]).exit_code == 0
    subprocess.run(["node", "--check", str(js)], check=True)
    (tmp_path / "likes" / "alice").mkdir(parents=True)
    (tmp_path / "likes" / "alice" / "a.png").write_bytes(images.png())
    result = run(["--source", f"dir:{tmp_path / 'likes'}", "--sink", f"s3://{s3_bucket}"])
    assert result.exit_code == 0, result.output
    assert client.head_object(Bucket=s3_bucket, Key="alice.png")["ContentType"] == "image/png"


def test_listing_follows_every_page(client, s3_bucket):
    def put(index):
        client.put_object(Bucket=s3_bucket, Key=f"many/bob/{index:05d}.png", Body=b"x")

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, range(700)))
    adapter = S3Adapter(url=f"s3://{s3_bucket}/many", page_size="200")  # four pages, the last one partial
    keys = [liked.key for liked in adapter.iter_images("bob")]
    assert len(keys) == 700 and len(set(keys)) == 700


def test_users_are_the_folders_under_the_prefix_on_every_page(client, s3_bucket, tmp_path):
    for user in ("ann", "bob", "cy", "dee", "eve"):
        client.put_object(Bucket=s3_bucket, Key=f"likes/{user}/0.png", Body=images.png())
    client.put_object(Bucket=s3_bucket, Key="likes/ann.png", Body=images.png())  # a published face, not a user
    client.put_object(Bucket=s3_bucket, Key="elsewhere/zed/0.png", Body=images.png())
    adapter = S3Adapter(url=f"s3://{s3_bucket}/likes", page_size="2")
    assert adapter.users() == ["ann", "bob", "cy", "dee", "eve"]
    custom = S3Adapter(url=f"s3://{s3_bucket}/likes", likes_template="{prefix}x/{user}/")
    with pytest.raises(ConfigError, match="custom likes_template"):
        custom.users()
    result = CliRunner().invoke(main, ["pretrain", "--source", f"s3://{s3_bucket}/likes", "--out",
                                       str(tmp_path / "base"), *PRETRAIN_TINY, "--json"])
    assert result.exit_code == 0, result.output
    assert '"images_used": 5' in result.output


@pytest.mark.parametrize("user", ["../alice", "a/b", "..", ""])
def test_path_tricks_in_user_ids_are_refused_before_any_request(user):
    adapter = S3Adapter(url="s3://bucket/prefix", endpoint_url="http://127.0.0.1:1")
    with pytest.raises(ConfigError):
        list(adapter.iter_images(user))
    assert adapter._client is None


@pytest.mark.parametrize(
    "spec,options,message",
    [
        ("s3://no-such-bucket-x/likes", [], "s3://no-such-bucket-x/likes/ (endpoint http://127.0.0.1:"),
        ("s3://b/likes", ["--source-opt", "endpoint_url=http://127.0.0.1:1"], "cannot reach the endpoint"),
    ],
)
def test_storage_errors_are_one_line_exit_4(s3_bucket, spec, options, message):
    result = run(["--source", spec, "--sink", "memory", *options])
    assert result.exit_code == 4, result.output
    assert message in the_error_line(result.output)
    assert "testing-secret-Key9" not in result.output


def test_missing_bucket_is_named_with_its_reason(s3_bucket):
    result = run(["--source", "s3://no-such-bucket-x/likes", "--sink", "memory"])
    assert "bucket does not exist" in result.output


def test_seed_uploads_a_folder_through_the_store_protocol(client, s3_bucket, tmp_path):
    (tmp_path / "a.png").write_bytes(images.png())
    (tmp_path / "b.png").write_bytes(images.png((0, 0, 0)))
    args = ["seed", "--from", f"dir:{tmp_path}", "--to", f"s3://{s3_bucket}/likes", "--user", "eve"]
    for _ in range(2):
        assert CliRunner().invoke(main, args).exit_code == 0
    listed = client.list_objects_v2(Bucket=s3_bucket, Prefix="likes/eve/")["Contents"]
    assert sorted(entry["Key"] for entry in listed) == [
        "likes/eve/a-1.png", "likes/eve/a.png", "likes/eve/b-1.png", "likes/eve/b.png"]


def test_s3_urls_parse_into_bucket_and_prefix():
    assert parse_s3_url("s3://faces") == ("faces", "")
    assert parse_s3_url("s3://faces/likes/2024/") == ("faces", "likes/2024/")
    with pytest.raises(ConfigError):
        parse_s3_url("s3:///x")
