"""A local fake of Anthropic's Messages API (`POST /v1/messages`): the only test double.

It records every request (headers and the exact JSON body) and answers with whatever the test's
`responder(body) -> text` returns, in the Messages API response shape, with token usage. It can
also answer with an HTTP error status to exercise the cloud policy's error handling, or with a
200 whose body is not a Messages reply at all (`raw_reply`: a proxy's HTML login page, odd
JSON), as a misconfigured base URL or a captive portal would.

A request that offers tools (the cloud seat's structured output) is answered, when
`tool_use` is on, with a `tool_use` block whose input holds the responder's REASON/ACTION as
the action schema's fields; otherwise, as a model that ignores the tools, with text.
`tests.support.openai_server.FakeOpenAI` is the same server speaking `/v1/chat/completions`.
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
    tool_use: bool = False                      # answer a request with tools by a tool call

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
                self._send(200, fake.reply(body, fake.responder(body), len(raw.split())))

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

    def reply(self, body: dict[str, object], text: str, words: int) -> dict[str, object]:
        """The Messages API's answer carrying `text` (or its tool call)."""
        content: list[dict[str, object]] = [{"type": "text", "text": text}]
        if self.tool_use and body.get("tools"):
            content = [{"type": "tool_use", "id": f"toolu_fake_{len(self.requests)}",
                        "name": body["tools"][0]["name"],  # type: ignore[index]
                        "input": tool_input(text)}]
        return {"id": f"msg_fake_{len(self.requests)}", "type": "message",
                "role": "assistant", "model": body.get("model", "fake"), "content": content,
                "stop_reason": "tool_use" if self.tool_use else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": words, "output_tokens": len(text.split())}}

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def all_payload_text(self) -> str:
        return "\n".join(r.raw for r in self.requests)


def tool_input(text: str) -> dict[str, object]:
    """REASON/ACTION text as the fields of core.actions.action_schema."""
    from core.actions import parse_action

    reason = text.split("REASON:", 1)[1].split("\n", 1)[0].strip() if "REASON:" in text else ""
    action = parse_action(text.split("ACTION:", 1)[1]) if "ACTION:" in text else None
    fields: dict[str, object] = {"reason": reason}
    if action is not None:
        fields["action"] = action.NAME
        fields.update({arg.field: getattr(action, arg.field) for arg in action.ARGS})
    return fields
