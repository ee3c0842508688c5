"""Creating the postgres adapter's tables, index and notify trigger (`devface db init`); never drops."""

from __future__ import annotations

from psycopg2 import sql

from devface_adapters.pgwatch import LIKES_CHANNEL

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


class SchemaMixin:
    """`init_schema` for PostgresAdapter (uses its names, `_table`, `_column` and `_transaction`)."""

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
