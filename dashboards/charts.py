"""Charts drawn on the server as SVG: no script, no third party, printable, and each one has a
title, a one-line text alternative and (on the page) the table it was drawn from.

Hidden figures ("fewer than 5") are drawn as a hatched stub with that label, never as a bar of
their real size.
"""

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from dashboards.suppression import HIDDEN_LABEL

WIDTH, HEIGHT = 640, 220
BAR_WIDTH = 420
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 48, 32, 16
BAR_COLOUR = "#1d5fa8"
HIDDEN_COLOUR = "#8a8f98"


def _svg(chart_id: str, title: str, summary: str, body: str, height: int, width=WIDTH) -> str:
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
        'aria-labelledby="{id}-title {id}-desc" focusable="false" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{summary}</desc>{body}</svg>',
        w=width,
        h=height,
        id=chart_id,
        title=title,
        summary=summary,
        body=mark_safe(body),  # noqa: S308 (built below from escaped parts)
    )


def column_chart(chart_id: str, title: str, points: list[tuple[str, object]]) -> str:
    """Columns for a series of (label, Cell); a hidden cell is a short grey stub."""
    shown = [cell.value for _label, cell in points if not cell.hidden]
    top = max(shown, default=0) or 1
    inner_w = WIDTH - PAD_LEFT - 8
    inner_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    step = inner_w / max(len(points), 1)
    parts = [
        f'<line x1="{PAD_LEFT}" y1="{HEIGHT - PAD_BOTTOM}" x2="{WIDTH - 8}" '
        f'y2="{HEIGHT - PAD_BOTTOM}" stroke="#444" stroke-width="1"/>',
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 10}" text-anchor="end" font-size="16" '
        f'fill="#333">{escape(f"{top:,}")}</text>',
        f'<text x="{PAD_LEFT - 6}" y="{HEIGHT - PAD_BOTTOM}" text-anchor="end" font-size="16" '
        'fill="#333">0</text>',
    ]
    for index, (label, cell) in enumerate(points):
        x = PAD_LEFT + index * step + step * 0.15
        width = step * 0.7
        if cell.hidden:
            height, colour, text = 6, HIDDEN_COLOUR, str(HIDDEN_LABEL)
        else:
            height, colour, text = inner_h * (cell.value / top), BAR_COLOUR, cell.text
        y = HEIGHT - PAD_BOTTOM - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'fill="{colour}"><title>{escape(label)}: {escape(text)}</title></rect>'
        )
        if index % max(1, len(points) // 4) == 0:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle" '
                f'font-size="16" fill="#333">{escape(label)}</text>'
            )
    summary = "; ".join(f"{label}: {cell.text}" for label, cell in points)
    return _svg(chart_id, title, summary, "".join(parts), HEIGHT)


def bar_chart(chart_id: str, title: str, bars: list[tuple[str, object]]) -> str:
    """Horizontal bars of rates (Cells with is_rate), one per group, 0-100%: drawn narrow, so
    that its words stay readable on a 360 px phone."""
    row_h = 30
    height = PAD_TOP + row_h * max(len(bars), 1) + 8
    label_w = 150
    inner_w = BAR_WIDTH - label_w - 70
    parts = []
    for index, (label, cell) in enumerate(bars):
        y = PAD_TOP + index * row_h
        short = label if len(label) <= 20 else label[:19] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="14" '
            f'fill="#222">{escape(short)}</text>'
        )
        if cell.hidden:
            width, colour = 6, HIDDEN_COLOUR
        else:
            width, colour = max(inner_w * min(cell.value, 1.0), 1), BAR_COLOUR
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{width:.1f}" height="{row_h - 10}" '
            f'fill="{colour}"><title>{escape(label)}: {escape(cell.text)}</title></rect>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 17}" font-size="14" '
            f'fill="#222">{escape(cell.text)}</text>'
        )
    summary = "; ".join(f"{label}: {cell.text}" for label, cell in bars)
    return _svg(chart_id, title, summary, "".join(parts), height, BAR_WIDTH)
