"""The rapport d'analyse des offres as an archived PDF and as a spreadsheet: criteria and weights,
scores with their justification, ranking, the abnormally-low check, the line-by-line price
comparison and the proposal, read back from the PDF text and with openpyxl."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from groupement.core.archive import archived_documents
from groupement.core.errors import Forbidden, NotFound
from groupement.core.formatting import euros
from groupement.tenders.analysis_report import REPORT_KIND, analysis_report, archived_report_pdf, report_xlsx
from tests.integration.test_awards import build_tender
from tests.pdf_reading import pdf_text, pdf_to_png


@pytest.fixture
def tender(make, database):
    tender = build_tender(make, database)
    tender.cheap.technical_justification = "Mémoire technique complet, SAV sur site en 48 h."
    tender.dear.environmental_justification = "Reprise des emballages seulement."
    database.session.flush()
    return tender


def plain(text: str) -> str:
    """The text with its line breaks and (narrow) no-break spaces as single spaces."""
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def test_the_report_pdf_shows_weights_scores_ranking_prices_and_the_proposal(tender, database):
    document = archived_report_pdf(tender.coordinator, tender.lot.id)
    pdf_to_png(document.content, "award-analysis-report")
    text = plain(pdf_text(document.content))
    assert "Rapport d'analyse des offres" in text
    assert "60 points" in text and "30 points" in text and "10 points" in text
    assert "93,00" in text and "83,12" in text  # the weighted totals read back
    assert "57,12" in text  # the dear offer's price score: 60 × 8 314 / 8 733
    assert "Mémoire technique complet, SAV sur site en 48 h." in text
    assert "Reprise des emballages seulement." in text
    assert "Aucune offre sous le seuil de détection" in text
    # line by line: the laptop's and the screen's unit prices of both offers
    for price in ("764,10 €", "800,00 €", "110,00 €", "120,00 €"):
        assert price in text
    assert plain(euros(tender.cheap.total_ht)) in text and plain(euros(tender.dear.total_ht)) in text
    assert "Il est proposé d'attribuer le lot à Bureautique des Alpes" in text
    assert text.index("Bureautique des Alpes") < text.index("Informatique du Rhône")
    archived = archived_documents(tender.lot.campaign.groupement.coordinator_id, "lot", tender.lot.id)
    assert [doc.kind for doc in archived] == [REPORT_KIND]


def test_no_proposal_while_the_scoring_is_incomplete(tender, database):
    tender.dear.technical_score = None
    database.session.flush()
    report = analysis_report(tender.coordinator, tender.lot.id)
    assert report.proposal is None
    assert "la notation n'est pas terminée" in plain(
        pdf_text(archived_report_pdf(tender.coordinator, tender.lot.id).content)
    )


def test_an_abnormally_low_offer_is_named_in_the_report(make, tender, database):
    lines = {line.item_id: line for line in tender.lot.lines}
    make.offer(
        tender.lot,
        make.supplier(name="Casse-Prix"),
        prices={lines[tender.laptop.id]: Decimal("100.00"), lines[tender.screen.id]: Decimal("10.00")},
        technical_score=Decimal("10"),
        environmental_score=Decimal("2"),
    )
    report = analysis_report(tender.coordinator, tender.lot.id)
    assert [row.supplier_name for row in report.abnormally_low] == ["Casse-Prix"]
    text = plain(pdf_text(archived_report_pdf(tender.coordinator, tender.lot.id).content))
    assert "Casse-Prix : 1 073,00 € HT" in text  # 10 × (100 + 1) + 6 × (10 + 0,50): eco-participation included
    assert "paraît anormalement basse" in text  # ranked first, the proposal says it must be examined first


def test_the_spreadsheet_has_the_ranking_the_proposal_and_the_price_comparison(tender, database):
    workbook = load_workbook(io.BytesIO(report_xlsx(analysis_report(tender.coordinator, tender.lot.id))))
    assert workbook.sheetnames == ["Analyse des offres", "Comparaison des prix"]
    values = [cell for row in workbook["Analyse des offres"].iter_rows(values_only=True) for cell in row if cell]
    assert any(
        isinstance(v, str) and v.startswith("Il est proposé d'attribuer le lot à Bureautique des Alpes") for v in values
    )
    comparison = list(workbook["Comparaison des prix"].iter_rows(values_only=True))
    assert comparison[0][5:] == ("Bureautique des Alpes (PU HT)", "Informatique du Rhône (PU HT)")
    laptop = next(row for row in comparison if row[0] == tender.laptop.ref)
    assert laptop[3] == 10 and laptop[5:] == (Decimal("764.10"), Decimal("800.00")) or laptop[5:] == (764.1, 800)
    assert comparison[-1][0] == "Total DQE HT"
    assert [Decimal(str(v)) for v in comparison[-1][5:]] == [tender.cheap.total_ht, tender.dear.total_ht]


def test_only_the_coordinator_edits_the_report_and_another_coordinator_does_not_find_it(make, database, tender):
    with pytest.raises(Forbidden):
        archived_report_pdf(tender.accountant, tender.lot.id)
    other = build_tender(make, database)
    with pytest.raises(NotFound):
        archived_report_pdf(other.coordinator, tender.lot.id)
