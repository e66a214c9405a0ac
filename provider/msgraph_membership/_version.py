"""The package's version: its one source (pyproject.toml reads it; `msgraph_membership.__version__`)."""
__version__ = "0.1.0"
