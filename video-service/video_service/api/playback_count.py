"""Recording a view when playback starts (the stream, the playback URL, the HLS master)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from video_service.playback import Viewer
from video_service.runtime import Runtime
from video_service.views import record_view


async def count_view(
    session: AsyncSession, runtime: Runtime, viewer: Viewer, video_id: int
) -> None:
    """Record the viewer's view of the video in the request's transaction; a pair this
    process already knows to be viewed costs nothing (SeenViews)."""
    pair = (viewer.user_id, video_id)
    if pair in runtime.seen_views:
        return
    first = await record_view(
        session, viewer.user_id, viewer.company_id, video_id, runtime.settings.points_per_view
    )
    if not first:
        runtime.seen_views.add(pair)
