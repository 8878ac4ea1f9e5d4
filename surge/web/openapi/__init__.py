"""OpenAPI 3.1 for the HTTP API: each route declares its description beside its handler
(``describe``), and ``/openapi.json`` is assembled from the app's router (``assemble``)."""

from surge.web.openapi.declare import (
    ERROR,
    Answer,
    Body,
    Operation,
    Param,
    Schema,
    describe,
    operation_of,
    path,
    query,
)

__all__ = [
    "ERROR",
    "Answer",
    "Body",
    "Operation",
    "Param",
    "Schema",
    "describe",
    "operation_of",
    "path",
    "query",
]
