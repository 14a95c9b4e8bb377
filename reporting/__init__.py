"""Reports built from the marts: the leadership report (one self-contained HTML page)."""
