"""The store's SQL, written once for both backends (see ``connection`` for the rules)."""
