"""The project's own service instances for the embedded default and the tests.

Each lives under ``<run_dir>/services/<name>``, listens on a private port bound to 127.0.0.1,
and is started and stopped by citylake (``citylake up`` / ``citylake down``). Production points
the settings at the city's real servers instead.
"""
