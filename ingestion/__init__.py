"""Sources into bronze: department databases (incremental, exactly once) and reference data."""
