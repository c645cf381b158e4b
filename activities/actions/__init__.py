"""Writes of the activities app, split by sub-domain (authoring, submissions, review, media)."""
