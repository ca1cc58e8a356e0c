from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from groupement.core.charts import BAR_AREA, MAX_LABEL_CHARS, bar_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def euros(value: Decimal) -> str:
    """A stand-in for formatting.euros, which the domain does not import."""
    whole, cents = f"{value:.2f}".split(".")
    return f"{int(whole):,}".replace(",", "\u202f") + f",{cents}\u00a0€"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bars_of(root: ET.Element) -> list[ET.Element]:
    return root.findall(f".//{SVG}rect")


def test_the_chart_is_an_accessible_image_with_a_title_and_a_description_of_every_value():
    svg = bar_chart_svg([("Bourgoin-Jallieu", Decimal("12345.6")), ("Four", Decimal("99"))], "Montants", euros)
    root = parse(svg)

    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Montants"
    assert desc.text == "Bourgoin-Jallieu : 12\u202f345,60\u00a0€ ; Four : 99,00\u00a0€."
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_bars_keep_the_given_order_and_their_length_is_proportional_to_the_value():
    root = parse(
        bar_chart_svg(
            [("A", Decimal("200")), ("B", Decimal("100")), ("C", Decimal("0")), ("D", Decimal("50"))], "t", euros
        )
    )

    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    widths = [Decimal(rect.get("width")) for rect in bars_of(root)]
    assert labels == ["A", "B", "C", "D"]
    assert widths == [Decimal(BAR_AREA), Decimal(BAR_AREA) / 2, Decimal(0), Decimal(BAR_AREA) / 4]
    assert [rect.get("y") for rect in bars_of(root)] == sorted({rect.get("y") for rect in bars_of(root)}, key=float)


def test_values_are_written_with_the_given_french_format():
    root = parse(bar_chart_svg([("Commune", Decimal("1234.5"))], "t", euros))

    values = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-value"]
    assert values == ["1\u202f234,50\u00a0€"]


def test_labels_are_escaped_so_a_commune_name_cannot_inject_markup():
    svg = bar_chart_svg([('<script>alert("x")</script>&Cie', Decimal("1"))], 'Titre "cité" <b>', euros)

    assert "<script>" not in svg and "<b>" not in svg and "&Cie" not in svg
    root = parse(svg)  # still well-formed XML
    assert root.find(f"{SVG}title").text == 'Titre "cité" <b>'
    label = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label")
    assert label.text == '<script>alert("x")</script>&Cie'


def test_the_markup_has_no_style_attribute_that_the_content_security_policy_would_block():
    svg = bar_chart_svg([("A", Decimal("3")), ("B", Decimal("2"))], "t", euros)

    assert "style=" not in svg
    assert all(rect.get("fill") for rect in bars_of(parse(svg)))


def test_the_same_bars_always_give_the_same_bytes():
    bars = [("Commune A", Decimal("10.10")), ("Commune B", Decimal("3.33"))]

    assert bar_chart_svg(bars, "t", euros) == bar_chart_svg(list(bars), "t", euros)


def test_a_long_label_is_shortened_on_screen_but_kept_whole_in_the_tooltip():
    name = "Communauté d'agglomération Porte de l'Isère, service mutualisé des achats"
    root = parse(bar_chart_svg([(name, Decimal("5"))], "t", euros))

    label = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label")
    assert len(label.text) == MAX_LABEL_CHARS and label.text.endswith("…")
    tooltip = root.find(f"{SVG}g/{SVG}title")
    assert tooltip.text == f"{name} : 5,00\u00a0€"


def test_all_zero_values_draw_empty_bars_without_dividing_by_zero():
    root = parse(bar_chart_svg([("A", Decimal("0")), ("B", Decimal("0"))], "t", euros))

    assert [rect.get("width") for rect in bars_of(root)] == ["0", "0"]


def test_no_bars_say_there_is_no_data():
    root = parse(bar_chart_svg([], "Montants", euros))

    assert root.find(f"{SVG}desc").text == "Aucune donnée."
    assert bars_of(root) == []
    assert any(t.text == "Aucune donnée" for t in root.iter(f"{SVG}text"))


def test_two_charts_on_one_page_get_distinct_ids():
    first = parse(bar_chart_svg([("A", Decimal("1"))], "t", euros, chart_id="un"))
    second = parse(bar_chart_svg([("A", Decimal("1"))], "t", euros, chart_id="deux"))

    assert first.find(f"{SVG}title").get("id") != second.find(f"{SVG}title").get("id")


def test_a_negative_value_is_refused():
    with pytest.raises(ValueError):
        bar_chart_svg([("A", Decimal("-1"))], "t", euros)


def test_on_a_390_px_phone_the_chart_is_shown_near_its_own_size_with_readable_text():
    """Issue 16: the label-beside-bar charts were ~830 units wide, shrunk to 5 px text at 390 px.
    Stacked (label above its bar), the longest label and the largest value still fit ~360 units."""
    name = "Communauté d'agglomération Porte de l'Isère, service mutualisé des achats"
    root = parse(bar_chart_svg([(name, Decimal("1234567.89")), ("Four", Decimal("3"))], "t", euros))

    width = Decimal(root.get("viewBox").split()[2])
    phone_content = Decimal(390 - 2 * 24 - 2 * 16)  # the page and the card around the chart
    shown_font = Decimal(root.get("font-size")) * min(Decimal(1), phone_content / width)
    assert width <= 360
    assert shown_font >= 12
    label = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label")
    bar = bars_of(root)[0]
    assert Decimal(label.get("y")) < Decimal(bar.get("y"))  # the label sits above its bar
