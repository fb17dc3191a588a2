"""SG2xx unearned claims: status and relationship the record does not support."""
