"""Review and release: the human side of quarantine (issue 14)."""
