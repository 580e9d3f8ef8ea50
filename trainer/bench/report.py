"""report.md with a per-task bar chart (matplotlib), and the comparison of results files."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen on these machines; the app never imports this module
import matplotlib.pyplot as plt  # noqa: E402


def load_results(path: Path) -> dict[str, object]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} is not a results file: {exc}") from exc


def _label(results: dict[str, object], path: Path) -> str:
    return f"{results.get('mode')}:{results.get('policy')}" if results.get("policy") else path.stem


def write_report(results_list: list[tuple[Path, dict[str, object]]], out: Path) -> Path:
    """Markdown report; one results file gives a table, two or more give a comparison."""
    tasks = sorted({t for _, r in results_list for t in r.get("per_task", {})})  # type: ignore[union-attr]
    png = out.with_suffix(".png")
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(tasks) + 2), 4.5))
    width = 0.8 / max(len(results_list), 1)
    for i, (path, res) in enumerate(results_list):
        per = res.get("per_task", {})
        values = [per.get(t, {}).get("success_rate", 0) * 100 for t in tasks]  # type: ignore[union-attr]
        ax.bar([x + i * width for x in range(len(tasks))], values, width=width,
               label=f"{_label(res, path)} ({float(res.get('success_rate', 0)) * 100:.0f}%)")
    ax.set_xticks([x + width * (len(results_list) - 1) / 2 for x in range(len(tasks))])
    ax.set_xticklabels([t.split("/")[-1] for t in tasks], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("success %")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)

    lines = ["# Symbiote benchmark report", ""]
    lines.append("| | " + " | ".join(_label(r, p) for p, r in results_list) + " |")
    lines.append("|---|" + "---|" * len(results_list))
    for key, fmt in (("success_rate", "{:.1%}"), ("episodes", "{}")):
        lines.append(f"| {key} | " + " | ".join(fmt.format(r.get(key, 0)) for _, r in results_list)
                     + " |")
    lines.append("| step latency p50/p95 ms | " + " | ".join(
        f"{r['step_latency_ms']['p50']} / {r['step_latency_ms']['p95']}"  # type: ignore[index]
        for _, r in results_list) + " |")
    lines.append("| routes local/cloud | " + " | ".join(
        f"{r['routes']['local']:.0%} / {r['routes']['cloud']:.0%}"  # type: ignore[index]
        for _, r in results_list) + " |")
    lines.append("| wall time s | " + " | ".join(str(r.get("wall_s")) for _, r in results_list)
                 + " |")
    lines += ["", f"![per-task success]({png.name})", "", "| task | "
              + " | ".join(_label(r, p) for p, r in results_list) + " |",
              "|---|" + "---|" * len(results_list)]
    for t in tasks:
        cells = []
        for _, r in results_list:
            d = r.get("per_task", {}).get(t)  # type: ignore[union-attr]
            cells.append(f"{d['success_rate']:.0%} ({d['mean_steps']} steps)" if d else "–")
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    meta = results_list[0][1]
    lines += ["", f"seeds: {meta.get('seeds')}, git commit: {meta.get('git_commit')}", ""]
    out.write_text("\n".join(lines), encoding="utf-8")
    return out
