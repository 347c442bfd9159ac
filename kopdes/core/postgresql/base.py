"""Django's PostgreSQL backend, with two changes: the health check, and psycopg's cache of
converted statements.

The health check (CONN_HEALTH_CHECKS): Django asks whether a kept connection still works before
each request's first query, and its own answer is a `SELECT 1`: one round trip more on every
request that reads the database (a checkout's three statements would be four). An idle
connection has nothing to read, so its socket tells without a round trip: readable means the
server closed it (a restart, an idle timeout, `pg_terminate_backend`) or sent something unasked,
and only then does `SELECT 1` decide. A connection that breaks after the check fails that
request's query, as it could after Django's own check too.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import _queries

# psycopg converts a statement's %s placeholders to PostgreSQL's $1, $2… by parsing its text, and
# keeps the conversion only for statements of at most 4,096 characters and 50 parameters. The
# checkout writes everything in one statement (ADR 14): 3,600 characters and 99 parameters for a
# cart of one listing, more for more, converted again on every checkout: 0.2 ms of the worker's
# 2.7 ms. Its cache (128 statements, by text) keeps statements up to 16,384 characters and 256
# parameters here; a test fails if psycopg stops reading these two names.
_queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 16_384)
_queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 256)


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            waiting = poller.poll(0)
        except (OSError, ValueError):  # the socket is gone
            return False
        return not waiting or super().is_usable()
