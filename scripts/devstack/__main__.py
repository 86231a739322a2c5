"""`python -m devstack` (with PYTHONPATH=scripts)."""

from devstack.cli import main

raise SystemExit(main())
