"""A local fake of an OpenAI-compatible `POST /v1/chat/completions` (OpenAI, llama-server,
vLLM, Ollama): FakeAnthropic's server, answering in the Chat Completions shape."""

from __future__ import annotations

from tests.support.anthropic_server import FakeAnthropic


class FakeOpenAI(FakeAnthropic):
    def reply(self, body: dict[str, object], text: str, words: int) -> dict[str, object]:
        out = len(text.split())
        return {"id": f"chatcmpl-fake-{len(self.requests)}", "object": "chat.completion",
                "created": 0, "model": body.get("model", "fake"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": words, "completion_tokens": out,
                          "total_tokens": words + out}}

    @property
    def base_url(self) -> str:
        return self.url + "/v1"
