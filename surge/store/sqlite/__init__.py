"""The embedded SQLite store."""

from surge.store.sqlite.database import sqlite_path
from surge.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore", "sqlite_path"]
