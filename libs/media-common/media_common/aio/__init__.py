"""The async request path: database, peer client, background loops, access state, token
verifier and lifespan, for services whose routes are `async def` end to end."""
