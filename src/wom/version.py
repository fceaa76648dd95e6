"""wom's version: one place, read by the package, the build and the Dask worker check."""

__version__ = "0.1.0"
