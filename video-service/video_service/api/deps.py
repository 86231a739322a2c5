"""Dependencies that make route signatures read like sentences (and enforce the rules).

Every dependency is `async def`: a plain `def` one would hop through the thread pool.
Routes that write take `SessionDep` (one transaction, committed before the response);
routes that only read take `ReadSessionDep` (autocommit, one round trip per statement).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.auth import BearerDoc, Claims, bearer_token
from media_common.errors import Unauthorized
from media_common.paging import INT64_MAX
from video_service import jobs, videos
from video_service.listing import AnyRow
from video_service.models import MediaJob, Video
from video_service.playback import Viewer
from video_service.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    # As a context manager, the Database sees the route's error (rollback, or the commit
    # of an AppError that keeps its changes) and its success (the commit).
    async with asynccontextmanager(runtime.db.session)() as session:
        yield session
    runtime.committed(session.info)  # reached only once the transaction has committed


# scope="function": the transaction commits when the route returns, before the response
# (and before a streamed body) is sent.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async for session in runtime.db.read_session():
        yield session


# For routes that only read: every statement in autocommit (media_common.aio.db).
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]


async def current_user(request: Request, runtime: RuntimeDep, _: BearerDoc = None) -> Claims:
    """The verified token's claims as of now: deleted users and deactivated companies are
    401, a changed role replaces the token's (media_common.access)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("Bearer token required")
    return await runtime.access.current(await runtime.verifier.verify(token))


CurrentUser = Annotated[Claims, Depends(current_user)]


async def admin_only(user: CurrentUser) -> Claims:
    user.require_admin("Only the company's admins may do this")
    return user


AdminOnly = Annotated[Claims, Depends(admin_only)]

VideoId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Video id")]


async def company_video(video_id: VideoId, user: CurrentUser, session: ReadSessionDep) -> AnyRow:
    """A live video of the caller's company, as a row (anything else is 404)."""
    return await videos.read_video(session, user.company_id, video_id)


CompanyVideo = Annotated[AnyRow, Depends(company_video)]


async def looked_up(
    runtime: Runtime, company_id: int, video_id: int, columns: videos.Columns
) -> AnyRow:
    """The live video in an autocommit session of its own, released at once (one round
    trip): the routes that start playback write the view afterwards in `SessionDep`, and
    a request never holds two pooled connections at a time (under a burst of requests,
    holding one while waiting for another can exhaust the pool)."""
    async with runtime.db.read_sessionmaker() as session:
        return await videos.read_video(session, company_id, video_id, columns)


async def playback_video(video_id: VideoId, user: CurrentUser, runtime: RuntimeDep) -> AnyRow:
    """A live video of the caller's company, for a playback URL (`looked_up`)."""
    return await looked_up(runtime, user.company_id, video_id, videos.WITH_OUTPUTS)


PlaybackVideo = Annotated[AnyRow, Depends(playback_video)]


async def admin_video(video_id: VideoId, admin: AdminOnly, session: SessionDep) -> Video:
    """A live video of the admin's company, to change in the request's transaction."""
    return await videos.get_video(session, admin.company_id, video_id)


AdminVideo = Annotated[Video, Depends(admin_video)]


async def stream_viewer(
    request: Request,
    video_id: VideoId,
    runtime: RuntimeDep,
    _: BearerDoc,
    token: Annotated[
        str | None,
        Query(max_length=2048, description="Playback token from POST /playback"),
    ] = None,
) -> Viewer:
    """The Authorization header when present, else the `?token=` playback token."""
    if request.headers.get("authorization") is None and token is not None:
        viewer = runtime.playback.verify(token, video_id)
        await runtime.access.check(viewer.user_id, viewer.company_id)
        return viewer
    claims = await current_user(request, runtime)
    return Viewer(claims.user_id, claims.company_id)


StreamViewer = Annotated[Viewer, Depends(stream_viewer)]


async def streamable_video(
    video_id: VideoId, viewer: StreamViewer, session: ReadSessionDep
) -> AnyRow:
    """A live video of the viewer's company, as a row (anything else is 404)."""
    return await videos.read_video(session, viewer.company_id, video_id)


StreamableVideo = Annotated[AnyRow, Depends(streamable_video)]


async def viewed_video(video_id: VideoId, viewer: StreamViewer, runtime: RuntimeDep) -> AnyRow:
    """A live video of the viewer's company, whose playback starts (`looked_up`)."""
    return await looked_up(runtime, viewer.company_id, video_id, videos.WITH_OUTPUTS)


ViewedVideo = Annotated[AnyRow, Depends(viewed_video)]


async def stream_target(video_id: VideoId, viewer: StreamViewer, runtime: RuntimeDep) -> AnyRow:
    """What the stream needs of a live video of the viewer's company (`videos.STREAMED`),
    looked up on every request (`looked_up`): a delete stops every replica at once."""
    return await looked_up(runtime, viewer.company_id, video_id, videos.STREAMED)


StreamTarget = Annotated[AnyRow, Depends(stream_target)]

JobId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Job id")]


async def company_job(job_id: JobId, user: CurrentUser, session: ReadSessionDep) -> AnyRow:
    """A job of a live video of the caller's company, as a row (anything else is 404)."""
    return await jobs.read_job(session, user.company_id, job_id)


CompanyJob = Annotated[AnyRow, Depends(company_job)]


async def admin_job(job_id: JobId, admin: AdminOnly, session: SessionDep) -> MediaJob:
    return await jobs.get_job(session, admin.company_id, job_id)


AdminJob = Annotated[MediaJob, Depends(admin_job)]
