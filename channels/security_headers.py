"""Security headers on every response of the web app (simulator, API, webhooks, consoles).

The pages load only their own files (no inline script or style, no third-party origin), so the
policy can be strict: a script injected into a transcript would not run, and no other site can
frame a console to trick a mediator into clicking. HSTS is sent only on requests that arrived over
HTTPS (directly or through a trusted proxy's X-Forwarded-Proto): on plain HTTP it is meaningless,
and on a development machine it would pin `localhost` to HTTPS in the browser.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                           "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; "
                           "base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"


def _came_over_https(scope: Scope, trust_forwarded: bool) -> bool:
    if scope.get("scheme") == "https":
        return True
    if not trust_forwarded:
        return False
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-proto":
            return value.decode("latin-1").split(",")[0].strip().lower() == "https"
    return False


class SecurityHeaders:
    """ASGI middleware adding `HEADERS` (and HSTS over HTTPS) to responses that do not set them.

    Pure ASGI rather than `BaseHTTPMiddleware`, so the consoles' event stream is not buffered.
    """

    def __init__(self, app: ASGIApp, trust_forwarded: bool = True) -> None:
        self.app = app
        self.trust_forwarded = trust_forwarded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = dict(HEADERS)
        if _came_over_https(scope, self.trust_forwarded):
            extra["Strict-Transport-Security"] = HSTS
        wanted = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in wanted if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
