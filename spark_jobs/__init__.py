"""PySpark jobs: bronze → silver and heavy analytics. Delta I/O only through citylake.delta."""
