"""Saving figures: every figure is written as PNG (for slides) and SVG (for documents)."""

from __future__ import annotations

import io

from matplotlib.figure import Figure


def encode(figure: Figure, stem: str) -> dict[str, bytes]:
    """`{stem}.png` and `{stem}.svg` of the figure, as file contents."""
    figure.tight_layout()
    files = {}
    for kind in ("png", "svg"):
        buffer = io.BytesIO()
        figure.savefig(buffer, format=kind, dpi=150)
        files[f"{stem}.{kind}"] = buffer.getvalue()
    return files
