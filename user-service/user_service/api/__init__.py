"""HTTP layer of user-service: routers and their dependencies."""
