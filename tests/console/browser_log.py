"""What a page did: every request's URL, tokens the API handed out, CSP violations and
script errors, so tests can assert on them after a walk."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Page, Request, Response


@dataclass
class BrowserLog:
    origin: str
    urls: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def attach(cls, page: Page, origin: str) -> BrowserLog:
        log = cls(origin.rstrip("/"))
        page.on("request", log._on_request)
        page.on("response", log._on_response)
        page.on("console", log._on_console)
        page.on("pageerror", lambda exc: log.errors.append(f"page error: {exc}"))
        return log

    def _on_request(self, request: Request) -> None:
        self.urls.append(request.url)

    def _on_response(self, response: Response) -> None:
        if response.url.endswith(("/api/v1/auth/login", "/api/v1/auth/refresh")) and response.ok:
            body = json.loads(response.body())
            self.tokens.update({body["access_token"], body["refresh_token"]})

    def _on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.errors.append(f"CSP: {text}")

    def foreign_urls(self) -> list[str]:
        """Requests that left the gateway's origin (blob:/data: stay in the page)."""
        return [
            url for url in self.urls if not url.startswith((self.origin + "/", "blob:", "data:"))
        ]

    def urls_with_tokens(self) -> list[str]:
        return [url for url in self.urls if any(token in url for token in self.tokens)]
