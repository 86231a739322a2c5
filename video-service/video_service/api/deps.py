"""Dependencies that make route signatures read like sentences (and enforce the rules)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from media_common.auth import BearerDoc, Claims, bearer_token
from media_common.errors import Unauthorized
from media_common.paging import INT64_MAX
from media_common.storage import ObjectStorage
from video_service import jobs, videos
from video_service.models import MediaJob, Video
from video_service.playback import Viewer
from video_service.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_storage(runtime: RuntimeDep) -> ObjectStorage:
    return runtime.storage


StorageDep = Annotated[ObjectStorage, Depends(get_storage)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    yield from runtime.db.session()


# scope="function": the transaction commits when the route returns, before the response
# (and before a streamed body) is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def current_user(request: Request, runtime: RuntimeDep, _: BearerDoc = None) -> Claims:
    """The verified token's claims as of now: deleted users and deactivated companies are
    401, a changed role replaces the token's (media_common.access)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("Bearer token required")
    return runtime.access.current(runtime.verifier.verify(token))


CurrentUser = Annotated[Claims, Depends(current_user)]


def admin_only(user: CurrentUser) -> Claims:
    user.require_admin("Only the company's admins may do this")
    return user


AdminOnly = Annotated[Claims, Depends(admin_only)]

VideoId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Video id")]


def company_video(video_id: VideoId, user: CurrentUser, session: SessionDep) -> Video:
    """A live video of the caller's company (anything else is 404)."""
    return videos.get_video(session, user.company_id, video_id)


CompanyVideo = Annotated[Video, Depends(company_video)]


def admin_video(video_id: VideoId, admin: AdminOnly, session: SessionDep) -> Video:
    return videos.get_video(session, admin.company_id, video_id)


AdminVideo = Annotated[Video, Depends(admin_video)]


def stream_viewer(
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
        runtime.access.check(viewer.user_id, viewer.company_id)
        return viewer
    claims = current_user(request, runtime)
    return Viewer(claims.user_id, claims.company_id)


StreamViewer = Annotated[Viewer, Depends(stream_viewer)]


def streamable_video(video_id: VideoId, viewer: StreamViewer, session: SessionDep) -> Video:
    return videos.get_video(session, viewer.company_id, video_id)


StreamableVideo = Annotated[Video, Depends(streamable_video)]

JobId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Job id")]


def company_job(job_id: JobId, user: CurrentUser, session: SessionDep) -> MediaJob:
    """A job of a live video of the caller's company (anything else is 404)."""
    return jobs.get_job(session, user.company_id, job_id)


CompanyJob = Annotated[MediaJob, Depends(company_job)]


def admin_job(job_id: JobId, admin: AdminOnly, session: SessionDep) -> MediaJob:
    return jobs.get_job(session, admin.company_id, job_id)


AdminJob = Annotated[MediaJob, Depends(admin_job)]
