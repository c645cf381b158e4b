"""Pages of the guardians app, one module per sub-domain (family, management, invites, ...)."""
