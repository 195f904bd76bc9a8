"""The session's tiny runs (tests/tiny_runs_cache.py), shared with tests/export."""

from tests.tiny_runs_cache import tiny_runs  # noqa: F401
