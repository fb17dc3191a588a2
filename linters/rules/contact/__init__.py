"""SG6xx contact policy: suppression, consent, caps, cooldowns, quiet hours, openers.

These rules judge when and whether to contact someone, not what the message says
(SG607 and SG608 aside). They are pure functions of the request, its ``history``
(earlier contacts) and ``events`` (behaviour and delivery feedback), the customer
record and the moment the message is judged. History entries stamped in the future beyond a
few minutes of clock skew are ignored (see ``linters.timing``), so a bad timestamp
can never hold a message until some far-off date.
"""
