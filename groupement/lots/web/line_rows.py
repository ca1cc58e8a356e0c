"""The rows of the lots page's lines table, written in one format string per line.

The page shows 100 lines on every visit; in Jinja each row cost about 20 µs (a dozen escaped
outputs, three filters, the loop's context lookups), as much as the rest of the table. Here a row
is one format of its escaped texts (≈ 4 µs). The markup is that of the template it replaces
(templates/lots/index.html keeps the table around it): change both together.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from markupsafe import Markup, escape

from groupement.core.formatting import euros, number
from groupement.lots.page import LineRow

_ROW = (
    "<tr{row_class}>\n"
    '      <td class="select-cell">\n'
    "        {select}\n"
    "      </td>\n"
    "      <td>{designation}{excluded}</td>\n"
    "      <td>{unit}</td>\n"
    '      <td class="num">{quantity}</td>\n'
    '      <td class="num">{unit_price}</td>\n'
    '      <td class="num">{amount}</td>\n'
    "    </tr>\n    "
)
_MOVABLE = (
    '<input type="checkbox" name="line_ids" value="{id}" id="ligne-{id}" form="deplacer-lignes"{checked}>\n'
    '          <label for="ligne-{id}"><span class="visually-hidden">Sélectionner </span><code>{ref}</code></label>'
)
_FIXED = "<code>{ref}</code>"


def line_rows_markup(ticked: Collection[int]) -> Callable[[Iterable[LineRow], bool], Markup]:
    """The function the template calls with a lot's lines on the page and whether they can be
    moved (a checkbox each, ticked if in `ticked`: a refused move shows its selection again)."""

    def rows(lines: Iterable[LineRow], movable: bool) -> Markup:
        # Every text is escaped but the formatted figures: digits, separators and the euro sign,
        # never a markup character.
        written = []
        for line in lines:
            ref = escape(line.ref)
            if movable:
                select = _MOVABLE.format(id=line.id, ref=ref, checked=" checked" if line.id in ticked else "")
            else:
                select = _FIXED.format(ref=ref)
            excluded = line.excluded_reason
            written.append(
                _ROW.format(
                    row_class=' class="excluded-line"' if excluded else "",
                    select=select,
                    designation=escape(line.designation),
                    excluded=f'<br><span class="hint">Exclue : {escape(excluded)}</span>' if excluded else "",
                    unit=escape(line.unit),
                    quantity=number(line.total_quantity),
                    unit_price=euros(line.unit_price),
                    amount=euros(line.amount),
                )
            )
        return Markup("".join(written))

    return rows
