"""user-service: users, authentication, access-token issuing (JWKS), refresh tokens, points."""
