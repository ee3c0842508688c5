"""What the contract tests need from each adapter: a fresh source/sink/store and a way to read back.

An adapter joins the contract tests by adding one Harness subclass and listing it in `conftest.py`.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import base64
import io

from PIL import Image

from devface_adapters.filesystem import DirectoryAdapter
from devface_adapters.memory import MemoryAdapter
from devface_adapters.postgres import PostgresAdapter
from devface_adapters.s3 import S3Adapter


class Harness:
    """One adapter under contract: build it, seed liked images, read published faces back."""

    name = ""

    def store(self):
        """A fresh, empty source+store (and sink, where the adapter is one)."""
        raise NotImplementedError

    def sink(self):
        """A fresh sink."""
        return self.store()

    def read_published(self, sink, user_id: str) -> bytes | None:
        """The PNG bytes the sink holds for a user, or None."""
        raise NotImplementedError

    def leftovers(self, sink) -> list[str]:
        """Anything temporary a publish left behind (should always be empty)."""
        return []


class MemoryHarness(Harness):
    name = "memory"

    def store(self):
        return MemoryAdapter(space=f"contract-{uuid.uuid4().hex}")

    def read_published(self, sink, user_id):
        published = sink.space.published(user_id)
        return None if published is None else published.png


class DirectoryHarness(Harness):
    name = "dir"

    def __init__(self, root: Path):
        self.root = root

    def store(self):
        folder = self.root / uuid.uuid4().hex
        folder.mkdir()
        return DirectoryAdapter(path=str(folder))

    def read_published(self, sink, user_id):
        file = sink.root / f"{user_id}.png"
        return file.read_bytes() if file.exists() else None

    def leftovers(self, sink):
        return [p.name for p in sink.root.rglob("*.tmp")]


class PostgresHarness(Harness):
    name = "postgres"

    def __init__(self, dsn: str, schema: str):
        self.dsn, self.schema = dsn, schema

    def store(self):
        adapter = PostgresAdapter(dsn=self.dsn, schema=self.schema)
        adapter.init_schema()
        return adapter

    def read_published(self, sink, user_id):
        text = sink.published_text(user_id)
        return None if text is None else base64.b64decode(text)


class S3Harness(Harness):
    name = "s3"

    def __init__(self, bucket: str):
        self.bucket = bucket

    def store(self):
        return S3Adapter(url=f"s3://{self.bucket}/contract-{uuid.uuid4().hex[:8]}")

    def read_published(self, sink, user_id):
        try:
            return sink.client.get_object(Bucket=sink.bucket, Key=f"{sink.prefix}{user_id}.png")["Body"].read()
        except sink.client.exceptions.NoSuchKey:
            return None


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of PNG bytes."""
    return Image.open(io.BytesIO(data)).size
