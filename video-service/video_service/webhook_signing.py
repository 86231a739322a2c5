"""The `Webhook-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.

The MAC covers `"<t>." + raw body`, keyed with the UTF-8 bytes of the secret exactly as
the client was shown it. A fresh `t` per attempt lets receivers refuse replays of old
requests while the body (and `Webhook-Id`) stays the same across retries.
"""

from __future__ import annotations

import hashlib
import hmac


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
