"""The PNG next to RESULTS.md: throughput and peak RSS against record count, connector and baseline of each sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend is chosen first

COLOURS = {"pluggy": "tab:blue", "plutio": "tab:orange", "protime": "tab:green", "plecto": "tab:red"}
NAMES = {"pluggy": "source-pluggy", "plutio": "source-plutio", "protime": "source-protime",
         "plecto": "destination-plecto"}


def draw(sweeps: dict[str, list[dict[str, Any]]], path: Path, title: str) -> Path:
    """`sweeps`: key -> points (reads.Point.figures()); solid lines the connectors, dashed their baselines."""
    fig, (speed, memory) = plt.subplots(1, 2, figsize=(13, 5))
    for key, points in sweeps.items():
        if not points:
            continue
        x = [p["connector"]["records"] for p in points]
        colour = COLOURS.get(key, "black")
        for side, style in (("connector", "-"), ("baseline", "--")):
            label = f"{NAMES.get(key, key)}" if side == "connector" else f"{key} baseline loop"
            speed.plot(x, [p[side]["records_per_s"] for p in points], style, marker="o", color=colour, label=label)
            memory.plot(x, [p[side]["rss_mib"] for p in points], style, marker="o", color=colour, label=label)
    speed.set(xscale="log", yscale="log", xlabel="records in the sync", ylabel="records per second (wall)",
              title="Throughput (start-up included)")
    memory.set(xscale="log", xlabel="records in the sync", ylabel="peak RSS, MiB", title="Peak RSS of the process")
    memory.set_ylim(bottom=0)
    speed.axhline(3000, color="tab:blue", linewidth=0.8, linestyle=":")
    speed.annotate("source-pluggy goal: 3,000/s", (0.01, 3000), xycoords=("axes fraction", "data"), fontsize=8,
                   va="bottom", color="tab:blue")
    for axis in (speed, memory):
        axis.grid(True, which="both", alpha=0.3)
    speed.legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
