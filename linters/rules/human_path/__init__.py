"""SG7xx: a way to reach a person."""
