"""What stands in for the city in demos and tests: the department databases, the camera fleet, the demo.

Nothing in the platform imports this package (an import-linter contract says so): the platform reads
the department databases and the MQTT bus the way it would read the real ones.
"""
