"""devstack: the local media-resource stack (PostgreSQL, the three services, nginx) as processes.

Run it through `scripts/stack` (which prepares `.venv` first): `./scripts/stack up`.
"""
