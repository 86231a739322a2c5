"""Dependencies that make route signatures read like sentences (and enforce the rules).

Every dependency is `async def`: a plain `def` one would hop through the thread pool.
Routes that write take `SessionDep` (one transaction, committed before the response);
routes that only read take `ReadSessionDep` (autocommit, one round trip per statement).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from media_common.auth import BearerDoc, Claims, bearer_token
from media_common.db import Row

# The database dependencies are the same in every service (media_common.dependencies).
from media_common.dependencies import ReaderDep, ReadSessionDep, SessionDep  # noqa: F401
from media_common.errors import Unauthorized
from media_common.paging import INT64_MAX
from video_service import jobs, videos
from video_service.models import MediaJob, Video
from video_service.playback import Viewer
from video_service.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


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


async def company_video(video_id: VideoId, user: CurrentUser, reader: ReaderDep) -> Row:
    """A live video of the caller's company, as a row (anything else is 404)."""
    return await videos.read_video(reader, user.company_id, video_id)


CompanyVideo = Annotated[Row, Depends(company_video)]


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


async def streamable_video(video_id: VideoId, viewer: StreamViewer, reader: ReaderDep) -> Row:
    """A live video of the viewer's company, as a row (anything else is 404)."""
    return await videos.read_video(reader, viewer.company_id, video_id)


StreamableVideo = Annotated[Row, Depends(streamable_video)]


async def stream_target(video_id: VideoId, viewer: StreamViewer, reader: ReaderDep) -> Row:
    """What the stream needs of a live video of the viewer's company, looked up on every
    request (one statement): a delete stops the stream on every replica at once."""
    return await videos.read_video(reader, viewer.company_id, video_id, videos.STREAM_TARGET)


StreamTarget = Annotated[Row, Depends(stream_target)]

JobId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Job id")]


async def company_job(job_id: JobId, user: CurrentUser, reader: ReaderDep) -> Row:
    """A job of a live video of the caller's company, as a row (anything else is 404)."""
    return await jobs.read_job(reader, user.company_id, job_id)


CompanyJob = Annotated[Row, Depends(company_job)]


async def admin_job(job_id: JobId, admin: AdminOnly, session: SessionDep) -> MediaJob:
    return await jobs.get_job(session, admin.company_id, job_id)


AdminJob = Annotated[MediaJob, Depends(admin_job)]
