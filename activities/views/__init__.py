"""Pages of the activities app, one module per sub-domain."""
