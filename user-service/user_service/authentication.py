"""Login, refresh-token rotation and logout."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.db import Query, Reader
from media_common.errors import InvalidCredentials, Unauthorized
from media_common.models import utcnow
from user_service.company_client import CompanyDirectory
from user_service.models import User
from user_service.passwords import PasswordHasher
from user_service.refresh_tokens import (
    issue_refresh_token,
    lock_refresh_token,
    revoke_family,
)
from user_service.schemas import TokenPair
from user_service.tokens import AccessTokens

_LOGIN_ACCOUNT = Query(
    select(User.id, User.company_id, User.role, User.password_hash).where(
        User.email == bindparam("email"), User.deleted_at.is_(None)
    )
)


class RefreshTokenReused(Unauthorized):
    """A used refresh token came back: its login is revoked, and the revocation is
    committed with the 401 (a stolen token must not work after the owner's next refresh)."""

    message = "Refresh token already used; this login is revoked"
    keeps_changes = True


class Authenticator:
    def __init__(
        self,
        *,
        reader: Reader,
        passwords: PasswordHasher,
        access_tokens: AccessTokens,
        companies: CompanyDirectory,
        refresh_ttl: timedelta,
    ) -> None:
        """`reader` runs one statement on a connection given back at once."""
        self.reader = reader
        self.passwords = passwords
        self.access_tokens = access_tokens
        self.companies = companies
        self.refresh_ttl = refresh_ttl

    async def login(self, session: AsyncSession, email: str, password: str) -> TokenPair:
        """A new token pair (and refresh family); one answer for every kind of wrong login.

        The account is read on a connection of its own, returned at once: the request's
        transaction (`session`) starts only after bcrypt and company-service have
        answered, so a slow login holds no connection while it waits.
        """
        user = await self.reader.one(_LOGIN_ACCOUNT, email=email)
        # verify() runs for unknown emails too: both failures take one bcrypt check.
        matches = await self.passwords.verify(password, user.password_hash if user else None)
        if user is None or not matches:
            raise InvalidCredentials()
        if not await self.companies.is_active(user.company_id):
            raise InvalidCredentials("The company of this account is deactivated")
        if self.passwords.needs_rehash(user.password_hash):
            await session.execute(
                update(User)
                .where(User.id == user.id)
                .values(password_hash=await self.passwords.hash(password))
            )
        raw = await issue_refresh_token(session, user.id, self.refresh_ttl)
        return self._pair(user.id, user.company_id, user.role, raw)

    async def refresh(self, session: AsyncSession, raw_refresh_token: str) -> TokenPair:
        """Rotate: the presented token becomes used, the next one joins its family."""
        token = await lock_refresh_token(session, raw_refresh_token)
        if token is None:
            raise Unauthorized("Invalid refresh token")
        if token.used_at is not None or token.revoked_at is not None:
            await revoke_family(session, token.family_id)
            raise RefreshTokenReused()
        now = utcnow()
        if token.expires_at <= now:
            raise Unauthorized("Refresh token expired")
        user = await session.get(User, token.user_id)
        if user is None or user.deleted_at is not None:
            raise Unauthorized("Invalid refresh token")
        if not await self.companies.is_active(user.company_id):
            raise Unauthorized("The company of this account is deactivated")
        token.used_at = now
        raw = await issue_refresh_token(session, user.id, self.refresh_ttl, token.family_id)
        return self._pair(user.id, user.company_id, user.role, raw)

    async def logout(self, session: AsyncSession, raw_refresh_token: str) -> None:
        """Revoke the token's whole login family, also for an already rotated token of it;
        an unknown or already revoked one is not an error."""
        token = await lock_refresh_token(session, raw_refresh_token)
        if token is not None:
            await revoke_family(session, token.family_id)

    def _pair(self, user_id: int, company_id: int, role: str, refresh_token: str) -> TokenPair:
        return TokenPair(
            access_token=self.access_tokens.issue(user_id, company_id, role),
            refresh_token=refresh_token,
            expires_in=self.access_tokens.ttl_seconds,
        )
