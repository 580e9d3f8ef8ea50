"""Red-team helpers (tests only): an attacker's pages, a collector, and a leak matcher that
shares no code with the product's masker.

- `PageServer` serves pages the test writes (HTML by path, or a function of the request that
  returns HTML or a `Redirect`; `{collector}` and `{self}` filled in), answers
  `/redirect?to=URL` with a 302 and `/slow` after a delay, and records every request it gets.
  The same class is the **collector**: a server on another loopback port that records every
  request (method, path, query, headers, body) and answers each with 200, so a page's fetch,
  beacon, form post, image or WebSocket handshake to it is seen.
- `Brain` and `Payload`: the fake cloud's mind, reading a request body back into objective,
  earlier actions and observation, and answering by the test's rules.
- `Leaks` looks for canaries in any text, independently of core.privacy.secrets: the canary
  is searched for as written, percent-, form-, HTML- and JSON-encoded, and, as its letters and
  digits alone (case-insensitive, up to three separators between them, alone between
  non-alphanumerics), in the text and in its percent-, HTML- and JSON-decoded views. That last
  form finds "J E N N I F E R . A L V A R E Z" and "ZEBRA QUARTZ 9931" too. Canaries with
  fewer than MIN_SKELETON letters and digits are matched only in their encoded forms, alone
  between non-alphanumerics and not inside a longer number (a bare "737" would otherwise
  match timings, timestamps and ports).
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, unquote, unquote_plus, urlsplit

from core.browser.views import Element, Observation, parse_observation_text

MIN_SKELETON = 6
_ALNUM = "0-9A-Za-z"


# --- the matcher ---------------------------------------------------------------------------

def encoded_forms(canary: str) -> set[str]:
    """The canary as a page, a URL, an HTML document or a JSON body would carry it."""
    forms = {canary, quote(canary), quote(canary, safe=""), quote_plus(canary),
             html.escape(canary), html.escape(canary, quote=False),
             "".join(f"&#{ord(c)};" for c in canary), "".join(f"&#x{ord(c):x};" for c in canary),
             json.dumps(canary)[1:-1], json.dumps(canary, ensure_ascii=False)[1:-1],
             json.dumps(json.dumps(canary))[3:-3]}  # JSON in JSON: a payload stored as text
    return {f for f in forms if f}


def decoded_views(text: str) -> list[str]:
    """`text` and what it reads as once percent-, form-, HTML- or JSON-decoded (twice over,
    in any order): an encoding the product forgot is undone here."""
    def json_unescape(s: str) -> str:
        s = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), s)
        return s.replace('\\"', '"').replace("\\/", "/").replace("\\\\", "\\")

    decoders: list[Callable[[str], str]] = [unquote, unquote_plus, html.unescape, json_unescape]
    views = {text}
    for _ in range(2):
        views |= {d(v) for v in list(views) for d in decoders}
    return list(views)


def skeleton(canary: str) -> str:
    return "".join(c for c in canary if c.isascii() and c.isalnum())


def _skeleton_pattern(canary: str) -> re.Pattern[str] | None:
    chars = skeleton(canary)
    if len(chars) < MIN_SKELETON:
        return None
    body = f"[^{_ALNUM}]{{0,3}}".join(re.escape(c) for c in chars)
    return re.compile(f"(?<![{_ALNUM}]){body}(?![{_ALNUM}])", re.IGNORECASE)


def _exact_pattern(form: str) -> re.Pattern[str]:
    # Alone between non-alphanumerics, and not a piece of a longer number: ".737+" in the
    # timestamp 13:11:03.737+00:00 is no security code.
    return re.compile(rf"(?<![{_ALNUM}.:]){re.escape(form)}(?![{_ALNUM}:+]|\.\d)")


@dataclass(frozen=True)
class Hit:
    canary: str
    sink: str
    context: str

    def __str__(self) -> str:
        return f"{self.canary!r} in {self.sink}: …{self.context}…"


class Leaks:
    """The canaries of one test and where they must not be."""

    def __init__(self, canaries: Iterable[str]) -> None:
        self.canaries = sorted({c for c in canaries if c}, key=len, reverse=True)

    def find(self, text: str, sink: str = "text") -> list[Hit]:
        hits: list[Hit] = []
        if not text:
            return hits
        views = decoded_views(text)
        for canary in self.canaries:
            hit = self._find_one(canary, text, views)
            if hit is not None:
                start, end, where = hit
                hits.append(Hit(canary, sink, where[max(0, start - 60):end + 60]))
        return hits

    @staticmethod
    def _find_one(canary: str, text: str, views: list[str]) -> tuple[int, int, str] | None:
        short = len(skeleton(canary)) < MIN_SKELETON
        for form in encoded_forms(canary):
            if short:
                match = _exact_pattern(form).search(text)
                if match:
                    return match.start(), match.end(), text
            else:
                at = text.find(form)
                if at >= 0:
                    return at, at + len(form), text
        pattern = _skeleton_pattern(canary)
        if pattern is not None:
            for view in views:
                match = pattern.search(view)
                if match:
                    return match.start(), match.end(), view
        return None

    def check(self, sinks: Mapping[str, str | Iterable[str]]) -> list[Hit]:
        """Every hit in every named sink (a text or several)."""
        hits: list[Hit] = []
        for name, value in sinks.items():
            texts = [value] if isinstance(value, str) else list(value)
            for text in texts:
                hits += self.find(text, name)
        return hits

    def assert_clean(self, sinks: Mapping[str, str | Iterable[str]]) -> None:
        hits = self.check(sinks)
        assert not hits, "leaked:\n" + "\n".join(str(h) for h in hits)


def db_dump(path: str | Path) -> str:
    """Every table of a SQLite file as SQL text (sqlite3's iterdump)."""
    conn = sqlite3.connect(str(path))
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


# --- the servers ---------------------------------------------------------------------------

@dataclass
class Request:
    method: str
    path: str          # with the query string, as sent
    headers: dict[str, str]
    body: str

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def text(self) -> str:
        """Everything the request carried, for the matcher."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
        return f"{self.method} {self.path}\n{head}\n\n{self.body}"


@dataclass(frozen=True)
class Redirect:
    """What a page function returns to answer 302 to `location`."""

    location: str


Page = str | Callable[[Request], "str | Redirect"]


@dataclass
class PageServer:
    """Pages by path ('/login.html' -> HTML, or a function of the request), on 127.0.0.1.
    Every request is recorded; unknown paths get a small 200 page (a collector has none)."""

    pages: dict[str, Page] = field(default_factory=dict)
    slow_s: float = 8.0
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                request = Request(self.command, self.path, dict(self.headers), body)
                server.requests.append(request)
                path = urlsplit(self.path).path
                if path == "/redirect":
                    target = request.query.get("to", [""])[0]
                    self._send(302, b"", {"location": target})
                    return
                if path == "/slow":
                    time.sleep(server.slow_s)
                page = server.pages.get(path)
                if page is None:
                    page = "<!doctype html><title>ok</title><p>ok</p>"
                text = page(request) if callable(page) else page
                if isinstance(text, Redirect):
                    self._send(302, b"", {"location": server.render(text.location)})
                    return
                self._send(200, server.render(text).encode("utf-8"),
                           {"content-type": "text/html; charset=utf-8"})

            do_GET = do_POST = do_PUT = do_OPTIONS = _handle  # noqa: N815 (http.server's naming)

            def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("access-control-allow-origin", "*")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the browser gave up on a slow page

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.origin = f"http://127.0.0.1:{self.port}"
        self.url = self.origin + "/"
        self.values: dict[str, str] = {"self": self.origin}
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def render(self, text: str) -> str:
        for key, value in self.values.items():
            text = text.replace("{" + key + "}", value)
        return text

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def texts(self) -> list[str]:
        return [r.text() for r in self.requests]

    def clear(self) -> None:
        self.requests.clear()


# --- the fake cloud's mind -----------------------------------------------------------------

@dataclass
class Payload:
    """One request body the fake cloud got, read back into its parts."""

    body: dict[str, object]
    user: str
    objective: str
    past: list[str]
    observation: Observation

    @classmethod
    def read(cls, body: dict[str, object]) -> Payload:
        user = str(body["messages"][0]["content"])  # type: ignore[index]
        objective = user.split("OBJECTIVE: ", 1)[1].split("\n", 1)[0]
        past_text = user.split("PREVIOUS ACTIONS:\n", 1)[1].split("\nOBSERVATION:\n", 1)[0]
        past = [line for line in past_text.split("\nNOTES:\n", 1)[0].splitlines()
                if line != "none"]
        observation = parse_observation_text(user.split("OBSERVATION:\n", 1)[1])
        return cls(body, user, objective, past, observation)

    def find(self, role: str, name: str = "") -> Element | None:
        """The first element of `role` whose name holds `name` (case-insensitive)."""
        return next((e for e in self.observation.elements
                     if e.role == role and name.lower() in e.name.lower()), None)

    def says(self, text: str) -> bool:
        return text.lower() in self.user.lower()


Rule = Callable[[Payload], "str | None"]


class Brain:
    """The fake cloud's answers: the first rule that returns an action text wins (a model
    that obeys whatever the page says, when the test's rules say so). A rule that raises is
    recorded, so a test can tell its own mistake from the product's."""

    def __init__(self, *rules: Rule, default: str = "stop [done]") -> None:
        self.rules = rules
        self.default = default
        self.errors: list[str] = []
        self.seen: list[Payload] = []

    def __call__(self, body: dict[str, object]) -> str:
        try:
            payload = Payload.read(body)
            self.seen.append(payload)
            for rule in self.rules:
                action = rule(payload)
                if action:
                    return f"REASON: As the page and the task say.\nACTION: {action}"
        except Exception as exc:  # the test's own fault: shown by the test, not hidden
            self.errors.append(f"{type(exc).__name__}: {exc}")
        return f"REASON: Nothing else to do.\nACTION: {self.default}"
