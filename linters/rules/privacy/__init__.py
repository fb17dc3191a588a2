"""SG4xx privacy: revealing tracked behaviour."""
