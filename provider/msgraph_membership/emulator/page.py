"""The emulator's read-only page: ``GET /_emulator/ui`` and its two assets.

Plain HTML, CSS and JavaScript shipped in the package (``page/``); no build step, nothing loaded
from elsewhere. The page polls ``GET /_emulator/live`` (``live.py``) and redraws what changed.
It is served by the admin API, so it answers loopback clients only. A browser also asks for
``/favicon.ico``: it gets 204 (no icon), outside the request log of Graph calls.
"""

from __future__ import annotations

from importlib import resources

from .wire import Response

_ASSETS = {
    "": ("index.html", "text/html;charset=utf-8"),
    "index.html": ("index.html", "text/html;charset=utf-8"),
    "page.css": ("page.css", "text/css;charset=utf-8"),
    "page.js": ("page.js", "text/javascript;charset=utf-8"),
}

# The page runs no inline script and loads nothing from another origin.
_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


def serve(segs: list[str]) -> Response:
    """The asset ``segs`` names under ``/_emulator/ui/``; 404 for anything else."""
    name = "/".join(segs)
    if name not in _ASSETS:
        return Response.json(404, {"error": f"no page asset {name!r}"})
    filename, content_type = _ASSETS[name]
    body = resources.files(__package__).joinpath("page", filename).read_bytes()
    return Response(200, {"Content-Type": content_type, "Cache-Control": "no-cache",
                          "Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff"}, body)


def favicon() -> Response:
    """``GET /favicon.ico``: no icon, and the browser may remember that for a day."""
    return Response(204, {"Cache-Control": "max-age=86400"}, b"")
