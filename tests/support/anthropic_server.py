"""A local fake of Anthropic's Messages API (`POST /v1/messages`): the only test double.

It records every request (headers and the exact JSON body) and answers with whatever the test's
`responder(body) -> text` returns, in the Messages API response shape, with token usage. It can
also answer with an HTTP error status to exercise the cloud policy's error handling, or with a
200 whose body is not a Messages reply at all (`raw_reply`: a proxy's HTML login page, odd
JSON), as a misconfigured base URL or a captive portal would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Responder = Callable[[dict[str, object]], str]


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, object]
    raw: str


@dataclass
class FakeAnthropic:
    responder: Responder = lambda body: "REASON: Nothing to do.\nACTION: stop []"
    status: int = 200
    requests: list[Recorded] = field(default_factory=list)
    raw_reply: tuple[str, bytes] | None = None  # (content-type, body) sent with status 200

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length).decode("utf-8")
                body = json.loads(raw) if raw else {}
                fake.requests.append(Recorded(self.path, dict(self.headers), body, raw))
                if fake.status != 200:
                    payload = {"type": "error", "error": {"type": "api_error",
                                                          "message": f"fake status {fake.status}"}}
                    self._send(fake.status, payload)
                    return
                if fake.raw_reply is not None:
                    content_type, data = fake.raw_reply
                    self.send_response(200)
                    self.send_header("content-type", content_type)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                text = fake.responder(body)
                words = len(raw.split())
                self._send(200, {
                    "id": f"msg_fake_{len(fake.requests)}", "type": "message",
                    "role": "assistant", "model": body.get("model", "fake"),
                    "content": [{"type": "text", "text": text}],
                    "stop_reason": "end_turn", "stop_sequence": None,
                    "usage": {"input_tokens": words, "output_tokens": len(text.split())},
                })

            def _send(self, status: int, payload: dict[str, object]) -> None:
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def all_payload_text(self) -> str:
        return "\n".join(r.raw for r in self.requests)
