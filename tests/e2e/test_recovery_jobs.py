"""The recovery side's batch jobs through the pages, run in process by run_pending_jobs (the real
workers are in test_recovery_jobs_workers.py): « émettre les titres de toutes les factures
réparties » after a confirmation, and every commune's état de répartition of an invoice in a zip."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select, update

from groupement.core.access import Actor, Role
from groupement.core.archive import ArchivedDocument
from groupement.core.audit_log import AuditEvent
from groupement.core.jobs import Job
from groupement.core.jobs_runner import run_pending_jobs
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import import_invoice
from groupement.invoices.models import Allocation, Invoice, RecoveryTitle
from groupement.invoices.recovery import issue_recovery_titles
from groupement.invoices.splitting import split_invoice
from groupement.invoices.states import InvoiceStatus
from groupement.invoices.titles_job import CHANGED
from groupement.organisations.models import Organisation
from groupement.organisations.user_models import User
from tests.conftest import csrf_token_of
from tests.e2e.test_titles_pages import flat, words
from tests.invoicing import approve_for_split, without_prepayment
from tests.pdf_reading import pdf_text

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
# Without its 100,00 € prepayment (tests/invoicing.without_prepayment): titles bill the whole 308,03 €.
UBL = without_prepayment((SAMPLES / "ubl21_en16931_fr.xml").read_bytes())
SAMPLE_NUMBER = b"F124212"


def user_id(app, world, principal: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == world.emails[principal]))


def split_invoices(app, world, *numbers: str, communes=("commune_a", "commune_b")) -> list[int]:
    """The UBL sample under other numbers, each split equally between the communes, not titled."""
    ids = []
    with app.app_context():
        actor = Actor(user_id(app, world, "accountant"), Role.ACCOUNTANT, world.ids["capi"])
        codes = [db.session.get(Organisation, world.ids[key]).insee_code for key in communes]
        for number in numbers:
            invoice = import_invoice(actor, f"{number}.xml", UBL.replace(SAMPLE_NUMBER, number.encode()))
            approve_for_split(actor, invoice.id)
            split_invoice(actor, invoice.id, AllocationKey.EQUAL, codes)
            ids.append(invoice.id)
        db.session.commit()
    return ids


def titles_of(app, invoice_ids: list[int]) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(RecoveryTitle).where(RecoveryTitle.invoice_id.in_(invoice_ids))
        )


def confirm(client, due=None, seen=None):
    page = client.get("/factures/titres/emission").get_data(as_text=True)
    fingerprint = re.search(r'name="seen" type="hidden" value="([0-9a-f]+)"', page)
    data = {
        "csrf_token": csrf_token_of(page),
        "due_date": (due or paris_today() + timedelta(days=30)).isoformat(),
        "seen": seen if seen is not None else fingerprint.group(1),
    }
    return client.post("/factures/titres/emission", data=data)


def test_the_titles_of_every_split_invoice_are_issued_by_one_job_after_a_confirmation(app, client_as, world):
    ids = split_invoices(app, world, "F-LOT-201", "F-LOT-202")
    client = client_as("accountant")
    board = flat(client.get("/factures").get_data(as_text=True))
    assert "Émettre les titres des 2 factures réparties" in board
    page = words(client.get("/factures/titres/emission").get_data(as_text=True))
    assert "2 factures réparties sans titre" in page and "4 titres de recettes à émettre" in page
    assert "Montant total : 616,06 € TTC" in page  # twice the 308,03 € sample
    assert "Confirmer l'émission de 4 titres" in page

    first, second = confirm(client), confirm(client)  # a double click
    assert first.status_code == second.status_code == 303
    assert first.location == second.location and "/travaux/" in first.location
    assert titles_of(app, ids) == 0  # nothing before the job runs

    assert run_pending_jobs(app) >= 1
    done = flat(client.get(first.location).get_data(as_text=True))
    assert "4 titres de recettes émis pour 616,06 € sur 2 factures" in done
    assert "Télécharger titres-emis-" in done and 'href="/factures?statut=recovered">Voir les factures titrées' in done
    assert titles_of(app, ids) == 4
    with app.app_context():
        assert {db.session.get(Invoice, i).status for i in ids} == {InvoiceStatus.RECOVERED}
        # The audit names the accountant who confirmed, not the system (the job acted as them).
        actors = db.session.scalars(
            select(AuditEvent.actor_id).where(
                (AuditEvent.action == "invoice.titles") & AuditEvent.object_id.in_([str(i) for i in ids])
                | (AuditEvent.action == "invoice.titles_batch")
            )
        ).all()
    assert actors == [user_id(app, world, "accountant")] * 3  # each invoice's line, and the batch's
    sheet = load_workbook(io.BytesIO(client.get(first.location + "/resultat").data)).active
    references = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    assert sorted(references) == ["F-LOT-201", "F-LOT-201", "F-LOT-202", "F-LOT-202"]
    assert "Émettre les titres" not in flat(client.get("/factures").get_data(as_text=True))


def test_the_batch_is_not_started_when_the_invoices_changed_since_the_confirmation(app, client_as, world):
    split_invoices(app, world, "F-LOT-211")
    client = client_as("accountant")
    refused = confirm(client, seen="0" * 24)
    assert refused.status_code == 409
    page = words(refused.get_data(as_text=True))
    assert CHANGED in page
    assert "1 facture répartie sans titre" in page  # the new figures, to confirm again
    past = confirm(client, due=paris_today() - timedelta(days=1))
    assert past.status_code == 422 and "est passée" in flat(past.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_one_invoice_refused_fails_the_whole_batch_in_french_and_its_retry_issues_them(app, client_as, world):
    first, late = split_invoices(app, world, "F-LOT-221", "F-LOT-222")
    client = client_as("accountant")
    due = paris_today() + timedelta(days=10)
    started = confirm(client, due=due)
    with app.app_context():  # meanwhile the second invoice's date is corrected to after the due date
        db.session.execute(update(Invoice).where(Invoice.id == late).values(issue_date=due + timedelta(days=5)))
        db.session.commit()
    run_pending_jobs(app)
    page = flat(client.get(started.location).get_data(as_text=True))
    assert "Échec : Facture n° F-LOT-222 : La date d'échéance" in page
    assert "Aucun titre n'a été émis" in page
    assert titles_of(app, [first, late]) == 0  # the first invoice's titles were rolled back too
    with app.app_context():
        db.session.execute(update(Invoice).where(Invoice.id == late).values(issue_date=due - timedelta(days=5)))
        db.session.commit()
    retried = client.post(started.location + "/relancer", data={"csrf_token": csrf_token_of(page)})
    assert retried.status_code == 303 and retried.location != started.location
    run_pending_jobs(app)
    assert titles_of(app, [first, late]) == 4


def test_an_invoice_titled_by_hand_meanwhile_is_left_as_it_is_and_named(app, client_as, world):
    by_hand, other = split_invoices(app, world, "F-LOT-231", "F-LOT-232")
    client = client_as("accountant")
    started = confirm(client)
    with app.app_context():
        actor = Actor(user_id(app, world, "accountant"), Role.ACCOUNTANT, world.ids["capi"])
        issue_recovery_titles(actor, by_hand, paris_today() + timedelta(days=20))
        db.session.commit()
    run_pending_jobs(app)
    page = flat(client.get(started.location).get_data(as_text=True))
    assert "2 titres de recettes émis pour 308,03 € sur 1 facture" in page
    assert "laissées telles quelles : n° F-LOT-231 (titres émis)" in page
    assert titles_of(app, [by_hand]) == 2 and titles_of(app, [other]) == 2  # never twice


def test_the_titles_batch_is_the_coordinator_side_s_own(app, client_as, world):
    split_invoices(app, world, "F-LOT-241")
    started = confirm(client_as("accountant"))
    run_pending_jobs(app)
    for principal in ("other_accountant", "other_coordinator"):
        other = client_as(principal)
        assert other.get(started.location).status_code == 404
        assert other.get(started.location + "/resultat").status_code == 404
        assert "1 facture répartie" not in words(other.get("/factures/titres/emission").get_data(as_text=True))
    assert client_as("agent_a").get("/factures/titres/emission").status_code == 403
    assert client_as("coordinator").get(started.location + "/resultat").status_code == 200


# --- the statements of an invoice -----------------------------------------------------------------


def archived_statements(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(ArchivedDocument).where(ArchivedDocument.kind == "etat_de_repartition")
        )


def start_statements(client, invoice_id: int):
    page = client.get("/factures").get_data(as_text=True)
    return client.post(f"/factures/{invoice_id}/etats", data={"csrf_token": csrf_token_of(page)})


def test_every_commune_s_statement_comes_in_one_zip_archived_once_and_certified_by_the_accountant(
    app, client_as, world
):
    client = client_as("accountant")
    invoice_id = world.ids["invoice"]
    assert "Tous les états de répartition (PDF, en un zip)" in client.get(f"/factures/{invoice_id}").get_data(
        as_text=True
    )
    first, second = start_statements(client, invoice_id), start_statements(client, invoice_id)
    assert first.status_code == 303 and first.location == second.location
    assert archived_statements(app) == 0
    run_pending_jobs(app)
    page = flat(client.get(first.location).get_data(as_text=True))
    assert "2 états de répartition (PDF) de la facture n° F124212" in page
    assert f'href="/factures/{invoice_id}#repartition">Voir la facture' in page
    download = client.get(first.location + "/resultat")
    assert download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        names = archive.namelist()
        text = pdf_text(archive.read(names[0]))
    assert len(names) == 2 and all(name.startswith("etat-repartition-f124212-") for name in names)
    with app.app_context():
        accountant = db.session.get(User, user_id(app, world, "accountant"))
        assert accountant.name in text  # « certifié exact » by the user who started the job
        authors = set(
            db.session.scalars(
                select(ArchivedDocument.created_by_id).where(ArchivedDocument.kind == "etat_de_repartition")
            )
        )
    assert archived_statements(app) == 2 and authors == {accountant.id}

    again = start_statements(client, invoice_id)  # the first is over: a new job
    assert again.location != first.location
    run_pending_jobs(app)
    assert archived_statements(app) == 2  # the same PDFs are not archived twice


def test_an_invoice_not_split_has_no_statements_job(app, client_as, world):
    with app.app_context():
        actor = Actor(None, Role.ACCOUNTANT, world.ids["capi"])
        invoice = import_invoice(actor, "f.xml", UBL.replace(SAMPLE_NUMBER, b"F-NON-REPARTIE"))
        db.session.commit()
        invoice_id = invoice.id
    client = client_as("accountant")
    refused = start_statements(client, invoice_id)
    assert refused.status_code == 302
    assert "pas encore répartie" in flat(client.get(refused.location).get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
        assert (
            db.session.scalar(select(func.count()).select_from(Allocation).where(Allocation.invoice_id == invoice_id))
            == 0
        )
    other = client_as("other_accountant")
    assert start_statements(other, world.ids["invoice"]).status_code == 404
