"""The original hackathon HTTP API, served by a small Flask app that imports devface.

    POST /api/post_image {"user_id", "image"}  store a like (a data URL or base64 image)
    GET  /api/get_image?user_id=ID              {"flag": "0", "image": "data:image/png;base64,…"}
    POST /api/train {"user_id"}                 run the pipeline for the user; returns the report

Run: DEVFACE_DATABASE_URL=postgresql://… flask --app examples/web_backend/app.py run
All SQL goes through devface's postgres adapter: parameterised, identifiers quoted.
"""

from __future__ import annotations

from flask import Flask, jsonify, request

from devface_adapters.postgres import PostgresAdapter
from devface_core import Config, DevfaceError, load_config, run_pipeline
from devface_core.imaging import decode_image, image_bytes

ERROR_STATUS = {2: 400, 3: 404, 4: 503, 5: 400}


def create_app(database: PostgresAdapter | None = None, config: Config | None = None) -> Flask:
    """The Flask app over one database adapter (default: connection from the environment)."""
    app = Flask(__name__)
    database = database or PostgresAdapter()
    config = config or load_config()

    @app.errorhandler(DevfaceError)
    def devface_error(exc: DevfaceError):
        return jsonify({"flag": "1", "error": str(exc)}), ERROR_STATUS.get(exc.exit_code, 500)

    @app.post("/api/post_image")
    def post_image():
        body = request.get_json(force=True, silent=True) or {}
        user_id, image = str(body.get("user_id", "")), body.get("image", "")
        encoded = image_bytes(image, "posted image")
        decode_image(encoded, "posted image")
        key = database.add(user_id, encoded, "posted")
        return jsonify({"flag": "0", "key": key})

    @app.get("/api/get_image")
    def get_image():
        text = database.published_text(request.args.get("user_id", ""))
        if text is None:
            return jsonify({"flag": "1", "image": ""}), 404
        return jsonify({"flag": "0", "image": text if text.startswith("data:") else "data:image/png;base64," + text})

    @app.post("/api/train")
    def train():
        body = request.get_json(force=True, silent=True) or {}
        report = run_pipeline(database, database, str(body.get("user_id", "")), config)
        return jsonify({"flag": "0", "report": report.to_dict()})

    return app

