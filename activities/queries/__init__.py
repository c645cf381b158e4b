"""Reads of the activities app, split by who reads: families, staff; plus who an activity
reaches (audience)."""
