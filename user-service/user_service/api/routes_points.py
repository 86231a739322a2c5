"""Points: the caller's balance and history, and the internal credit endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from media_common.errors import error_responses
from media_common.paging import PageQuery
from user_service.api.deps import (
    CreditAdmission,
    CurrentAccount,
    ReadSessionDep,
    RuntimeDep,
    ServiceCaller,
    UserIdPath,
)
from user_service.fields import IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN
from user_service.points import credit_batch, credit_points, point_history
from user_service.schemas import (
    PointCreditBatch,
    PointCreditBatchRead,
    PointCreditOutcome,
    PointCreditRead,
    PointCreditRequest,
    PointEntryRead,
    PointsPage,
)

router = APIRouter(tags=["points"])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="1..200 printable ASCII characters; the same key never credits twice.",
    ),
]


@router.get(
    "/api/v1/users/me/points", response_model=PointsPage, responses=error_responses(401, 422)
)
async def my_points(
    account: CurrentAccount, session: ReadSessionDep, page: PageQuery
) -> PointsPage:
    """The caller's point balance and ledger entries, newest first."""
    entries, total = await point_history(session, account.id, page)
    return PointsPage(
        balance=account.points,
        items=[PointEntryRead.model_validate(entry) for entry in entries],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/internal/v1/users/{user_id}/points",
    status_code=status.HTTP_201_CREATED,
    response_model=PointCreditRead,
    responses={
        200: {"model": PointCreditRead, "description": "A replay: the first result"},
        **error_responses(401, 404, 409, 422),
    },
    dependencies=[ServiceCaller, CreditAdmission],
    tags=["internal"],
    include_in_schema=False,  # not reachable through the gateway
)
async def credit(
    user_id: UserIdPath,
    body: PointCreditRequest,
    idempotency_key: IdempotencyKey,
    runtime: RuntimeDep,
    response: Response,
) -> PointCreditRead:
    """Credit points once per Idempotency-Key (service token only; not routed publicly).

    201 credited; 200 the same key again with the same user and amount (the first result,
    nothing credited twice); 422 the key was used for another user or amount; 404 unknown
    or deleted user; 409 LOCK_CONFLICT with Retry-After when the user's row is busy.
    """
    result = await credit_points(runtime.ledger.engine, user_id, idempotency_key, body)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return PointCreditRead(
        user_id=result.user_id,
        amount=result.amount,
        balance=result.balance,
        idempotency_key=result.idempotency_key,
        created_at=result.created_at,
    )


@router.post(
    "/internal/v1/users/{user_id}/points/batch",
    response_model=PointCreditBatchRead,
    responses=error_responses(401, 422),
    dependencies=[ServiceCaller, CreditAdmission],
    tags=["internal"],
    include_in_schema=False,  # not reachable through the gateway
)
async def credit_many(
    user_id: UserIdPath, body: PointCreditBatch, runtime: RuntimeDep
) -> PointCreditBatchRead:
    """Up to 100 credits of one user, each with its own idempotency key, in one call: 200
    with one outcome per credit, in order, each the status the single endpoint would have
    answered (201, 200, 404, 409, 422). One round trip for a round of the outbox instead
    of one per credit; a credit's outcome never depends on the others'."""
    outcomes = await credit_batch(runtime.ledger.engine, user_id, body.credits)
    return PointCreditBatchRead(
        results=[
            PointCreditOutcome(idempotency_key=key, status=code, balance=balance)
            for key, code, balance in outcomes
        ]
    )
