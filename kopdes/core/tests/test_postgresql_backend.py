"""The PostgreSQL backend's health check: no round trip for a live connection, and a connection
the server closed is found out (kopdes/core/postgresql/base.py)."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.db.backends.postgresql import base as django_base

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


def test_a_live_connection_is_usable_without_a_query(monkeypatch):
    connection.ensure_connection()

    def no_round_trip(self):
        raise AssertionError("the health check ran SELECT 1")

    monkeypatch.setattr(django_base.DatabaseWrapper, "is_usable", no_round_trip)

    assert connection.is_usable()


def test_a_connection_the_server_closed_is_not_usable_and_is_replaced():
    other = connection.copy()
    other.ensure_connection()
    pid = other.connection.info.backend_pid
    assert other.is_usable()

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while other.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)

    assert not other.is_usable()
    other.health_check_enabled, other.health_check_done = True, False
    other.close_if_health_check_failed()  # as before a request's first query
    with other.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    other.close()


def test_a_long_statement_is_converted_once_and_then_taken_from_psycopgs_cache():
    """The checkout's one statement (kopdes.market.services_orders._place_at_once) is longer than
    psycopg caches by default; the backend raises the bounds (and this fails if psycopg renames
    them or stops using its cache)."""
    from psycopg import _queries
    from psycopg.adapt import Transformer

    connection.ensure_connection()
    parts = ", ".join(f"part_{n} AS (SELECT %s::int AS v, '{'x' * 40}' AS pad)" for n in range(120))
    sql = f"WITH {parts} SELECT 1"  # 120 parameters (the checkout's: 99) and 9,000 characters
    assert len(sql) > 4096
    transformer = Transformer(connection.connection)
    before = _queries._query2pg.cache_info().hits

    for _run in range(2):
        _queries.PostgresQuery(transformer).convert(sql, list(range(120)))

    assert _queries._query2pg.cache_info().hits == before + 1
