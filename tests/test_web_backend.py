"""The example Flask backend serves the original API contract against a real PostgreSQL server, and refuses
what a public endpoint must: anonymous callers, non-JSON and oversized bodies, mistyped fields, other
origins; training is queued, never run inside the request."""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import pytest
from PIL import Image

from devface_adapters.postgres import PostgresAdapter
from devface_core.errors import ConfigError
from devface_core.imaging import to_data_url
from tests.helpers import images

sys.path.insert(0, str(Path(__file__).parents[1] / "examples" / "web_backend"))
TOKEN = "test-token-5e1f"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORIGIN = "https://swipe.example"


@pytest.fixture
def app(pg_dsn, pg_schema, tiny_config):
    from app import create_app

    database = PostgresAdapter(dsn=pg_dsn, schema=pg_schema)
    database.init_schema()
    return create_app(database, tiny_config, token=TOKEN, origins=(ORIGIN,), max_bytes=64 * 1024)


@pytest.fixture
def client(app):
    return app.test_client()


def like(client, user_id="alice", image=None, **kwargs):
    body = {"user_id": user_id, "image": image or to_data_url(images.rgba_png())}
    return client.post("/api/post_image", json=body, headers=AUTH, **kwargs)


def test_like_queue_training_and_fetch_the_face(app, client):
    for _ in range(3):
        response = like(client)
        assert response.status_code == 200 and response.json["flag"] == "0"
    queued = client.post("/api/train", json={"user_id": "alice"}, headers=AUTH)
    assert queued.status_code == 202 and queued.json["status"] == f"/api/jobs/{queued.json['job']}"
    app.extensions["devface_jobs"].wait(queued.json["job"], timeout=300)
    status = client.get(queued.json["status"], headers=AUTH).json
    assert status["state"] == "done" and status["report"]["images_used"] == 3
    face = client.get("/api/get_image?user_id=alice", headers=AUTH).json
    png = base64.b64decode(face["image"].removeprefix("data:image/png;base64,"))
    assert face["flag"] == "0" and Image.open(io.BytesIO(png)).size == (500, 492)


def test_a_failed_training_job_says_why(app, client):
    queued = client.post("/api/train", json={"user_id": "nobody"}, headers=AUTH).json
    app.extensions["devface_jobs"].wait(queued["job"], timeout=60)
    status = client.get(queued["status"], headers=AUTH).json
    assert status["state"] == "failed" and "no usable liked images" in status["error"]


def test_bad_input_gets_a_clear_error_and_stores_nothing(client):
    response = like(client, image="data:text/plain;base64,aGk=")
    assert response.status_code == 400 and "text/plain" in response.json["error"]
    assert client.get("/api/get_image?user_id=alice", headers=AUTH).status_code == 404


@pytest.mark.parametrize("body, status, says", [
    ({"user_id": None, "image": "x"}, 400, "user_id: expected a non-empty string"),
    ({"user_id": ["a"], "image": "x"}, 400, "user_id: expected a non-empty string"),
    ({"user_id": {"a": 1}, "image": "x"}, 400, "user_id: expected a non-empty string"),
    ({"user_id": "alice", "image": 12345}, 400, "image: expected a non-empty string"),
    (["alice", "image"], 400, "the body must be a JSON object"),
])
def test_mistyped_bodies_are_400_with_a_message(client, body, status, says):
    response = client.post("/api/post_image", json=body, headers=AUTH)
    assert (response.status_code, response.json["error"]) == (status, says)


def test_a_text_plain_body_is_refused_so_no_page_can_post_likes_by_csrf(client):
    body = '{"user_id": "alice", "image": "%s"}' % to_data_url(images.rgba_png())
    response = client.post("/api/post_image", data=body, headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 415
    assert client.post("/api/train", data='{"user_id": "alice"}', headers=AUTH).status_code == 415


def test_an_oversized_body_is_413(client):
    response = like(client, image="A" * (128 * 1024))
    assert response.status_code == 413 and response.json["flag"] == "1"


def test_requests_without_the_token_are_401(client):
    assert client.post("/api/train", json={"user_id": "alice"}).status_code == 401
    assert client.get("/api/get_image?user_id=alice", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_only_configured_origins_are_allowed_by_cors(client):
    allowed = client.get("/api/get_image?user_id=alice", headers={**AUTH, "Origin": ORIGIN})
    other = client.get("/api/get_image?user_id=alice", headers={**AUTH, "Origin": "https://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in other.headers


def test_the_app_will_not_start_open_unless_told_to(pg_dsn, pg_schema, tiny_config, monkeypatch):
    from app import create_app

    monkeypatch.delenv("DEVFACE_API_TOKEN", raising=False)
    monkeypatch.delenv("DEVFACE_API_ANONYMOUS", raising=False)
    with pytest.raises(ConfigError, match="DEVFACE_API_TOKEN"):
        create_app(PostgresAdapter(dsn=pg_dsn, schema=pg_schema), tiny_config)
