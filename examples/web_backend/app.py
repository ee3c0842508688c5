"""The original hackathon HTTP API, served by a small Flask app that imports devface: an example to copy.

    POST /api/post_image {"user_id", "image"}  store a like (a data URL or base64 image)
    GET  /api/get_image?user_id=ID              {"flag": "0", "image": "data:image/png;base64,…"}
    POST /api/train {"user_id"}                 queue the user's training: 202 {"job": ID, "status": URL}
    GET  /api/jobs/ID                           {"state": queued|running|done|failed, "report"|"error"}

Run: DEVFACE_DATABASE_URL=postgresql://… DEVFACE_API_TOKEN=… flask --app examples/web_backend/app.py run
Every request needs `Authorization: Bearer <DEVFACE_API_TOKEN>` (DEVFACE_API_ANONYMOUS=1 turns that off,
for a private network only). POST bodies must be JSON (415 otherwise) of at most DEVFACE_API_MAX_BYTES
(default 2 MiB; 413), with typed fields (400 with a message). Browsers may call it only from the origins
in DEVFACE_API_ORIGINS (comma-separated). Training runs on one background thread of this process, never
inside a request; for several machines use `devface worker` (Celery) instead.
All SQL goes through devface's postgres adapter: parameterised, identifiers quoted.
"""

from __future__ import annotations

import hmac
import os
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask, abort, jsonify, request
from werkzeug.exceptions import HTTPException

from devface_adapters.postgres import PostgresAdapter
from devface_core import Config, DevfaceError, load_config, run_pipeline, validate_user_id
from devface_core.errors import ConfigError
from devface_core.imaging import decode_image, image_bytes

ERROR_STATUS = {2: 400, 3: 404, 4: 503, 5: 400}
DEFAULT_MAX_BYTES = 2 * 2**20  # a 128×128 PNG data URL is tens of KiB


class TrainingJobs:
    """Training jobs on one background thread: submitted by id, their state and report kept in memory."""

    def __init__(self, train):
        self._train, self._pool, self._jobs = train, ThreadPoolExecutor(1, thread_name_prefix="devface-train"), {}

    def submit(self, user_id: str) -> str:
        """Queue a user's training; its job id."""
        job_id = uuid.uuid4().hex
        self._jobs[job_id] = self._pool.submit(self._train, user_id)
        return job_id

    def status(self, job_id: str) -> dict | None:
        """The job's state (and its report or error), or None for an unknown id."""
        job: Future | None = self._jobs.get(job_id)
        if job is None:
            return None
        if not job.done():
            return {"state": "running" if job.running() else "queued"}
        error = job.exception()
        if error is None:
            return {"state": "done", "report": job.result().to_dict()}
        return {"state": "failed", "error": str(error) if isinstance(error, DevfaceError) else "internal error"}

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Block until the job has finished (for tests and graceful shutdown)."""
        self._jobs[job_id].exception(timeout)


def settings_from_environment() -> dict:
    """The API's settings: token, anonymous access, body size limit and allowed browser origins."""
    origins = os.environ.get("DEVFACE_API_ORIGINS", "")
    return {"token": os.environ.get("DEVFACE_API_TOKEN") or None,
            "anonymous": os.environ.get("DEVFACE_API_ANONYMOUS") == "1",
            "max_bytes": int(os.environ.get("DEVFACE_API_MAX_BYTES") or DEFAULT_MAX_BYTES),
            "origins": tuple(origin.strip() for origin in origins.split(",") if origin.strip())}


def create_app(database: PostgresAdapter | None = None, config: Config | None = None, **settings) -> Flask:
    """The Flask app over one database adapter (default: connection from the environment); `settings`
    override the environment's (token, anonymous, max_bytes, origins)."""
    settings = {**settings_from_environment(), **settings}
    if not settings["token"] and not settings["anonymous"]:
        raise ConfigError("web example: set DEVFACE_API_TOKEN (or DEVFACE_API_ANONYMOUS=1 on a private network)")
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings["max_bytes"]
    database = database or PostgresAdapter()
    config = config or load_config()
    jobs = TrainingJobs(lambda user_id: run_pipeline(database, database, user_id, config))
    app.extensions["devface_jobs"] = jobs
    _guard(app, settings)
    _routes(app, database, jobs)
    return app


def _guard(app: Flask, settings: dict) -> None:
    """Token check, CORS for the configured origins, and JSON errors for every refusal."""

    @app.before_request
    def check_token():
        if request.method == "OPTIONS" or settings["anonymous"]:
            return None
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), settings["token"].encode()):
            abort(401, "missing or wrong API token (Authorization: Bearer …)")
        return None

    @app.after_request
    def allow_origin(response):
        origin = request.headers.get("Origin")
        if origin and origin in settings["origins"]:
            response.headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin",
                                     "Access-Control-Allow-Headers": "Authorization, Content-Type",
                                     "Access-Control-Allow-Methods": "GET, POST"})
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return jsonify({"flag": "1", "error": exc.description}), exc.code

    @app.errorhandler(DevfaceError)
    def devface_error(exc: DevfaceError):
        return jsonify({"flag": "1", "error": str(exc)}), ERROR_STATUS.get(exc.exit_code, 500)


def json_fields(*names: str) -> list[str]:
    """The named fields of a JSON object body, each a string (415 for a non-JSON body, 400 for bad fields)."""
    if not request.is_json:
        abort(415, "send the body as application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "the body must be a JSON object")
    values = [body.get(name) for name in names]
    for name, value in zip(names, values):
        if not isinstance(value, str) or not value:
            abort(400, f"{name}: expected a non-empty string")
    return values


def _routes(app: Flask, database: PostgresAdapter, jobs: TrainingJobs) -> None:
    @app.post("/api/post_image")
    def post_image():
        user_id, image = json_fields("user_id", "image")
        validate_user_id(user_id)
        encoded = image_bytes(image, "posted image")
        decode_image(encoded, "posted image")
        return jsonify({"flag": "0", "key": database.add(user_id, encoded, "posted")})

    @app.get("/api/get_image")
    def get_image():
        text = database.published_text(validate_user_id(request.args.get("user_id", "")))
        if text is None:
            return jsonify({"flag": "1", "image": ""}), 404
        return jsonify({"flag": "0", "image": text if text.startswith("data:") else "data:image/png;base64," + text})

    @app.post("/api/train")
    def train():
        (user_id,) = json_fields("user_id")
        job_id = jobs.submit(validate_user_id(user_id))
        return jsonify({"flag": "0", "job": job_id, "status": f"/api/jobs/{job_id}"}), 202

    @app.get("/api/jobs/<job_id>")
    def job_status(job_id: str):
        status = jobs.status(job_id)
        if status is None:
            abort(404, f"no job {job_id}")
        return jsonify({"flag": "0", "job": job_id, **status})
