"""Department source systems: their schemas, realistic generators, and extraction configs."""
