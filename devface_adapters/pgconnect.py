"""Finding and describing a PostgreSQL connection without ever showing its password."""

from __future__ import annotations

import getpass
import os
import re
from pathlib import Path

from dotenv import dotenv_values

from devface_adapters.lazy import lazy_module
from devface_adapters.secrets import mask_secrets, remember_secrets


def _client(name: str):
    """One of psycopg2's modules, imported when first used."""
    return lazy_module(name, "postgres", "psycopg2-binary")


# The postgres adapter's modules of psycopg2, named once for pgwatch, pgschema and postgres too.
psycopg2, sql, pg_errors, pg_extras = map(_client, ("psycopg2", "psycopg2.sql", "psycopg2.errors", "psycopg2.extras"))

DSN_VARIABLES = ("DEVFACE_DATABASE_URL", "DATABASE_URL")


def find_dsn(environ=None, cwd: Path | None = None) -> str:
    """DEVFACE_DATABASE_URL, then DATABASE_URL, each from the environment or else from a .env file in cwd;
    "" when neither is set (libpq then reads its own PG* variables and defaults)."""
    environ = os.environ if environ is None else environ
    found = {**dotenv_values((cwd or Path.cwd()) / ".env"), **environ}
    return next((found[name] for name in DSN_VARIABLES if found.get(name)), "")


def connection_target(dsn: str) -> str:
    """`host:port/dbname` for messages, as libpq resolves them (PG* variables, then its defaults: the local
    socket, and a database named after the user), no user secrets (a password with an unescaped '/' makes
    libpq read parts of it as the host or port: those parts are masked)."""
    remember_secrets(dsn)
    try:
        parts = psycopg2.extensions.parse_dsn(dsn) if dsn else {}
    except psycopg2.ProgrammingError:
        return "(unparsable connection string)"
    host = parts.get("host") or os.environ.get("PGHOST") or "local socket"
    port = parts.get("port") or os.environ.get("PGPORT") or "5432"
    user = parts.get("user") or os.environ.get("PGUSER") or getpass.getuser()
    database = parts.get("dbname") or os.environ.get("PGDATABASE") or user
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
        return psycopg2.extensions.parse_dsn(dsn).get("password") if dsn else None
    except psycopg2.ProgrammingError:
        return None
