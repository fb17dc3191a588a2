"""Lint API Lambda: the engine's checks over HTTP (POST /check, POST /lint); nothing is sent."""
