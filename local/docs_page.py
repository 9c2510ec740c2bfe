"""`make run`'s `/docs`: Swagger UI for the OpenAPI document, offline, with a local-only demo sign-in.

The assets come from the pinned npm package swagger-ui-dist (tools/node), never from a CDN. Browsers
do not let a page set a Cookie header, so `/docs/sign-in` sets the demo session's cookie for this
origin and returns to the page; the requests Swagger UI then sends carry it. None of this exists in
the Lambda functions: it is the local server's, like `/openapi.json`.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from handlers.session_cookie import SESSION_COOKIE

DOCS_PATH = "/docs"
SIGN_IN_PATH = "/docs/sign-in"
_ASSETS_PATH = "/docs/assets/"
ASSETS = Path(__file__).resolve().parent.parent / "tools" / "node" / "node_modules" / "swagger-ui-dist"
_ASSET_TYPES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_HTML = "text/html; charset=utf-8"

Answer = tuple[int, list[tuple[str, str]], bytes]


def docs_answer(method: str, path: str, openapi_path: str, demo_token: str | None, signed_in: bool) -> Answer | None:
    """The answer for a `/docs` path, or None for any other path."""
    if method != "GET" or not (path == DOCS_PATH or path.startswith(f"{DOCS_PATH}/")):
        return None
    if path == SIGN_IN_PATH:
        return _sign_in(demo_token)
    if path.startswith(_ASSETS_PATH):
        return _asset(path.removeprefix(_ASSETS_PATH))
    if path == DOCS_PATH:
        return _page(openapi_path, demo_token is not None, signed_in)
    return 404, [("content-type", _HTML)], b"<h1>Not Found</h1>"


def _sign_in(demo_token: str | None) -> Answer:
    if demo_token is None:
        return 404, [("content-type", _HTML)], b"<p>No demo data was seeded, so there is no demo session.</p>"
    cookie = f"{SESSION_COOKIE}={demo_token}; Path=/; HttpOnly; SameSite=Strict"
    return 303, [("location", DOCS_PATH), ("set-cookie", cookie), ("content-length", "0")], b""


def _asset(name: str) -> Answer:
    content_type = _ASSET_TYPES.get(name)
    if content_type is None:
        return 404, [("content-type", _HTML)], b"<h1>Not Found</h1>"
    try:
        return 200, [("content-type", content_type), ("cache-control", "max-age=3600")], (ASSETS / name).read_bytes()
    except FileNotFoundError:
        return 503, [("content-type", _HTML)], b"<p>Swagger UI is not installed: make node-tools (needs npm).</p>"


# Said on the page whatever the state: why the Authorize button is no use, and what the curl lines lack.
_HOW_SESSIONS_WORK = (
    "The API reads the <code>neptun-session</code> cookie, which Swagger UI's <b>Authorize</b> cannot set (a "
    "page may not send a Cookie header). The curl lines below lack it: add "
    "<code>-H &quot;Cookie: neptun-session=&lt;token&gt;&quot;</code> (<code>make run</code> prints the demo one)."
)


def _page(openapi_path: str, has_demo: bool, signed_in: bool) -> Answer:
    if signed_in:
        status = "Signed in with the demo session (user 1): <b>Try it out</b> sends its cookie."
    elif has_demo:
        status = f'<a id="sign-in" href="{SIGN_IN_PATH}">Sign in as the demo user</a> (local only) to try the routes.'
    else:
        status = "No demo data: add a session with make admin and set its cookie in this browser."
    page = _PAGE.format(
        status=f"{status}<br>{_HOW_SESSIONS_WORK}",
        assets=html.escape(_ASSETS_PATH),
        config=json.dumps({"url": openapi_path, "dom_id": "#swagger-ui", "deepLinking": True}),
    )
    return 200, [("content-type", _HTML), ("cache-control", "no-store")], page.encode()


_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Neptun imports API (local)</title>
  <link rel="icon" href="{assets}favicon-32x32.png">
  <link rel="stylesheet" href="{assets}swagger-ui.css">
  <style>#session {{ font-family: sans-serif; padding: 8px 20px; background: #eef6ee; }}</style>
</head>
<body>
  <div id="session">{status}</div>
  <div id="swagger-ui"></div>
  <script src="{assets}swagger-ui-bundle.js"></script>
  <script src="{assets}swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle(Object.assign({config}, {{
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "BaseLayout",
      // Same origin: the browser sends the session cookie with every request the page tries.
      requestInterceptor: (request) => {{ request.credentials = "same-origin"; return request; }},
    }}));
  </script>
</body>
</html>
"""
