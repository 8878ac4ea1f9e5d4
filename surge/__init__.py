"""surge: runs the agreed response when a customer-facing service is under stress."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("surge")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
