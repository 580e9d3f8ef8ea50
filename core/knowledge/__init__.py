"""The knowledge base (core.knowledge.service). Its index lives next to the trajectory DB; the
name is defined here, importable without numpy or hnswlib, so a caller can look for an index
before paying for those imports."""

from __future__ import annotations

from pathlib import Path


def index_path_for(db_path: str | Path) -> Path:
    """`<db>.kb.hnsw` (its metadata: `<db>.kb.json`)."""
    return Path(str(db_path) + ".kb.hnsw")
