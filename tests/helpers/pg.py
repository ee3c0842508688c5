"""PostgreSQL helpers for tests: throwaway schemas, the deployed DDL, and direct SQL."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import psycopg2
from psycopg2 import sql

DEPLOYED_DDL = [
    "CREATE TABLE {schema}.tbl_save_image (id serial, user_id text, image text)",
    "CREATE TABLE {schema}.tbl_create_image (user_id text unique, image text)",
]


def execute(dsn: str, statement, params=None, fetch: bool = False):
    """Run one statement in its own transaction; return all rows if asked."""
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if fetch else None
    finally:
        connection.close()


def create_schema(dsn: str) -> str:
    """A new, empty, uniquely named schema."""
    name = f"devface_test_{uuid.uuid4().hex[:12]}"
    execute(dsn, sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    return name


def drop_schema(dsn: str, name: str) -> None:
    """Drop a test schema and everything in it."""
    execute(dsn, sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def create_deployed_tables(dsn: str, schema: str) -> None:
    """The hackathon's tables exactly as deployed."""
    for statement in DEPLOYED_DDL:
        execute(dsn, sql.SQL(statement).format(schema=sql.Identifier(schema)))


def insert_like(dsn: str, schema: str, user_id: str, image: str) -> int:
    """Insert a liked image row as the front end does; return its id."""
    statement = sql.SQL("INSERT INTO {}.tbl_save_image (user_id, image) VALUES (%s, %s) RETURNING id").format(
        sql.Identifier(schema))
    return execute(dsn, statement, (user_id, image), fetch=True)[0][0]


def dsn_with_search_path(dsn: str, schema: str) -> str:
    """A URL DSN whose sessions use `schema` first, as a deployment's own database would."""
    separator = "&" if "?" in dsn else "?"
    return f"{dsn}{separator}options={quote(f'-csearch_path={schema}')}"
