"""SG6xx contact policy: suppression, consent, caps, cooldowns, quiet hours, openers."""
