"""Invoices imported before the official EN 16931 rules ran at import are re-checked by
`groupement invoice recheck-official` (the kept PDF is checked; an XML that was not kept gets a
check that says why), each result audited; the accountant's home counts the invoices a fatal
official rule blocks, with a link to the board filtered on them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from groupement.core.access import Role
from groupement.core.audit_log import AuditEvent
from groupement.dashboard.accountant_tasks import accountant_tasks
from groupement.invoices.board_page import invoice_board
from groupement.invoices.einvoice.official_rules import INVALID, Finding, OfficialResult
from groupement.invoices.importing import import_invoice
from groupement.invoices.official_findings import OfficialCheck, OfficialFinding, official_check, record

PUBLIC = Path(__file__).resolve().parents[1] / "fixtures" / "einvoices" / "public"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"


@pytest.fixture
def capi(make, database):
    coordinator = make.coordinator()
    other = make.coordinator(name="Autre EPCI", siren="200066793", siret=None)
    accountant = make.user(Role.ACCOUNTANT, coordinator)
    other_accountant = make.user(Role.ACCOUNTANT, other)
    database.session.commit()
    return {"actor": accountant.actor, "user": accountant, "other": other_accountant.actor}


def _forget_official_checks(database) -> None:
    """As before the official rules ran at import: no check stored."""
    database.session.execute(delete(OfficialFinding))
    database.session.execute(delete(OfficialCheck))
    database.session.commit()


def test_the_command_checks_the_kept_pdf_and_says_why_an_xml_was_not_checked(app, capi, database):
    actor = capi["actor"]
    pdf = import_invoice(actor, "facturx.pdf", (PUBLIC / "factur-x-lib" / "invoice_EN16931.pdf").read_bytes())
    xml = import_invoice(actor, "ubl.xml", (FIXTURES / "ubl21_en16931_fr.xml").read_bytes())
    database.session.commit()
    _forget_official_checks(database)

    result = app.test_cli_runner().invoke(args=["invoice", "recheck-official", "--coordinateur", "243800604"])
    assert result.exit_code == 0, result.output
    assert "2 facture(s) contrôlée(s) selon les règles officielles EN 16931." in result.output
    assert "1 conforme(s)" in result.output and "1 non contrôlée(s)" in result.output

    assert (official_check(pdf.id).outcome, official_check(pdf.id).artefact) == ("valid", "fx-en16931")
    assert official_check(xml.id).outcome == "unavailable"
    assert "« ubl.xml » importé avant ce contrôle n'a pas été conservé" in official_check(xml.id).message
    audited = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice.official_recheck")).all()
    assert sorted(int(e.object_id) for e in audited) == sorted([pdf.id, xml.id])

    again = app.test_cli_runner().invoke(args=["invoice", "recheck-official", "--coordinateur", "243800604"])
    assert "0 facture(s) contrôlée(s)" in again.output  # each invoice once


def test_another_coordinators_invoices_are_left_alone(capi, database):
    from groupement.invoices.official_recheck import recheck_official

    import_invoice(capi["actor"], "ubl.xml", (FIXTURES / "ubl21_en16931_fr.xml").read_bytes())
    database.session.commit()
    _forget_official_checks(database)
    assert recheck_official(capi["other"]).checked == 0
    assert recheck_official(capi["actor"]).checked == 1


def test_the_accountant_home_counts_the_invoices_a_fatal_official_rule_blocks(app, capi, database):
    actor = capi["actor"]
    invoice = import_invoice(actor, "ubl.xml", (FIXTURES / "ubl21_en16931_fr.xml").read_bytes())
    database.session.execute(delete(OfficialFinding))
    database.session.execute(delete(OfficialCheck))
    record(
        invoice.id,
        OfficialResult(INVALID, "cen-ubl", findings=(Finding("BR-CO-10", "fatal", "/Invoice", "Sum of Invoice line"),)),
    )
    database.session.commit()

    [task] = [t for t in accountant_tasks(actor, date(2026, 12, 3)) if t.kind == "officially_blocked"]
    assert (task.count, task.label) == (1, "1 facture bloquée par une règle officielle EN 16931")
    assert task.params == {"officiel": "bloquee"}
    other_tasks = [t for t in accountant_tasks(capi["other"], date(2026, 12, 3)) if t.kind == "officially_blocked"]
    assert all(t.count == 0 for t in other_tasks)

    with app.test_request_context("/factures?officiel=bloquee"):
        assert [i.id for i in invoice_board(actor, official_blocked=True).invoices.items] == [invoice.id]
        assert invoice_board(actor).invoices.total == 1
        assert invoice_board(capi["other"], official_blocked=True).invoices.items == []
