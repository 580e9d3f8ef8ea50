"""What the cloud costs: dollars per million tokens per model, from resources/prices.json and
the user's own prices.json in the data dir (its entries win: a negotiated price, a local
server at 0, a model the table does not know)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import ConfigError
from core.paths import RESOURCES, user_data_dir

log = logging.getLogger(__name__)
PRICES_FILE = RESOURCES / "prices.json"
USER_PRICES = "prices.json"


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: float    # $ per million input tokens
    output: float   # $ per million output tokens


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="ignore")

    models: dict[str, Price]


def _read(path: Path) -> dict[str, Price]:
    try:
        return PriceTable.model_validate_json(path.read_text(encoding="utf-8")).models
    except (OSError, ValueError, ValidationError) as exc:
        raise ConfigError(f"{path} is not a price table ({{\"models\": {{NAME: {{\"input\": "
                          f"$/Mtok, \"output\": $/Mtok}}}}}}): {str(exc).splitlines()[0]}"
                          ) from exc


@dataclass(frozen=True)
class Prices:
    models: dict[str, Price] = field(default_factory=dict)

    @classmethod
    def load(cls, user_file: Path | None = None) -> Prices:
        models = _read(PRICES_FILE)
        user = user_file or user_data_dir() / USER_PRICES
        if user.exists():
            models = {**models, **_read(user)}
        return cls(models)

    def price(self, model: str) -> Price | None:
        """The model's price; a dated name (claude-sonnet-4-5-20250929) finds its family."""
        if model in self.models:
            return self.models[model]
        best = max((name for name in self.models if model.startswith(name + "-")),
                   key=len, default=None)
        return self.models[best] if best else None

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        """Dollars, or None when the model has no price."""
        price = self.price(model)
        if price is None:
            return None
        return (input_tokens * price.input + output_tokens * price.output) / 1_000_000


    def total(self, usage: list[tuple[str, int, int]]) -> float | None:
        """Dollars of (model, input, output) rows; None when any priced row is unknown.
        Rows without tokens (an MCP client's, a refused request) cost nothing."""
        dollars = 0.0
        for model, tokens_in, tokens_out in usage:
            if not tokens_in and not tokens_out:
                continue
            cost = self.cost(model, tokens_in, tokens_out)
            if cost is None:
                return None
            dollars += cost
        return dollars


def dollars(value: float | None) -> str:
    return "price unknown" if value is None else f"${value:.4f}"
