"""The postgres adapter as a likes feed for `devface watch`: LISTEN for new likes, and scan for missed ones.

The watcher (watch.py) sees only the `LikesFeed` protocol and a `LikesListener`; PostgreSQL's connection,
`select` on its socket and psycopg2's errors stay here.
"""

from __future__ import annotations

import select

from devface_adapters.pgconnect import psycopg2, sql
from devface_core.errors import AdapterError

LIKES_CHANNEL = "devface_likes"


class PostgresListener:
    """An autocommit connection LISTENing on the likes channel; `wait` returns the user ids notified."""

    def __init__(self, connection, where: str):
        self._connection, self._where = connection, where

    def wait(self, timeout: float) -> list[str]:
        """User ids notified within `timeout` seconds (at once if some are waiting); AdapterError if the
        connection is lost."""
        try:
            if select.select([self._connection], [], [], timeout)[0]:
                self._connection.poll()
            payloads = [notification.payload for notification in self._connection.notifies]
            self._connection.notifies.clear()
            return payloads
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise AdapterError(f"{self._where}: {first_line}") from None

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


class LikesFeedMixin:
    """`listen`, `latest_like_ids` and `likes_after` for PostgresAdapter (uses its connection helpers)."""

    def listen(self) -> PostgresListener:
        """A listener on a new connection that LISTENs for new likes (the caller closes it)."""
        connection = self._connect()
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("LISTEN {}").format(sql.Identifier(LIKES_CHANNEL)))
        except psycopg2.Error as exc:
            connection.close()
            raise self._failed(exc, "likes_table") from None
        return PostgresListener(connection, self._where("likes_table"))

    def latest_like_ids(self) -> dict[str, int]:
        """Each user's newest like id: what a catch-up scan compares with what was already trained."""
        query = sql.SQL("SELECT {user}, max({id}) FROM {table} GROUP BY 1").format(
            user=self._column("likes_user_column"), id=self._column("likes_id_column"),
            table=self._table("likes_table"))
        with self._transaction("likes_table") as cursor:
            cursor.execute(query)
            return {user_id: last for user_id, last in cursor.fetchall() if user_id is not None}

    def likes_after(self, user_id: str, after_id: int) -> tuple[int, int]:
        """(how many likes the user has with id > after_id, the newest id): the likes a job would add."""
        query = sql.SQL("SELECT count(*), coalesce(max({id}), %s) FROM {table} WHERE {user} = %s AND {id} > %s").format(
            id=self._column("likes_id_column"), table=self._table("likes_table"),
            user=self._column("likes_user_column"))
        with self._transaction("likes_table") as cursor:
            cursor.execute(query, (after_id, user_id, after_id))
            count, newest = cursor.fetchone()
            return int(count), int(newest)
