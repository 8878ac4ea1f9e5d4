"""The HTTP server: API, health, metrics, and plugin routes, from one app factory."""

from surge.web.app import create_app

__all__ = ["create_app"]
