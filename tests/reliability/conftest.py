"""The reliability tests start the same real services as the integration tests."""

from integration.conftest import (  # noqa: F401
    alertmanager,
    exporter,
    http,
    processes,
    prometheus,
    surge,
    surge_port,
    surge_url,
)
