"""Timestamps read by psycopg's C loader (config.pg_timestamps): the same values, in the same
time zone, as Django's own loader gives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from psycopg.postgres import types
from psycopg.pq import Format

from config import pg_timestamps

pytestmark = pytest.mark.django_db

TIMESTAMPTZ = types["timestamptz"].oid
SAMPLES = [
    "2014-08-03 04:00:00+03",
    "2024-12-03 23:59:59.999999+00",
    "1899-12-31 21:00:00.5-05:30",
    "2038-01-19 03:14:08+00",
    "0001-01-01 00:00:00+00",
]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the loader is psycopg's")


def _read(sql: str = "SELECT unnest(%s::timestamptz[])") -> list[dt.datetime]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [SAMPLES])
        return [row[0] for row in cursor.fetchall()]


def test_connections_read_timestamps_with_the_c_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
    assert pg_timestamps._LOADER is not None, "psycopg's C build is a dependency (psycopg[binary])"
    assert loader is pg_timestamps._LOADER


def test_the_values_are_those_djangos_loader_gives():
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    ours = _read()
    # Django's own loader, put back on this connection for the comparison.
    connection.ensure_connection()
    register_tzloader(dt.UTC, connection.connection)
    try:
        djangos = _read()
    finally:
        pg_timestamps.use_fast_loader(None, connection)
    assert ours == djangos
    assert [value.tzinfo for value in ours] == [dt.UTC] * len(SAMPLES)
    assert [value.isoformat() for value in ours] == [value.isoformat() for value in djangos]
    assert ours[0] == dt.datetime(2014, 8, 3, 1, 0, tzinfo=dt.UTC)


def test_a_session_in_another_time_zone_keeps_djangos_loader():
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    connection.ensure_connection()
    raw = connection.connection
    register_tzloader(dt.UTC, raw)
    djangos = raw.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('TimeZone', 'Asia/Baghdad', false)")
    try:
        pg_timestamps.use_fast_loader(None, connection)
        assert raw.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is djangos
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('TimeZone', 'UTC', false)")
        pg_timestamps.use_fast_loader(None, connection)
    assert raw.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is pg_timestamps._LOADER
