"""Finding and describing a PostgreSQL connection without ever showing its password."""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg2
from psycopg2.extensions import parse_dsn

from devface_adapters.secrets import mask_secrets, remember_secrets

DSN_VARIABLES = ("DEVFACE_DATABASE_URL", "DATABASE_URL")


def find_dsn(environ=None, cwd: Path | None = None) -> str:
    """DEVFACE_DATABASE_URL, DATABASE_URL, then libpq's PG* variables (""), then a .env file in cwd."""
    environ = os.environ if environ is None else environ
    for name in DSN_VARIABLES:
        if environ.get(name):
            return environ[name]
    if any(name.startswith("PG") for name in environ):
        return ""
    return _dotenv_dsn((cwd or Path.cwd()) / ".env") or ""


def _dotenv_dsn(path: Path) -> str | None:
    """The first DSN variable set in a .env file (KEY=VALUE lines, optional quotes and `export`)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    found = {}
    for line in lines:
        key, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and not key.startswith("#"):
            found[key.strip()] = value.strip().strip("'\"")
    return next((found[name] for name in DSN_VARIABLES if found.get(name)), None)


def connection_target(dsn: str) -> str:
    """`host:port/dbname` for messages (defaults filled from libpq's variables), no user secrets (a password
    with an unescaped '/' makes libpq read parts of it as the host or port: those parts are masked)."""
    remember_secrets(dsn)
    try:
        parts = parse_dsn(dsn) if dsn else {}
    except psycopg2.ProgrammingError:
        return "(unparsable connection string)"
    host = parts.get("host") or os.environ.get("PGHOST") or "localhost"
    port = parts.get("port") or os.environ.get("PGPORT") or "5432"
    database = parts.get("dbname") or os.environ.get("PGDATABASE") or parts.get("user") or "postgres"
    return mask_secrets(f"{host}:{port}/{database}", [parts.get("password") or ""])


def friendly_error(exc: Exception, dsn: str) -> str:
    """The first meaningful line of a database error, with any password masked."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    text = re.sub(r"^(FATAL|ERROR):\s+", "", text)
    remember_secrets(dsn)
    return mask_secrets(text, [_password_of(dsn) or "", os.environ.get("PGPASSWORD") or ""])


def _password_of(dsn: str) -> str | None:
    try:
        return parse_dsn(dsn).get("password") if dsn else None
    except psycopg2.ProgrammingError:
        return None
