"""The example Flask backend serves the original API contract against a real PostgreSQL server."""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import pytest
from PIL import Image

from devface_adapters.postgres import PostgresAdapter
from devface_core.imaging import to_data_url
from tests.helpers import images

sys.path.insert(0, str(Path(__file__).parents[1] / "examples" / "web_backend"))


@pytest.fixture
def client(pg_dsn, pg_schema, tiny_config):
    from app import create_app

    database = PostgresAdapter(dsn=pg_dsn, schema=pg_schema)
    database.init_schema()
    return create_app(database, tiny_config).test_client()


def test_like_train_and_fetch_the_face(client):
    for _ in range(3):
        response = client.post("/api/post_image", json={"user_id": "alice", "image": to_data_url(images.rgba_png())})
        assert response.status_code == 200 and response.json["flag"] == "0"
    assert client.post("/api/train", json={"user_id": "alice"}).json["report"]["images_used"] == 3
    face = client.get("/api/get_image?user_id=alice").json
    assert face["flag"] == "0"
    png = base64.b64decode(face["image"].removeprefix("data:image/png;base64,"))
    assert Image.open(io.BytesIO(png)).size == (500, 492)


def test_bad_input_gets_a_clear_error_and_stores_nothing(client):
    response = client.post("/api/post_image", json={"user_id": "alice", "image": "data:text/plain;base64,aGk="})
    assert response.status_code == 400 and "text/plain" in response.json["error"]
    assert client.post("/api/train", json={"user_id": "alice"}).status_code == 404
    assert client.get("/api/get_image?user_id=alice").status_code == 404
