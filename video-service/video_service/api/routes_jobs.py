"""Media jobs: a video's jobs, one job, a new transcode, canceling."""

from __future__ import annotations

from fastapi import APIRouter

from media_common.errors import error_responses
from media_common.paging import PageQuery
from video_service import jobs
from video_service.api.deps import (
    AdminJob,
    AdminVideo,
    CompanyJob,
    CompanyVideo,
    ReaderDep,
    RuntimeDep,
    SessionDep,
)
from video_service.schemas import JobPage, JobRead

router = APIRouter(prefix="/api/v1", tags=["jobs"])


@router.get(
    "/videos/{video_id}/jobs", response_model=JobPage, responses=error_responses(401, 404, 422)
)
async def list_video_jobs(
    video: CompanyVideo,
    reader: ReaderDep,
    page: PageQuery,
) -> JobPage:
    """The video's media jobs (probe, thumbnail, hls), newest first."""
    items, total = await jobs.list_jobs(reader, video.id, page)
    return JobPage(
        items=[JobRead.of(j) for j in items], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/jobs/{job_id}", response_model=JobRead, responses=error_responses(401, 404, 422))
async def get_job(job: CompanyJob) -> JobRead:
    """One media job of a video of the caller's company."""
    return JobRead.of(job)


@router.post(
    "/videos/{video_id}/transcodes",
    status_code=202,
    response_model=JobRead,
    responses=error_responses(401, 403, 404, 422),
)
async def request_transcode(video: AdminVideo, session: SessionDep, runtime: RuntimeDep) -> JobRead:
    """Queue a new HLS transcode (admins): 202 with the `hls` job. While one is queued or
    running, 202 with that same job: never two at once. The new renditions replace the
    current ones when it succeeds; until then the current ones keep playing."""
    return JobRead.of(await jobs.enqueue_job(session, runtime.queue, video, "hls"))


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=JobRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def cancel_job(job: AdminJob, session: SessionDep, runtime: RuntimeDep) -> JobRead:
    """Cancel a queued or running job (admins): 200 with the job `canceled`; a running
    ffmpeg stops within seconds. A finished job: 409 CONFLICT."""
    return JobRead.of(await jobs.cancel_job(session, runtime.queue, job))
