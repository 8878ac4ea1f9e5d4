"""Throwaway PostgreSQL databases for tests, on the server at $SURGE_TEST_POSTGRES
(default: the machine's, postgresql://postgres@127.0.0.1:5432/postgres, trust auth).

Each test gets a database of its own with a unique name, dropped afterwards, so several
test runs can share the server. A server that cannot be reached fails the test with what
to do; it never skips it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ADMIN_URL = os.environ.get("SURGE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
HINT = (
    "the PostgreSQL tests need a server: start the machine's with "
    "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or point "
    "$SURGE_TEST_POSTGRES at one (a URL of a user that may create databases)"
)


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at {ADMIN_URL} is not reachable ({error}); {HINT}", pytrace=False)


def database_url(name: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def temporary_database(prefix: str = "surge_test") -> Iterator[str]:
    """A new empty database; yields its URL and drops it (and its sessions) at the end."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
