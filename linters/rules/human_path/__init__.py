"""SG7xx: who is speaking, a way to reach a person, and a way out."""
