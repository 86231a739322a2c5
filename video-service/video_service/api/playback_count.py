"""Recording a view when playback starts (the stream, the playback URL, the HLS master)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from video_service.models import Video
from video_service.playback import Viewer
from video_service.runtime import Runtime
from video_service.views import record_view


def count_view(session: Session, runtime: Runtime, viewer: Viewer, video: Video) -> None:
    pair = (viewer.user_id, video.id)
    if pair in runtime.seen_views:
        return
    first = record_view(
        session, viewer.user_id, viewer.company_id, video.id, runtime.settings.points_per_view
    )
    if first:
        runtime.dispatcher.wake_after_commit(session)
    else:
        runtime.seen_views.add(pair)
