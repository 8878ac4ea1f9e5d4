"""The plugin layer: hook specifications and the manager that calls them."""

from surge.plugin.spec import NAME, hookimpl

__all__ = ["NAME", "hookimpl"]
