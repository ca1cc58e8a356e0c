"""The base of signed documents: letterhead, page numbers, French figures, nothing fetched."""

from datetime import date
from decimal import Decimal

import pytest
from flask import render_template_string

from groupement.core.files.pdf import Letterhead, html_to_pdf
from tests.pdf_reading import pdf_pages_text, pdf_text, pdf_to_png

DOCUMENT = """{% extends "pdf/_document.html" %}{% block content %}
<table><thead><tr><th>Réf.</th><th class="num">Montant HT</th></tr></thead><tbody>
{% for n in range(rows) %}<tr><td>ART-{{ n }}</td><td class="num">{{ amount|euros }}</td></tr>{% endfor %}
</tbody></table>
<img src="file:///etc/hostname" alt="">
{% endblock %}"""

LETTERHEAD = Letterhead(
    name="Communauté d'agglomération Porte de l'Isère",
    address_lines=("17 avenue du Bourg", "38080 L'Isle-d'Abeau"),
    siret="20004267900017",
)


def render(app, rows: int) -> bytes:
    with app.test_request_context():
        html = render_template_string(
            DOCUMENT,
            rows=rows,
            amount=Decimal("1234.56"),
            letterhead=LETTERHEAD,
            document_title="Bon de commande",
            reference="n° 2026-0042",
            issued_on=date(2026, 11, 28),
        )
    return html_to_pdf(html)


def test_a_document_carries_the_letterhead_the_reference_and_french_figures(app):
    text = pdf_text(render(app, rows=3))
    assert "Communauté d'agglomération Porte de l'Isère" in text
    assert "SIRET 20004267900017" in text
    assert "n° 2026-0042 · le 28/11/2026" in text
    assert "1\u202f234,56\xa0€" in text or "1 234,56 €" in text.replace("\u202f", " ").replace("\xa0", " ")


def test_a_long_document_numbers_its_pages_and_repeats_the_table_header(app):
    pdf = render(app, rows=120)
    pages = pdf_pages_text(pdf)
    assert len(pages) >= 3
    assert all(f"Page {n} sur {len(pages)}" in text for n, text in enumerate(pages, 1))
    assert all("Montant HT" in text for text in pages)
    assert len(pdf_to_png(pdf, "document-base")) == len(pages)


def test_the_renderer_reads_no_file_outside_the_static_folder(app, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    fetched = []
    from groupement.core.files import pdf as pdf_module

    class Spy(pdf_module.StaticOnlyFetcher):
        def fetch(self, url, headers=None):
            fetched.append(url)
            return super().fetch(url, headers)

    html = f'<html><body><p>Texte</p><img src="{secret.as_uri()}"><img src="http://127.0.0.1:9/x.png"></body></html>'
    from weasyprint import HTML

    with_spy = HTML(string=html, base_url=pdf_module.STATIC.as_uri() + "/", url_fetcher=Spy()).write_pdf()
    assert "Texte" in pdf_text(with_spy)
    assert secret.as_uri() in fetched  # asked for, and refused: the document is written without it
    try:
        Spy().fetch(secret.as_uri())
    except Exception as refusal:  # noqa: BLE001 — WeasyPrint's URLFetchingError
        assert "ressource refusée" in str(refusal)
    else:
        raise AssertionError("a file outside static/ was served")


@pytest.mark.parametrize("subsetter", ["fonttools", "as installed"])
def test_the_same_document_rendered_a_second_later_gives_the_same_bytes(app, monkeypatch, subsetter):
    """The archive keeps a new version of a signed document only when its bytes change
    (invoices/statement_file.keep_statement_pdf): the clock must not reach them. fontTools, the
    subsetter WeasyPrint falls back on without HarfBuzz's, stamps each font with the current time."""
    import time

    from weasyprint.pdf import fonts

    if subsetter == "fonttools":
        monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    first = render(app, rows=3)
    monkeypatch.setattr(time, "time", lambda: now + 3600)
    assert render(app, rows=3) == first
