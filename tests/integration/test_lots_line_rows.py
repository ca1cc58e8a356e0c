# ruff: noqa: E501  (the template loop is quoted as it was, one line per template line)
"""The lots page's line rows, written by lots/web/line_rows.py in one format string per line, are the
markup the template's loop wrote: same elements, attributes and texts, escaped the same way."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from groupement.lots.page import LineRow
from groupement.lots.web.line_rows import line_rows_markup

# The loop templates/lots/index.html held before the rows moved to Python, as it was.
TEMPLATE_LOOP = """{% for line in lines %}
    <tr{% if line.excluded_reason %} class="excluded-line"{% endif %}>
      <td class="select-cell">
        {% if movable %}
          <input type="checkbox" name="line_ids" value="{{ line.id }}" id="ligne-{{ line.id }}" form="deplacer-lignes"{% if line.id in ticked_lines %} checked{% endif %}>
          <label for="ligne-{{ line.id }}"><span class="visually-hidden">Sélectionner </span><code>{{ line.ref }}</code></label>
        {% else %}<code>{{ line.ref }}</code>{% endif %}
      </td>
      <td>{{ line.designation }}{% if line.excluded_reason %}<br><span class="hint">Exclue : {{ line.excluded_reason }}</span>{% endif %}</td>
      <td>{{ line.unit }}</td>
      <td class="num">{{ line.total_quantity|nombre }}</td>
      <td class="num">{{ line.unit_price|euros }}</td>
      <td class="num">{{ line.amount|euros }}</td>
    </tr>
    {% endfor %}"""

LINES = [
    LineRow(7, 1, "INF-001", "Écran 24 pouces", "unité", 1234, Decimal("149.9000"), Decimal("184976.60"), None),
    LineRow(8, 1, "R&D <1>", 'Câble "HDMI" & adaptateur d\'écran', "lot", 0, Decimal("0.0050"), Decimal("0.00"), None),
    LineRow(
        9, 1, "PAP-A4", "Ramette A4", "paquet", 3, Decimal("4.2000"), Decimal("12.60"), "Hors <marché> & « doublon »"
    ),
]


def spaces(html: str) -> str:
    return re.sub(r"\s+", " ", str(html)).strip()


@pytest.mark.parametrize("movable", [True, False])
@pytest.mark.parametrize("ticked", [set(), {8, 9}])
def test_the_rows_are_the_markup_the_template_loop_wrote(app, movable, ticked):
    with app.app_context():
        expected = app.jinja_env.from_string(TEMPLATE_LOOP).render(lines=LINES, movable=movable, ticked_lines=ticked)
    written = line_rows_markup(ticked)(LINES, movable)
    assert spaces(written) == spaces(expected)


def test_texts_are_escaped_and_the_ticked_lines_checked():
    written = str(line_rows_markup({8})(LINES, True))
    assert "<code>R&amp;D &lt;1&gt;</code>" in written
    assert "Exclue : Hors &lt;marché&gt; &amp; « doublon »" in written
    assert 'value="8" id="ligne-8" form="deplacer-lignes" checked>' in written
    assert 'value="7" id="ligne-7" form="deplacer-lignes">' in written
    assert "<input" not in str(line_rows_markup({8})(LINES, False))


SELECTS = (
    '{% from "_macros.html" import field %}{% from "lots/_selects.html" import lot_select %}'
    "{{ field(f) }}@@{{ lot_select(f) }}"
)


@pytest.mark.parametrize(
    "posted",
    [
        None,
        {},
        {"target": "2", "source_lot_id": "1", "target_lot_id": "1"},
        {"target": "nouveau", "source_lot_id": "x"},
    ],
)
def test_the_lot_selects_are_the_markup_field_wrote_in_every_state(app, posted):
    """A fresh form, and refused ones (nothing chosen, a choice kept, an invalid one): same select."""
    from werkzeug.datastructures import MultiDict
    from wtforms import SelectChoice

    from groupement.lots.web.forms import NEW_LOT, MergeForm, MoveForm

    choices = [SelectChoice(lot_id, f"Lot {lot_id} — Papier & « enveloppes » d'été") for lot_id in (1, 2, 3)]
    with app.test_request_context("/", method="POST"):
        formdata = None if posted is None else MultiDict(posted)
        move, merge = (
            MoveForm(formdata=formdata, meta={"csrf": False}),
            MergeForm(formdata=formdata, meta={"csrf": False}),
        )
        move.target.choices = [SelectChoice("", "Choisissez…"), *choices, SelectChoice(NEW_LOT, "Nouveau lot")]
        merge.source_lot_id.choices = merge.target_lot_id.choices = [SelectChoice("", "Choisissez…"), *choices]
        if posted is not None:
            move.validate(), merge.validate()
        template = app.jinja_env.from_string(SELECTS)
        for select in (move.target, merge.source_lot_id, merge.target_lot_id):
            by_field, by_macro = template.render(f=select).split("@@")
            assert spaces(by_macro) == spaces(by_field), select.name
            assert ('aria-invalid="true"' in by_macro) == bool(select.errors)
        if posted == {}:
            assert move.target.errors and merge.source_lot_id.errors  # the refused state is exercised
