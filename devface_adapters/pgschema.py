"""The postgres adapter's schema: creating its tables, index and notify trigger (`devface db init`; never
drops), and checking that the faces table can keep one face per user."""

from __future__ import annotations

from devface_adapters.pgconnect import sql
from devface_adapters.pgwatch import LIKES_CHANNEL
from devface_core.errors import AdapterError

LIKES_DDL = "CREATE TABLE IF NOT EXISTS {table} ({id} serial PRIMARY KEY, {user} text, {image} text)"
LIKES_INDEX_DDL = "CREATE INDEX IF NOT EXISTS {index} ON {table} ({user}, {id})"
FACES_DDL = "CREATE TABLE IF NOT EXISTS {table} ({user} text UNIQUE, {image} text)"
# PERFORM pg_notify: the payload is the user id, so a listener knows whom to retrain without a query.
NOTIFY_FUNCTION_DDL = """CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    PERFORM pg_notify({channel}, NEW.{user}::text);
    RETURN NEW;
END
$body$"""
NOTIFY_TRIGGER_DDL = ("CREATE OR REPLACE TRIGGER {trigger} AFTER INSERT ON {table} "
                      "FOR EACH ROW EXECUTE FUNCTION {function}()")
# A unique index (or constraint) on exactly the user column, with no WHERE clause: what the faces upsert's
# ON CONFLICT needs. Without one, publishing fails, and before this check it failed only after training.
UNIQUE_USER_QUERY = """SELECT 1 FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
WHERE n.nspname = coalesce(%s, current_schema()) AND c.relname = %s AND a.attname = %s
  AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL"""


class SchemaMixin:
    """`init_schema` and the faces table's uniqueness check for PostgresAdapter (uses its names, `_table`,
    `_column`, `_where` and `_transaction`)."""

    def init_schema(self, with_trigger: bool = False) -> list[str]:
        """Create both tables (and the likes index) if missing; never drops or alters. Returns what exists.

        `with_trigger` also adds (or replaces, so running it twice is harmless) a trigger that sends
        `pg_notify('devface_likes', user_id)` for each inserted like, which `devface watch` listens for.
        """
        statements = [self._ddl(LIKES_DDL), self._ddl(LIKES_INDEX_DDL), self._ddl(FACES_DDL, faces=True)]
        if with_trigger:
            statements += self._trigger_ddl()
        with self._transaction("likes_table") as cursor:
            for statement in statements:
                cursor.execute(statement)
        created = [self._qualified_name("likes_table"), self._qualified_name("faces_table")]
        return created + ([f"trigger {self._trigger_name()} ({LIKES_CHANNEL})"] if with_trigger else [])

    def _check_unique_user_column(self, cursor) -> None:
        """AdapterError unless the faces table's user column has a unique index (one face per user)."""
        user = self.names["faces_user_column"]
        cursor.execute(UNIQUE_USER_QUERY, (self.schema, self.names["faces_table"], user))
        if cursor.fetchone() is None:
            raise AdapterError(f"{self._where('faces_table')}: column {user!r} has no unique index, which "
                               f"keeping one face per user needs (add one: CREATE UNIQUE INDEX ON "
                               f"{self._qualified_name('faces_table')} ({user}))")

    def _trigger_name(self) -> str:
        return f"{self.names['likes_table']}_devface_notify"[:63]

    def _trigger_ddl(self) -> list[sql.Composed]:
        name = self._trigger_name()
        function = sql.Identifier(self.schema, name) if self.schema else sql.Identifier(name)
        return [
            sql.SQL(NOTIFY_FUNCTION_DDL).format(function=function, channel=sql.Literal(LIKES_CHANNEL),
                                                user=self._column("likes_user_column")),
            sql.SQL(NOTIFY_TRIGGER_DDL).format(trigger=sql.Identifier(name), table=self._table("likes_table"),
                                               function=function),
        ]

    def _ddl(self, template: str, faces: bool = False) -> sql.Composed:
        prefix = "faces" if faces else "likes"
        return sql.SQL(template).format(
            table=self._table(f"{prefix}_table"), user=self._column(f"{prefix}_user_column"),
            image=self._column(f"{prefix}_image_column"),
            id=self._column("likes_id_column") if not faces else sql.SQL(""),
            index=sql.Identifier(f"{self.names['likes_table']}_user_id_idx"[:63]))
