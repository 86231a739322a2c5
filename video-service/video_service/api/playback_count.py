"""Recording a view when playback starts (the stream, the playback URL, the HLS master)."""

from __future__ import annotations

from video_service.playback import Viewer
from video_service.runtime import Runtime
from video_service.views import record_view


async def count_view(runtime: Runtime, viewer: Viewer, video_id: int) -> None:
    """Record the viewer's view of the video, with its outbox row, in a transaction of its
    own, committed before the answer; a pair this process already knows to be viewed costs
    nothing (SeenViews), not even a session: repeat views are the hot path."""
    pair = (viewer.user_id, video_id)
    if pair in runtime.seen_views:
        return
    async with runtime.db.session() as session:
        first = await record_view(
            session, viewer.user_id, viewer.company_id, video_id, runtime.settings.points_per_view
        )
    if not first:
        runtime.seen_views.add(pair)
