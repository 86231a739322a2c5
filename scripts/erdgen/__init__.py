"""Entity-relationship diagram of the three services' schemas (`scripts/erd`)."""
