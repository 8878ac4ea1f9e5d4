"""The PostgreSQL store, for replicas (psycopg 3; see ``database`` for why, and how)."""

from surge.store.postgresql.store import PostgresStore

__all__ = ["PostgresStore"]
