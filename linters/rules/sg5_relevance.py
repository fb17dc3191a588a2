"""SG5xx relevance: segment mismatch, upsell overload, cart discounts."""
