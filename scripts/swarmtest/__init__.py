"""`scripts/swarm test`: the deployed Swarm stack smoke-tested through port 80, rolled and
broken under load (rolling updates, killed tasks, a PostgreSQL restart), and its login rate
limit checked per client address. Run by scripts/swarm after `scripts/swarm up`."""
