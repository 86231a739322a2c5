"""Signed playback tokens: a stream URL for players that cannot send an Authorization header.

An HS256 JWT keyed with PLAYBACK_SECRET, bound to user, company, video and expiry, with
its own audience so it can never pass as an access token (those are RS256 anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from media_common.errors import Unauthorized

AUDIENCE = "video-playback"
ALGORITHM = "HS256"
_REQUIRED = ["sub", "company_id", "video_id", "exp", "aud"]


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who streams: from an access token or a playback token."""

    user_id: int
    company_id: int


class PlaybackTokens:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl = timedelta(seconds=ttl_seconds)

    def issue(self, viewer: Viewer, video_id: int) -> tuple[str, datetime]:
        expires_at = datetime.now(UTC).replace(microsecond=0) + self.ttl
        payload = {
            "sub": str(viewer.user_id),
            "company_id": viewer.company_id,
            "video_id": video_id,
            "exp": expires_at,
            "aud": AUDIENCE,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM), expires_at

    def verify(self, token: str, video_id: int) -> Viewer:
        """The viewer the token was issued to; 401 when forged, expired or for another video."""
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": _REQUIRED},
            )
            viewer = Viewer(int(payload["sub"]), int(payload["company_id"]))
            token_video = int(payload["video_id"])
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("Playback token expired") from exc
        except (jwt.InvalidTokenError, TypeError, ValueError) as exc:
            raise Unauthorized("Invalid playback token") from exc
        if token_video != video_id:
            raise Unauthorized("The playback token is for another video")
        return viewer
