"""The batch intake pages: a zip uploaded, imported by a job run in process, its report shown on
the batch page and downloaded as .xlsx; a crafted zip refused with nothing stored; the template."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from groupement.core.jobs_runner import run_pending_jobs
from groupement.extensions import db
from groupement.invoices.models import InvoiceBatch
from tests.conftest import csrf_token_of

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "ubl21_en16931_fr.xml"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo("x")
            info.filename = name
            archive.writestr(info, content)
    return buffer.getvalue()


def _post(client, content: bytes, name: str = "chorus.zip"):
    token = csrf_token_of(client.get("/factures/lots").get_data(as_text=True))
    return client.post(
        "/factures/lots",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _batches(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(InvoiceBatch))


def test_a_zip_is_imported_by_a_job_and_its_report_is_shown_and_downloadable(app, client_as, world):
    client = client_as("accountant")
    assert "Import par lot (.zip)" in client.get("/factures").get_data(as_text=True)
    started = _post(client, _zip({"deja-importee.xml": SAMPLE.read_bytes(), "casse.xml": b"<pas une facture"}))
    assert started.status_code == 303 and "/travaux/" in started.location
    assert run_pending_jobs(app) >= 1
    job_page = client.get(started.location).get_data(as_text=True)
    assert "Terminé" in job_page and "Télécharger rapport-lot-" in job_page
    with app.app_context():
        batch_id = db.session.scalar(select(func.max(InvoiceBatch.id)))
    # The job's page links to the batch's report page, beside the download (the kind's result page).
    assert f'href="/factures/lots/{batch_id}">Voir le rapport du lot</a>' in job_page
    assert 'href="/factures/lots">Retour à la page d\'origine' in job_page
    page = client.get(f"/factures/lots/{batch_id}").get_data(as_text=True)
    assert "doublon" in page and "refusée" in page and "deja-importee.xml" in page
    assert "Télécharger le rapport (Excel)" in page
    report = client.get(started.location + "/resultat")
    assert report.status_code == 200
    rows = list(load_workbook(io.BytesIO(report.data)).active.iter_rows(min_row=2, values_only=True))
    assert sorted(row[1] for row in rows) == ["doublon", "refusée"]
    assert "chorus.zip" in client.get("/factures/lots").get_data(as_text=True)
    # Another coordinator's accountant finds neither the batch nor its report.
    assert client_as("other_accountant").get(f"/factures/lots/{batch_id}").status_code == 404


def test_a_crafted_zip_is_refused_on_the_page_with_nothing_stored(app, client_as, world):
    client = client_as("accountant")
    before = _batches(app)
    refused = _post(client, _zip({"../../etc/passwd": b"x", "/abs.xml": b"<x/>"}))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "remonte hors de l&#39;archive" in page and "chemin absolu" in page
    assert _post(client, b"%PDF-1.7 pas un zip", "lot.zip").status_code == 422
    wrong_kind = _post(client, b"PK", "lot.pdf")
    assert wrong_kind.status_code == 422 and "Une archive .zip est attendue" in wrong_kind.get_data(as_text=True)
    assert _batches(app) == before


def test_the_invoice_template_downloads_with_the_communes_codes(client_as, world):
    response = client_as("coordinator").get("/factures/modele.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Facture", "Instructions", "Communes"]
    assert workbook["Facture"]["A1"].value == "Numéro facture"
    assert workbook["Communes"].max_row >= 3  # the header and the world's communes
