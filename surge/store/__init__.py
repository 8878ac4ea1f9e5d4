"""Where surge keeps everything: incidents, timelines, step runs, tokens."""

from urllib.parse import urlsplit, urlunsplit

from surge.store.base import Store, StoreError, StoreUnavailable


def open_store(url: str) -> Store:
    """The store for ``url``; call ``await store.open()`` before use."""
    if url.startswith("sqlite://"):
        from surge.store.sqlite import SqliteStore

        return SqliteStore(url)
    if url.startswith(("postgresql://", "postgres://")):
        from surge.store.postgresql import PostgresStore

        return PostgresStore(url)
    raise StoreError(
        f"unknown store URL {display_url(url)!r}: use sqlite:///PATH or postgresql://HOST/DB"
    )


def display_url(url: str) -> str:
    """The store URL with any password hidden, for logs and output."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


__all__ = ["Store", "StoreError", "StoreUnavailable", "display_url", "open_store"]
