"""Reference data that ships in packages (administrative units) turned into lakehouse tables."""
