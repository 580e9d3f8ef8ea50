"""The browser environment: Playwright (sync API) driving the system's Chromium."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlparse

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from core.actions import Action, Goto
from core.browser.executor import execute_action
from core.browser.views import Element, Observation
from core.errors import BrowserError
from core.privacy.secrets import NO_SECRETS, Secrets, origin_of

if TYPE_CHECKING:
    from core.browser.trace import Tracer

log = logging.getLogger(__name__)

OBSERVE_JS = (Path(__file__).with_name("observe.js")).read_text(encoding="utf-8")

# Keep Chromium off the network it cannot reach (and off Google's services in any case).
CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]

# What the user typed into a page's fields (in document order), to carry it to another window.
READ_FIELDS_JS = """() => [...document.querySelectorAll("input, textarea, select")].map((e) =>
  (e.type === "checkbox" || e.type === "radio") ? e.checked : e.value)"""
WRITE_FIELDS_JS = """(values) => {
  const fields = [...document.querySelectorAll("input, textarea, select")];
  if (fields.length !== values.length) return false;
  fields.forEach((e, i) => {
    const v = values[i];
    if (typeof v === "boolean") { if (e.checked !== v) e.click(); }
    else if (e.type !== "file" && e.type !== "hidden" && e.value !== v) {
      e.value = v;
      e.dispatchEvent(new Event("input", { bubbles: true }));
      e.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  return true;
}"""


def elements_of(nodes: list[dict[str, Any]]) -> tuple[Element, ...]:
    """observe.js's nodes as elements (a recording's listener sends the same nodes)."""
    return tuple(Element(id=n["sid"], role=n["role"], name=n["name"], depth=n["depth"],
                         props=dict(n.get("props") or {}), options=tuple(n.get("options") or ()))
                 for n in nodes)


def find_chromium(explicit: str | None = None) -> str:
    candidates = [explicit, os.environ.get("SYMBIOTE_CHROMIUM"), "/usr/bin/chromium",
                  shutil.which("chromium"), shutil.which("chromium-browser")]
    for path in candidates:
        if path and Path(path).exists():
            return path
    raise BrowserError(
        "Chromium was not found at /usr/bin/chromium. Install it (Debian: `apt-get install "
        "chromium`) or set SYMBIOTE_CHROMIUM to its path."
    )


LOCAL_SCHEMES = ("about", "data", "blob", "chrome-error", "javascript")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def host_allowed(url: str, allowed_domains: list[str] | None) -> bool:
    """True when `url` may be requested. No list means every origin is allowed.

    An entry is an origin ("http://127.0.0.1:8800"), a host and port ("127.0.0.1:8800"), or a
    domain ("example.com": it and its subdomains, on the scheme's default port only). Ports
    count: a page on 127.0.0.1:8800 may not send to 127.0.0.1:9999."""
    parsed = urlparse(url)
    if parsed.scheme in LOCAL_SCHEMES:
        return True
    if not allowed_domains:
        return True
    host = (parsed.hostname or "").lower()
    try:
        port = parsed.port or DEFAULT_PORTS.get(parsed.scheme, 0)
    except ValueError:
        return False
    # A WebSocket belongs to the origin of its HTTP scheme: ws://h:p is allowed with http://h:p.
    scheme = {"ws": "http", "wss": "https"}.get(parsed.scheme, parsed.scheme)
    return any(_matches(entry.strip().lower(), scheme, host, port)
               for entry in allowed_domains if entry.strip())


def _opens_a_page(request) -> bool:  # type: ignore[no-untyped-def]
    """Whether `request` navigates the page itself (not a frame in it, not a subresource)."""
    try:
        return bool(request.is_navigation_request() and request.frame.parent_frame is None)
    except PlaywrightError:  # a worker's request has no frame
        return False


def _matches(entry: str, scheme: str, host: str, port: int) -> bool:
    if "://" in entry:
        allowed = urlparse(entry)
        want = allowed.port or DEFAULT_PORTS.get(allowed.scheme, 0)
        return (allowed.scheme, allowed.hostname, want) == (scheme, host, port)
    name, _, port_text = entry.partition(":")
    if port_text:
        return host == name and port_text.isdigit() and port == int(port_text)
    return (host == name or host.endswith("." + name)) and port == DEFAULT_PORTS.get(scheme, -1)


@dataclass
class BrowserConfig:
    executable: str | None = None
    headless: bool = True
    viewport: tuple[int, int] = (1024, 768)
    action_timeout_ms: int = 3000
    navigation_timeout_ms: int = 15000
    observe_root: str | None = None
    max_text: int = 120
    # The user's own logins, opt-in: a persistent profile folder (`--profile NAME`, under the
    # data dir) or a Chromium the user already runs (`--cdp-url`). Neither: a fresh, empty
    # profile that is gone when the session closes.
    profile_dir: Path | None = None
    cdp_url: str | None = None


@dataclass
class BrowserSession:
    """One Chromium, one context, one active page. Use as a context manager."""

    config: BrowserConfig = field(default_factory=BrowserConfig)
    allowed_domains: list[str] | None = None
    refused_requests: list[str] = field(default_factory=list)
    _refused_navigation: bool = False
    _pw: Playwright | None = None
    _browser: Browser | None = None
    _context: BrowserContext | None = None
    _page: Page | None = None
    tracer: Tracer | None = None   # an episode's Playwright trace (core.browser.trace)
    _executable: str = ""

    def __enter__(self) -> BrowserSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, storage_state: dict | None = None) -> None:  # type: ignore[type-arg]
        """Launch (or attach). `storage_state`: cookies and local storage to begin with."""
        if self.config.profile_dir is not None and self.config.cdp_url:
            raise BrowserError("choose either a profile or --cdp-url, not both")
        self._pw = sync_playwright().start()
        try:
            self._context = self._open_context(storage_state)
        except PlaywrightError as exc:
            self._pw.stop()
            self._pw = None
            hint = ("; a visible window needs a display: run under `xvfb-run` or set DISPLAY"
                    if not self.config.headless and os.name == "posix"
                    and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
                    else "")
            where = f" at {self._executable}" if self._executable else ""
            raise BrowserError(f"Chromium{where} did not start: "
                               f"{exc.message.splitlines()[0]}{hint}") from exc
        except BrowserError:
            self._pw.stop()
            self._pw = None
            raise
        self._context.set_default_timeout(self.config.action_timeout_ms)
        self._context.set_default_navigation_timeout(self.config.navigation_timeout_ms)
        self._context.route("**/*", self._guard_requests)
        self._context.route_web_socket("**/*", self._guard_websockets)
        self._context.on("page", self._adopt_page)
        self._page = self._context.new_page()

    def _open_context(self, storage_state: dict | None = None) -> BrowserContext:  # type: ignore[type-arg]
        assert self._pw is not None
        width, height = self.config.viewport
        viewport = {"width": width, "height": height}
        if self.config.cdp_url:
            try:
                self._browser = self._pw.chromium.connect_over_cdp(self.config.cdp_url)
            except PlaywrightError as exc:
                raise BrowserError(f"cannot attach to Chromium at {self.config.cdp_url}: "
                                   f"{exc.message.splitlines()[0]} (start it with "
                                   "--remote-debugging-port=9222)") from exc
            contexts = self._browser.contexts
            return contexts[0] if contexts else self._browser.new_context(viewport=viewport)
        executable = self._executable = find_chromium(self.config.executable)
        args = list(CHROMIUM_FLAGS)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")
        if self.config.profile_dir is not None:
            self.config.profile_dir.mkdir(parents=True, exist_ok=True)
            return self._pw.chromium.launch_persistent_context(
                str(self.config.profile_dir), executable_path=executable,
                headless=self.config.headless, args=args, viewport=viewport)  # type: ignore[arg-type]
        self._browser = self._pw.chromium.launch(
            executable_path=executable, headless=self.config.headless, args=args)
        return self._browser.new_context(viewport=viewport,  # type: ignore[arg-type]
                                         storage_state=storage_state)  # type: ignore[arg-type]

    def show(self) -> bool:
        """Move a headless session to a visible window (the user takes over), with what it
        holds: cookies and local storage (a persistent profile keeps its own), the page, and
        what is typed into the page's fields. A page that a form POST produced is loaded again
        by its URL. False when there was nothing to move: the window is visible already (a
        headed session, or the user's own Chromium over --cdp-url)."""
        if not self.config.headless or self.config.cdp_url:
            return False
        page = self.page
        url = page.url
        try:
            fields = page.evaluate(READ_FIELDS_JS)
        except PlaywrightError:
            fields = []
        state = (self._context.storage_state()  # type: ignore[union-attr]
                 if self.config.profile_dir is None else None)
        self.close()
        self.config = replace(self.config, headless=False)
        self.start(storage_state=state)  # type: ignore[arg-type]
        if url and not url.startswith("about:"):
            self.goto(url)
            try:
                if fields and not self.page.evaluate(WRITE_FIELDS_JS, fields):
                    log.info("the page has other fields now; typed values were not carried")
            except PlaywrightError:
                log.debug("could not carry the typed values", exc_info=True)
        return True

    def close(self) -> None:
        if self.config.cdp_url:
            # The user's own browser: leave it and its tabs as they were, but for ours.
            closers: tuple[object, ...] = (self._page, self._browser)
        else:
            closers = (self._context, self._browser)
        for closer in closers:
            if closer is not None:
                try:
                    closer.close()  # type: ignore[attr-defined]
                except PlaywrightError:
                    log.debug("browser already closed", exc_info=True)
        if self._pw is not None:
            self._pw.stop()
        self._pw = self._browser = self._context = self._page = None

    @property
    def page(self) -> Page:
        if self._page is None or self._page.is_closed():
            if self._context is None:
                raise BrowserError("the browser is not running")
            self._page = self._context.new_page()
        return self._page

    def _adopt_page(self, page: Page) -> None:
        # Links with target=_blank open a new tab: the agent follows it, as a user would.
        self._page = page

    def _guard_requests(self, route, request) -> None:  # type: ignore[no-untyped-def]
        """Every request the page makes (navigations, fetch/XHR, beacons, images, forms) goes
        only to the task's allowed origins. Chromium follows redirects without asking routes
        again, for a navigation and a subresource alike (a fetch or an image to an allowed
        origin that answers 302 to another one reached that one unchecked), so every request
        is fetched here without following them: each hop comes back as a new request and is
        checked like the first."""
        if not host_allowed(request.url, self.allowed_domains):
            self._refuse(route, request.url, _opens_a_page(request))
            return
        if not self.allowed_domains:
            route.continue_()
            return
        try:
            response = route.fetch(max_redirects=0)
        except PlaywrightError as exc:
            log.debug("request fetch failed: %s", exc.message)
            route.abort("failed")
            return
        location = response.headers.get("location", "")
        if 300 <= response.status < 400 and location:
            target = urljoin(request.url, location)
            if not host_allowed(target, self.allowed_domains):
                self._refuse(route, target, _opens_a_page(request))
                return
        route.fulfill(response=response)

    def _guard_websockets(self, ws) -> None:  # type: ignore[no-untyped-def]
        """WebSockets never pass through `route`: without this a page opened one to any
        origin and sent whatever it read."""
        if not host_allowed(ws.url, self.allowed_domains):
            log.warning("refused a WebSocket outside the allowed origins: %s",
                        origin_of(ws.url) or "?")
            self.refused_requests.append(ws.url)
            ws.close(code=1008, reason="outside the task's allowed origins")
            return
        ws.connect_to_server()

    def _refuse(self, route, url: str,  # type: ignore[no-untyped-def]
                page_navigation: bool = False) -> None:
        # The origin only: the path and query are what an exfiltrating page fills with data.
        log.warning("refused a request outside the allowed origins: %s", origin_of(url) or "?")
        self.refused_requests.append(url)
        self._refused_navigation = self._refused_navigation or page_navigation
        route.abort("blockedbyclient")

    def _leave_error_page(self) -> None:
        """Chromium shows its error page for a refused navigation of the page, a moment after
        the refusal: wait for it and return to the last page. Left to commit later, it cut
        off whatever navigation came next (the next task's start page: "interrupted by
        another navigation to chrome-error://")."""
        waited, self._refused_navigation = self._refused_navigation, False
        page = self.page
        try:
            if waited and not page.url.startswith("chrome-error://"):
                page.wait_for_url(lambda url: url.startswith("chrome-error://"),
                                  wait_until="commit", timeout=2000)
            if page.url.startswith("chrome-error://"):
                page.go_back(wait_until="domcontentloaded")
        except PlaywrightError:
            log.debug("could not leave the blocked-navigation page", exc_info=True)

    def goto(self, url: str) -> None:
        """Open a start URL; an unreachable one is a BrowserError with the reason."""
        try:
            self.page.goto(url, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            raise BrowserError(f"could not open {url}: {exc.message.splitlines()[0]}") from exc

    def observe(self, last_error: str = "") -> Observation:
        page = self.page
        raw = None
        for _attempt in range(3):
            try:
                raw = page.evaluate(
                    OBSERVE_JS, {"root": self.config.observe_root, "maxText": self.config.max_text}
                )
                break
            except PlaywrightError as exc:
                # A navigation in flight destroys the context: wait for the new document.
                log.debug("observe retry: %s", exc.message)
                try:
                    page.wait_for_load_state("domcontentloaded", timeout=3000)
                except PlaywrightError:
                    pass
        if raw is None:
            return Observation(url=page.url, title="", elements=(),
                               last_error=last_error or "the page could not be read")
        elements = elements_of(raw["nodes"])
        try:
            title = page.title()
        except PlaywrightError:
            title = ""
        if self.tracer is not None:
            self.tracer.after_observe(page.url)
        return Observation(url=page.url, title=title, elements=elements, last_error=last_error)

    def execute(self, action: Action, secrets: Secrets = NO_SECRETS) -> str:
        """Run one action. Returns an error message ('' on success); never raises for a bad
        action, a detached element or a timeout."""
        if isinstance(action, Goto) and not host_allowed(action.url, self.allowed_domains):
            log.warning("refused goto outside the allowed domains: %s",
                        origin_of(action.url) or "?")
            self.refused_requests.append(action.url)
            return f"navigation to {action.url} refused: outside the task's allowed origins"
        if self.tracer is not None:
            self.tracer.before_execute(action, secrets, self.page.url)
        before = len(self.refused_requests)
        error = execute_action(self.page, action, secrets=secrets,
                               timeout_ms=self.config.action_timeout_ms)
        if len(self.refused_requests) > before:
            self._leave_error_page()
            # The origin only: the refused URL's query is the page's, and may carry data.
            refused = origin_of(self.refused_requests[-1]) or "another origin"
            error = error or (f"a request to {refused} was refused: "
                              "outside the task's allowed origins")
        return error

    def start_trace(self, title: str = "") -> None:
        from core.browser.trace import Tracer

        if self._context is None:
            raise BrowserError("the browser is not running")
        self.tracer = Tracer(self._context, title)

    def finish_trace(self, path: Path) -> list[Path]:
        tracer, self.tracer = self.tracer, None
        return tracer.finish(path) if tracer is not None else []

    def screenshot(self) -> bytes:
        return self.page.screenshot(type="png")

    def try_screenshot(self) -> bytes | None:
        """A screenshot, or None when the page has none to give (closed, crashed)."""
        try:
            return self.screenshot()
        except (PlaywrightError, BrowserError):
            log.debug("screenshot failed", exc_info=True)
            return None
