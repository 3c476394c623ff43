"""Keeps the change feed current (see sync.feed)."""
