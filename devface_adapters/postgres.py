"""The `postgres` adapter: liked images from `tbl_save_image`, the face upserted into `tbl_create_image`.

Works on the hackathon's deployed schema unchanged. Every identifier is quoted with
`psycopg2.sql.Identifier` and every value is a query parameter; nothing user-supplied is interpolated.
Connection: a `postgresql://` / `postgres://` spec, else DEVFACE_DATABASE_URL, DATABASE_URL, libpq's PG*
variables, then a `.env` file in the working directory. Passwords never reach a message or a log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from typing import Iterator

from devface_adapters.base import Adapter, flag, positive_int
from devface_adapters.hookspecs import hookimpl
from devface_adapters.pgconnect import connection_target, find_dsn, friendly_error, pg_errors, pg_extras, psycopg2, sql
from devface_adapters.pgschema import SchemaMixin
from devface_adapters.pgwatch import LikesFeedMixin
from devface_core.errors import AdapterError, ConfigError
from devface_core.imaging import image_mime, to_base64, to_data_url
from devface_core.types import PublishedImage, SourceImage
from devface_core.userid import validate_user_id

OPTIONAL_FACE_COLUMNS = ("updated_at", "step", "epoch", "score", "metadata")


def _identifier_option(value: str, what: str) -> str:
    """Table and column names may be anything PostgreSQL allows; they are quoted, never executed."""
    if not value or "\x00" in value or len(value) > 63:
        raise ConfigError(f"postgres option {what}: not a usable name: {value!r}")
    return value


class PostgresAdapter(LikesFeedMixin, SchemaMixin, Adapter):
    """PostgreSQL: source, store and sink on the deployed `tbl_save_image` / `tbl_create_image` schema."""

    name = "postgres"
    schemes = ("postgresql", "postgres")
    summary = "PostgreSQL tbl_save_image in, tbl_create_image out (deployed schema)"

    def __init__(self, *, dsn: str | None = None, schema: str | None = None,
                 likes_table: str = "tbl_save_image", likes_id_column: str = "id",
                 likes_user_column: str = "user_id", likes_image_column: str = "image",
                 faces_table: str = "tbl_create_image", faces_user_column: str = "user_id",
                 faces_image_column: str = "image", connect_timeout: str = "10",
                 data_url: str = "false", itersize: str = "200"):
        self.dsn = dsn if dsn is not None else find_dsn()
        names = dict(likes_table=likes_table, likes_id_column=likes_id_column,
                     likes_user_column=likes_user_column, likes_image_column=likes_image_column,
                     faces_table=faces_table, faces_user_column=faces_user_column,
                     faces_image_column=faces_image_column)
        self.names = {key: _identifier_option(value, key) for key, value in names.items()}
        self.schema = _identifier_option(schema, "schema") if schema else None
        self.connect_timeout = positive_int(connect_timeout, "postgres option connect_timeout")
        self.itersize = positive_int(itersize, "postgres option itersize")
        self.data_url = flag(data_url, "postgres option data_url")

    @classmethod
    def from_spec(cls, argument, options):
        """`postgres` (connection from the environment) or a `postgresql://…` URL."""
        return cls(dsn=argument, **options) if argument else cls(**options)

    # -- connections and names -------------------------------------------------------------------

    def _describe(self):
        return {"target": connection_target(self.dsn)}

    def _where(self, table_key: str | None = None) -> str:
        table = f" table {self._qualified_name(table_key)}" if table_key else ""
        return f"postgres {connection_target(self.dsn)}{table}"

    def _qualified_name(self, table_key: str) -> str:
        table = self.names[table_key]
        return f"{self.schema}.{table}" if self.schema else table

    def _table(self, table_key: str) -> sql.Identifier:
        table = self.names[table_key]
        return sql.Identifier(self.schema, table) if self.schema else sql.Identifier(table)

    def _column(self, column_key: str) -> sql.Identifier:
        return sql.Identifier(self.names[column_key])

    def _connect(self):
        try:
            return psycopg2.connect(self.dsn, connect_timeout=self.connect_timeout,
                                    application_name="devface")
        except psycopg2.Error as exc:
            raise AdapterError(f"{self._where()}: cannot connect ({friendly_error(exc, self.dsn)})") from None

    @contextlib.contextmanager
    def _transaction(self, table_key: str) -> Iterator:
        """A cursor in one transaction (committed on success, rolled back on error), errors made one-line."""
        connection = self._connect()
        try:
            with connection, connection.cursor() as cursor:
                yield cursor
        except psycopg2.Error as exc:
            raise self._failed(exc, table_key) from None
        finally:
            connection.close()

    def _failed(self, exc: psycopg2.Error, table_key: str) -> AdapterError:
        """One place that turns a database error into a one-line AdapterError naming table and column."""
        if isinstance(exc, pg_errors.UndefinedTable):
            detail = "table does not exist (create it with `devface db init`)"
        elif isinstance(exc, pg_errors.UndefinedColumn):
            detail = f"missing column ({friendly_error(exc, self.dsn)})"
        else:
            detail = friendly_error(exc, self.dsn)
        return AdapterError(f"{self._where(table_key)}: {detail}")

    # -- source ----------------------------------------------------------------------------------

    def iter_images(self, user_id: str) -> Iterator[SourceImage]:
        """Stream the user's liked images ordered by id through a server-side cursor (read-only)."""
        validate_user_id(user_id)
        query = sql.SQL("SELECT {id}, {image} FROM {table} WHERE {user} = %s ORDER BY {id}").format(
            id=self._column("likes_id_column"), image=self._column("likes_image_column"),
            table=self._table("likes_table"), user=self._column("likes_user_column"))
        connection = self._connect()
        try:
            connection.set_session(readonly=True)
            yield from self._stream_rows(connection, query, user_id)
        finally:
            connection.close()

    def users(self) -> list[str]:
        """Every user id with liked images, sorted."""
        query = sql.SQL("SELECT DISTINCT {user} FROM {table} ORDER BY 1").format(
            user=self._column("likes_user_column"), table=self._table("likes_table"))
        with self._transaction("likes_table") as cursor:
            cursor.execute(query)
            return [user_id for (user_id,) in cursor.fetchall()]

    def _stream_rows(self, connection, query, user_id: str) -> Iterator[SourceImage]:
        table = self.names["likes_table"]
        try:
            with connection.cursor(name=f"devface_likes_{uuid.uuid4().hex}") as cursor:
                # Text arrives as the bytes stored, undecoded: a SQL_ASCII database may hold any byte, and
                # the core decodes base64, data URLs and raw images from bytes alike (bytea: memoryview).
                psycopg2.extensions.register_type(psycopg2.extensions.BYTES, cursor)
                cursor.itersize = self.itersize
                cursor.execute(query, (user_id,))
                for row_id, image in cursor:
                    yield SourceImage(key=f"{table} row {row_id}", data=bytes(image or b""), user_id=user_id)
        except psycopg2.Error as exc:
            raise self._failed(exc, "likes_table") from None

    # -- store -----------------------------------------------------------------------------------

    def add(self, user_id: str, data: bytes, name: str) -> str:
        """Insert one liked image (stored as a data URL, like the web front end)."""
        return self.add_many(user_id, [(name, data)])[0]

    def add_many(self, user_id: str, named_images: list[tuple[str, bytes]]) -> list[str]:
        """Insert many liked images in one transaction (execute_values); all or nothing."""
        validate_user_id(user_id)
        rows = [(user_id, _as_data_url(data, name)) for name, data in named_images]
        query = sql.SQL("INSERT INTO {table} ({user}, {image}) VALUES %s RETURNING {id}").format(
            table=self._table("likes_table"), user=self._column("likes_user_column"),
            image=self._column("likes_image_column"), id=self._column("likes_id_column"))
        with self._transaction("likes_table") as cursor:
            ids = pg_extras.execute_values(cursor, query.as_string(cursor), rows, fetch=True)
        return [f"{self.names['likes_table']} row {row_id}" for (row_id,) in ids]

    # -- sink ------------------------------------------------------------------------------------

    def check_can_publish(self, user_id: str) -> None:
        """AdapterError unless the server answers and the faces table has its user and image columns, the
        user column unique (two cheap queries, asked before training)."""
        validate_user_id(user_id)
        with self._transaction("faces_table") as cursor:
            self._face_columns(cursor)
            self._check_unique_user_column(cursor)

    def publish(self, user_id: str, image: PublishedImage) -> str:
        """Upsert the user's face in one transaction, filling updated_at/step/epoch/score/metadata if present."""
        validate_user_id(user_id)
        with self._transaction("faces_table") as cursor:
            values = self._face_values(user_id, image, self._face_columns(cursor))
            cursor.execute(self._upsert_query(list(values)), list(values.values()))
        return f"postgresql://{connection_target(self.dsn)}/{self._qualified_name('faces_table')}?user_id={user_id}"

    def _face_columns(self, cursor) -> dict[str, str]:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = coalesce(%s, current_schema()) AND table_name = %s",
            (self.schema, self.names["faces_table"]),
        )
        columns = dict(cursor.fetchall())
        if not columns:
            raise AdapterError(f"{self._where('faces_table')}: table does not exist (create it with `devface db init`)")
        for key in ("faces_user_column", "faces_image_column"):
            if self.names[key] not in columns:
                raise AdapterError(f"{self._where('faces_table')}: missing column {self.names[key]!r}")
        return columns

    def _face_values(self, user_id: str, image: PublishedImage, columns: dict[str, str]) -> dict[str, object]:
        text = to_data_url(image.png) if self.data_url else to_base64(image.png)
        values: dict[str, object] = {self.names["faces_user_column"]: user_id, self.names["faces_image_column"]: text}
        extras = {"updated_at": dt.datetime.now(dt.timezone.utc), "step": image.step, "epoch": image.epoch,
                  "score": image.score,
                  "metadata": pg_extras.Json({**image.metadata, "width": image.width, "height": image.height})}
        for column in OPTIONAL_FACE_COLUMNS:
            if column in columns and column not in values:
                values[column] = extras[column]
        return values

    def _upsert_query(self, columns: list[str]) -> sql.Composed:
        user = self.names["faces_user_column"]
        return sql.SQL("INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({user}) DO UPDATE SET {updates}").format(
            table=self._table("faces_table"),
            columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
            values=sql.SQL(", ").join(sql.Placeholder() for _ in columns),
            user=sql.Identifier(user),
            updates=sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns if c != user),
        )

    def published_text(self, user_id: str) -> str | None:
        """The stored face text for a user (raw base64 or a data URL), or None."""
        query = sql.SQL("SELECT {image} FROM {table} WHERE {user} = %s").format(
            image=self._column("faces_image_column"), table=self._table("faces_table"),
            user=self._column("faces_user_column"))
        return self._fetch_one(query, (validate_user_id(user_id),), "faces_table")

    def _fetch_one(self, query, params, table_key: str):
        with self._transaction(table_key) as cursor:
            cursor.execute(query, params)
            row = cursor.fetchone()
        return row[0] if row else None


def _as_data_url(data: bytes, name: str) -> str:
    """Encoded image bytes as the data URL the front end would post (MIME type from the image itself)."""
    return to_data_url(data, image_mime(data, name))


@hookimpl
def devface_register_adapters(register):
    """Register the postgres adapter."""
    register(PostgresAdapter)
