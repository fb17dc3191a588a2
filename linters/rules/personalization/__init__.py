"""SG1xx personalization: wrong names, unwanted familiarity, broken merge fields."""
