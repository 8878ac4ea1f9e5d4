"""Where surge keeps everything: incidents, timelines, step runs, tokens."""

from surge.store.base import Store, StoreError


def open_store(url: str) -> Store:
    """The store for ``url``; call ``await store.open()`` before use."""
    if url.startswith("sqlite://"):
        from surge.store.sqlite import SqliteStore

        return SqliteStore(url)
    if url.startswith(("postgresql://", "postgres://")):
        raise StoreError("the PostgreSQL store is not part of this release yet; use sqlite:///PATH")
    raise StoreError(f"unknown store URL {url!r}: use sqlite:///PATH")


__all__ = ["Store", "StoreError", "open_store"]
