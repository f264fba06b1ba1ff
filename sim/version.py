"""The installed package's version, for provenance and journals."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cyberttx")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
