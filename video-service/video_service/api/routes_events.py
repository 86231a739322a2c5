"""GET /videos/{id}/events: the video's job and status changes as Server-Sent Events.

Fed from the `media_events` table (polled), so any replica serves any client and a
reconnect with `Last-Event-ID` resumes exactly after the last event it saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header
from sse_starlette import EventSourceResponse, ServerSentEvent

from media_common.errors import error_responses
from video_service.api.deps import RuntimeDep, StreamableVideo
from video_service.media_events import events_after
from video_service.runtime import Runtime

router = APIRouter(prefix="/api/v1/videos", tags=["events"])

POLL_SECONDS = 0.5
PING_SECONDS = 15

EVENTS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An endless `text/event-stream`: events `job` and `video`, each with `id:`",
        "content": {"text/event-stream": {}},
    },
    **error_responses(401, 404, 422),
}


async def _read(runtime: Runtime, video_id: int, after: int) -> list[tuple[int, str, str]]:
    # A session per poll: no connection is held between polls of a long-lived stream.
    async with runtime.db.read_sessionmaker() as session:
        return await events_after(session, video_id, after)


async def _stream(runtime: Runtime, video_id: int, after: int) -> AsyncIterator[ServerSentEvent]:
    while True:
        rows = await _read(runtime, video_id, after)
        for event_id, kind, data in rows:
            after = event_id
            yield ServerSentEvent(data=data, event=kind, id=str(event_id))
        if not rows:
            await asyncio.sleep(POLL_SECONDS)


@router.get(
    "/{video_id}/events",
    response_class=EventSourceResponse,
    responses=EVENTS_RESPONSES,
)
async def video_events(
    video: StreamableVideo,
    runtime: RuntimeDep,
    last_event_id: Annotated[
        str | None, Header(alias="last-event-id", max_length=20, pattern=r"^[0-9]{1,19}$")
    ] = None,
) -> EventSourceResponse:
    """Live progress (members; Bearer, or `?token=` from POST /playback). An event `job`
    (the job) on every change of status and progress (about every second while running),
    an event `video` (the video) when its status changes. Without `Last-Event-ID` every
    event still known for the video is sent first; with it, only the later ones. A comment
    line every 15 s keeps the connection open."""
    after = int(last_event_id) if last_event_id else 0
    return EventSourceResponse(_stream(runtime, video.id, after), ping=PING_SECONDS)
