"""A local web server for the practice sites (resources/sites/), MiniWoB++'s task pages and
the synthetic web.

Served over http on 127.0.0.1 (MiniWoB's flight tasks need http, not file://):
  /              -> resources/sites/      (practice web apps)
  /miniwob/...   -> the miniwob package's html/ folder (tasks at /miniwob/miniwob/NAME.html)
  /synthetic/... -> pages generated on request from the path (trainer.suites.synthetic)
"""

from __future__ import annotations

import functools
import http.server
import logging
import threading
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from core.paths import RESOURCES
from trainer.suites.synthetic.site import render

log = logging.getLogger(__name__)


def miniwob_html_dir() -> Path:
    import miniwob  # the package ships its tasks as HTML + the reward logic in core.js

    return Path(miniwob.__file__).parent / "html"


class _Handler(http.server.SimpleHTTPRequestHandler):
    sites_dir: Path = RESOURCES / "sites"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        # The synthetic web has no files: its pages are generated from the path.
        parts = urlsplit(self.path)
        served = render(parts.path, dict(parse_qsl(parts.query)))
        if served is None:
            super().do_GET()
            return
        status, content_type, body = served
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if clean.startswith("/miniwob/"):
            base, rest = miniwob_html_dir(), clean[len("/miniwob/"):]
        else:
            base, rest = self.sites_dir, clean.lstrip("/")
        target = (base / rest).resolve()
        if base.resolve() not in target.parents and target != base.resolve():
            return str(base / "__forbidden__")
        return str(target)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, fmt: str, *args: object) -> None:
        log.debug("sites: " + fmt, *args)


class SiteServer:
    """`with SiteServer() as server: server.url("webmail/")` — port 0 picks a free port."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1"):
        handler = functools.partial(_Handler)
        self.httpd = http.server.ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[0], self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def url(self, path: str = "") -> str:
        return self.base_url + path.lstrip("/")

    def start(self) -> SiteServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="sites", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()
