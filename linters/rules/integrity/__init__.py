"""SG8xx: text whose characters say something other than what the reader sees."""
