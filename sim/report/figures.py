"""Saving figures: every figure is written as PNG (for slides) and SVG (for documents)."""

from __future__ import annotations

import io

from matplotlib import rc_context
from matplotlib.figure import Figure


def encode(figure: Figure, stem: str) -> dict[str, bytes]:
    """`{stem}.png` and `{stem}.svg` of the figure, as file contents; the same figure gives
    the same bytes (no date, fixed SVG ids)."""
    figure.tight_layout()
    files = {}
    for kind in ("png", "svg"):
        buffer = io.BytesIO()
        with rc_context({"svg.hashsalt": stem}):
            figure.savefig(buffer, format=kind, dpi=150, metadata={"Date": None})
        files[f"{stem}.{kind}"] = buffer.getvalue()
    return files
