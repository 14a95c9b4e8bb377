"""The Health department (Sở Y tế) database: facilities and medical practice certificates."""
