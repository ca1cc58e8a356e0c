"""The official EN 16931 result stored with each imported invoice; a fatal finding blocks the
split, cannot be accepted with a comment, and leaves only the rejection."""

from __future__ import annotations

from pathlib import Path

from groupement.invoices.importing import import_invoice
from groupement.invoices.matching import reject_invoice, resolve_check, split_blockers
from groupement.invoices.official_findings import official_check
from groupement.invoices.states import CheckResolution, InvoiceStatus
from tests import factories

PUBLIC = Path(__file__).resolve().parents[1] / "fixtures" / "einvoices" / "public"
GOOD = (PUBLIC / "factur-x-lib" / "factur-x-en16931.xml").read_bytes()
# A unit of measure outside the code list (UN/ECE Rec. 20): the app's reader reads it, the official
# code-list rule BR-CL-23 (CEN CII rules: a CII file on its own) does not.
BAD_UNIT = GOOD.replace(b'unitCode="C62"', b'unitCode="ZZZZ"', 1)


def test_a_valid_invoice_keeps_its_official_result_and_nothing_official_blocks(database):
    invoice = import_invoice(factories.cli_actor(), "bon.xml", GOOD)
    check = official_check(invoice.id)
    assert (check.outcome, check.artefact, check.findings) == ("valid", "cen-cii", [])
    assert "BR-CO-10" in check.passed_rules and "CEN EN 16931" in check.title
    assert not [r for r in split_blockers(invoice) if r.startswith("Règle officielle")]


def test_a_fatal_official_finding_blocks_the_split_and_only_rejection_lifts_it(database):
    actor = factories.cli_actor()
    invoice = import_invoice(actor, "unite.xml", BAD_UNIT)
    check = official_check(invoice.id)
    assert check.outcome == "invalid" and [f.rule for f in check.fatal] == ["BR-CL-23"]
    assert "BR-CL-23" not in check.passed_rules
    blockers = [r for r in split_blockers(invoice) if r.startswith("Règle officielle BR-CL-23")]
    assert len(blockers) == 1 and "rejetez la facture" in blockers[0]
    # Accepting every anomaly the app raised does not lift an official one: it is not an anomaly.
    for anomaly in [c for c in invoice.checks if not c.ok and c.kind != "arithmetic"]:
        resolve_check(actor, anomaly.id, CheckResolution.ACCEPTED, "vu")
    assert any(r.startswith("Règle officielle") for r in split_blockers(invoice))
    assert reject_invoice(actor, invoice.id, "Unité de mesure hors liste officielle").status is InvoiceStatus.REJECTED
