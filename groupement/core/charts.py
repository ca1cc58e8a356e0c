"""Server-rendered SVG charts: printable, usable in PDFs, no JavaScript. Pure.

Stacked layout: each label on its own line above its bar, the value after the bar. The chart
is about 360 units wide whatever the labels, so a 390 px phone shows it at its own size (text
at FONT_SIZE, not scaled down to a third as a label-beside-bar layout of 800 units would be).

The markup uses SVG presentation attributes (fill=, font-size=...) and classes only, never a
style="" attribute, so the page's Content-Security-Policy (style-src 'self') accepts it; the
stylesheet may override the colours through the classes. Same input, same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from groupement.core.money import round_half_up

BAR_FILL = "#000091"
TEXT_FILL = "#161616"
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
FONT_SIZE = 14
CHAR_WIDTH = 8.5  # generous advance of a character at 13 px: capitals and wide fonts must fit
LABEL_HEIGHT = 18  # the label's line, above its bar
BAR_HEIGHT = 16
ROW_GAP = 10
ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
MARGIN = 8
BAR_AREA = 200  # width of the longest bar: with its value after it, the chart fits a phone
MAX_LABEL_CHARS = 32
TENTH = Decimal("0.1")


def bar_chart_svg(
    bars: Sequence[tuple[str, Decimal]],
    title: str,
    value_format: Callable[[Decimal], str],
    chart_id: str = "graphique",
) -> str:
    """A horizontal bar chart, one bar per (label, value), in the given order.

    Values must be non-negative. Labels longer than MAX_LABEL_CHARS are shortened on screen
    (the full text stays in the bar's tooltip and in the description). `chart_id` makes the
    ids of <title> and <desc> unique when a page holds several charts.
    """
    if any(value < 0 for _, value in bars):
        raise ValueError("bar_chart_svg ne trace que des valeurs positives ou nulles")
    formatted = [value_format(value) for _, value in bars]
    shown_labels = [_shorten(label) for label, _ in bars]
    label_width = _text_width(max((len(s) for s in shown_labels), default=0))
    value_width = _text_width(max((len(s) for s in formatted), default=0))
    width = MARGIN + max(label_width, BAR_AREA + 6 + value_width) + MARGIN
    height = 2 * MARGIN + max(len(bars), 1) * ROW_HEIGHT
    title_id, desc_id = f"{chart_id}-titre", f"{chart_id}-description"
    description = (
        " ; ".join(f"{label} : {text}" for (label, _), text in zip(bars, formatted, strict=True)) + "."
        if bars
        else "Aucune donnée."
    )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{_id(title_id)} {_id(desc_id)}" '
        f'font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}">',
        f'<title id="{_id(title_id)}">{escape(title)}</title>',
        f'<desc id="{_id(desc_id)}">{escape(description)}</desc>',
    ]
    if not bars:
        parts.append(
            f'<text class="chart-empty" x="{MARGIN}" y="{MARGIN + ROW_HEIGHT // 2}" '
            f'dominant-baseline="middle" fill="{TEXT_FILL}">Aucune donnée</text>'
        )
    maximum = max((value for _, value in bars), default=Decimal(0))
    bar_x = MARGIN
    for index, ((label, value), shown, text) in enumerate(zip(bars, shown_labels, formatted, strict=True)):
        top = MARGIN + index * ROW_HEIGHT
        bar_top = top + LABEL_HEIGHT
        bar_middle = bar_top + BAR_HEIGHT // 2
        length = _length(value, maximum)
        parts.append(
            f'<g class="chart-row"><title>{escape(label)} : {escape(text)}</title>'
            f'<text class="chart-label" x="{bar_x}" y="{top + LABEL_HEIGHT // 2}" '
            f'dominant-baseline="middle" fill="{TEXT_FILL}">{escape(shown)}</text>'
            f'<rect class="chart-bar" x="{bar_x}" y="{bar_top}" '
            f'width="{length}" height="{BAR_HEIGHT}" fill="{BAR_FILL}"/>'
            f'<text class="chart-value" x="{_decimal_text(Decimal(bar_x) + length + 6)}" y="{bar_middle}" '
            f'dominant-baseline="middle" fill="{TEXT_FILL}">{escape(text)}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _length(value: Decimal, maximum: Decimal) -> Decimal:
    if maximum <= 0:
        return Decimal(0)
    return round_half_up(Decimal(value) * BAR_AREA / maximum, TENTH)


def _decimal_text(value: Decimal) -> str:
    return str(round_half_up(value, TENTH))


def _shorten(label: str) -> str:
    label = " ".join(label.split())
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1].rstrip() + "…"


def _text_width(chars: int) -> int:
    return int(chars * CHAR_WIDTH) + 10


def _id(value: str) -> str:
    """An id safe inside an attribute (the caller chooses it; it is still escaped)."""
    return quoteattr(value)[1:-1]
