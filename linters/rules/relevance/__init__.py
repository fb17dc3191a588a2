"""SG5xx relevance: segment and place mismatch, upsell overload, cart discounts."""
