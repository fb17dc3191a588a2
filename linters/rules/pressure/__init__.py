"""SG3xx pressure and tone: urgency to nobody in particular, false urgency, robot empathy."""
