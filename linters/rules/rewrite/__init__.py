"""SG000: the rewrite step's own safety check.

The engine reports it, not a rule function: when a rewrite would change what the
message says, ``linters.rewrite`` turns the decision into a block under this id.
"""
