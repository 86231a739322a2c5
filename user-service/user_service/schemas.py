"""API models: strict input, explicit output (never a password hash)."""

from __future__ import annotations

from typing import Literal, Self, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from media_common.db import Row
from media_common.paging import AnyRow, Page
from media_common.timestamps import UtcTimestamp
from user_service.fields import (
    Email,
    IdempotencyKeyValue,
    InvitationTokenValue,
    NewPassword,
    Password,
    PersonName,
    PointReason,
    PointReference,
    RefreshTokenValue,
)
from user_service.models import Invitation, User

Role = Literal["admin", "member"]
CREDIT_BATCH_MAX = 100
CreditStatus = Literal[200, 201, 404, 409, 422]
UtcDatetime: TypeAlias = UtcTimestamp


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class UserCreate(Input):
    """Joining a company: the only way is an admin's invitation."""

    invitation_token: InvitationTokenValue
    password: NewPassword
    name: PersonName | None = None


class FounderCreate(Input):
    """A company's first admin (internal: company-service's founding)."""

    email: Email
    password: NewPassword
    name: PersonName | None = None


class InvitationCreate(Input):
    email: Email
    role: Role = "member"


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: Role
    company_id: int
    expires_at: UtcDatetime
    created_at: UtcDatetime

    @classmethod
    def of(cls, invitation: Invitation | AnyRow) -> InvitationRead:
        return cls.model_validate(invitation)


class InvitationCreated(InvitationRead):
    token: str = Field(description="Shown only here; works once, until expires_at.")


class InvitationPage(Page[InvitationRead]):
    pass


class LoginRequest(Input):
    email: Email
    password: Password


class RefreshRequest(Input):
    refresh_token: RefreshTokenValue


class UserUpdate(Input):
    """The user may change `name` and `password` (with `current_password`); an admin of
    their company may change `role`. `name: null` clears the name."""

    model_config = ConfigDict(
        json_schema_extra={"dependentRequired": {"password": ["current_password"]}}
    )

    # `null` is refused for these (the validator below): the schema does not offer it.
    name: PersonName | None = None
    password: NewPassword | SkipJsonSchema[None] = None
    current_password: Password | SkipJsonSchema[None] = None
    role: Role | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for field in ("password", "current_password", "role"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} may not be null")
        if self.password is not None and self.current_password is None:
            raise ValueError("current_password is required to change the password")
        return self


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str | None
    company_id: int
    role: Role
    points: int
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(cls, user: User | AnyRow | Row) -> UserRead:
        return cls.model_validate(user)


class UserPage(Page[UserRead]):
    pass


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds until the access token expires.")


class Jwk(BaseModel):
    model_config = ConfigDict(extra="allow")

    kty: str
    kid: str
    use: str
    alg: str


class Jwks(BaseModel):
    keys: list[Jwk]


class PointCreditRequest(Input):
    amount: int = Field(ge=1, le=1_000_000, examples=[10])
    reason: PointReason
    reference: PointReference = ""


class PointCreditRead(BaseModel):
    user_id: int
    amount: int
    balance: int = Field(description="The user's balance right after this credit.")
    idempotency_key: str
    created_at: UtcDatetime


class PointCreditItem(PointCreditRequest):
    idempotency_key: IdempotencyKeyValue


class PointCreditBatch(Input):
    """Several credits of one user in one call (the outbox dispatcher's round)."""

    credits: list[PointCreditItem] = Field(min_length=1, max_length=CREDIT_BATCH_MAX)


class PointCreditOutcome(BaseModel):
    idempotency_key: str
    status: CreditStatus = Field(
        description="What the single credit endpoint would have answered for this credit: "
        "201 credited, 200 a replay, 404 unknown or deleted user, 409 the user's row was "
        "busy (retry), 422 the key was used for another user or amount."
    )
    balance: int | None = Field(description="The balance right after it; null unless 200/201.")


class PointCreditBatchRead(BaseModel):
    results: list[PointCreditOutcome]


class PointEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    amount: int
    reason: str
    reference: str
    created_at: UtcDatetime


class PointsPage(Page[PointEntryRead]):
    balance: int
