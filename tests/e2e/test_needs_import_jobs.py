"""Large needs imports as jobs (campaigns/needs_import_job.py) over HTTP: the upload's POST returns at
once with the job's page, a double click is one job, the preview is shown when the check is done,
the confirmation is a job too, all or nothing; a refused file fails in French naming its row and
column, writes nothing and can be retried; the jobs are the agent's own (404 for anyone else)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from groupement.campaigns.grid import NeedEntry, save_needs
from groupement.campaigns.models import NeedLine, PendingUpload, ReceivedNeedsFile
from groupement.core.audit_log import AuditEvent
from groupement.core.jobs import Job, JobState
from groupement.core.jobs_runner import queue, run_pending_jobs
from groupement.core.transaction import unit_of_work
from groupement.extensions import db
from groupement.organisations.user_models import User
from tests.conftest import csrf_token_of
from tests.e2e.test_needs_grid_http import grid_path


@pytest.fixture
def every_import_a_job(app, monkeypatch):
    monkeypatch.setitem(app.config, "NEEDS_IMPORT_JOB_BYTES", 0)
    monkeypatch.setitem(app.config, "NEEDS_IMPORT_JOB_CHANGES", 0)
    # The queue is the test app's, shared with earlier tests that started jobs without running
    # them: emptied first, so that the counts below are this test's tasks.
    with app.app_context():
        queue().huey.flush()


def workbook(client, world, quantity) -> bytes:
    """The commune's downloaded file with its one line's quantity typed in."""
    book = load_workbook(io.BytesIO(client.get(f"{grid_path(world)}/export.xlsx").data))
    sheet = book["Besoins"]
    header = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Référence")
    column = [cell.value for cell in sheet[header]].index("Quantité") + 1
    sheet.cell(row=header + 1, column=column).value = quantity
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, world, content: bytes):
    page = client.get(f"{grid_path(world)}/import").get_data(as_text=True)
    return client.post(
        f"{grid_path(world)}/import",
        data={"csrf_token": csrf_token_of(page), "file": (io.BytesIO(content), "besoins-a.xlsx")},
        content_type="multipart/form-data",
    )


def quantity_of(app, world) -> int:
    with app.app_context():
        # Commune A's line: commune B has one for the same item, and PostgreSQL returns rows in no
        # set order once they have been updated.
        return db.session.scalar(
            select(NeedLine.quantity).where(
                NeedLine.item_id == world.ids["item"], NeedLine.submission_id == world.ids["submission_a"]
            )
        )


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def job_of(app, location: str) -> Job:
    with app.app_context():
        return db.session.get(Job, int(location.rstrip("/").rsplit("/", 1)[-1]))


def test_a_large_file_is_checked_then_confirmed_by_jobs_each_started_once(app, client_as, world, every_import_a_job):
    client = client_as("agent_a")
    content = workbook(client, world, 8)
    started = upload(client, world, content)
    assert started.status_code == 303 and "/travaux/" in started.location
    assert upload(client, world, content).location == started.location  # a double click: the same job
    assert count(app, ReceivedNeedsFile) == 1 and quantity_of(app, world) == 3
    assert "En attente" in client.get(started.location).get_data(as_text=True)

    assert run_pending_jobs(app) == 1
    page = client.get(started.location).get_data(as_text=True)
    assert "Terminé" in page and "Le fichier ne contient aucune erreur : 1 ligne modifiée" in page
    preview_url = job_of(app, started.location).result_url
    assert preview_url.startswith(f"{grid_path(world)}/import/") and f'href="{preview_url}"' in page
    assert count(app, ReceivedNeedsFile) == 0 and quantity_of(app, world) == 3  # checked, nothing applied yet
    preview = client.get(preview_url).get_data(as_text=True)
    assert "Vérifier l'import avant enregistrement" in preview

    token = csrf_token_of(preview)
    confirming = client.post(f"{preview_url}/confirmer", data={"csrf_token": token})
    assert confirming.status_code == 303 and "/travaux/" in confirming.location
    assert client.post(f"{preview_url}/confirmer", data={"csrf_token": token}).location == confirming.location
    assert quantity_of(app, world) == 3
    assert run_pending_jobs(app) == 1
    done = client.get(confirming.location).get_data(as_text=True)
    assert "Import confirmé : 1 ligne enregistrée." in done
    assert quantity_of(app, world) == 8
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "needs.import")) == 1
    back = client.get(preview_url)  # the browser's Back button after the confirmation
    assert back.status_code == 200 and "Cet import est déjà confirmé" in back.get_data(as_text=True)
    again = client.post(f"{preview_url}/confirmer", data={"csrf_token": token})
    assert again.status_code == 302 and again.location.endswith(preview_url)
    assert run_pending_jobs(app) == 0 and quantity_of(app, world) == 8


def test_a_refused_file_fails_its_job_in_french_naming_the_row_and_column_and_writes_nothing(
    app, client_as, world, every_import_a_job
):
    client = client_as("agent_a")
    uploads_before = count(app, PendingUpload)
    started = upload(client, world, workbook(client, world, "douze"))
    run_pending_jobs(app)
    page = client.get(started.location).get_data(as_text=True)
    assert "Échec : Import refusé : 1 erreur, rien n&#39;a été enregistré." in page
    assert "besoins-a.xlsx, ligne 9, colonne « Quantité » : « douze » n&#39;est pas un nombre entier" in page
    assert count(app, PendingUpload) == uploads_before and quantity_of(app, world) == 3
    # The retry reads the kept file again: the same refusal, still nothing written.
    retried = client.post(f"{started.location}/relancer", data={"csrf_token": csrf_token_of(page)})
    assert retried.status_code == 303
    run_pending_jobs(app)
    assert job_of(app, retried.location).state is JobState.FAILED
    assert count(app, ReceivedNeedsFile) == 1 and count(app, PendingUpload) == uploads_before


def test_a_confirmation_job_meeting_a_colleagues_change_fails_and_writes_nothing(
    app, client_as, world, every_import_a_job
):
    client = client_as("agent_a")
    started = upload(client, world, workbook(client, world, 8))
    run_pending_jobs(app)
    preview_url = job_of(app, started.location).result_url
    with app.app_context(), unit_of_work():  # a colleague saves the same line in the grid meanwhile
        agent = db.session.scalar(select(User).where(User.email == world.emails["agent_a"]))
        save_needs(agent.actor, world.ids["campaign"], [NeedEntry(world.ids["item"], 4, "", 1)])
    token = csrf_token_of(client.get(preview_url).get_data(as_text=True))
    confirming = client.post(f"{preview_url}/confirmer", data={"csrf_token": token})
    run_pending_jobs(app)
    page = client.get(confirming.location).get_data(as_text=True)
    assert "Échec" in page and "modifiée entre-temps" in page and "rien n&#39;a été enregistré" in page
    assert quantity_of(app, world) == 4
    with app.app_context():
        upload_id = int(preview_url.rsplit("/", 1)[-1])
        assert db.session.get(PendingUpload, upload_id) is not None  # still there: the preview explains


def test_an_import_job_is_the_agents_own(app, client_as, world, every_import_a_job):
    started = upload(client_as("agent_a"), world, workbook(client_as("agent_a"), world, 8))
    for principal in ("agent_b", "signatory_a", "coordinator"):
        assert client_as(principal).get(started.location).status_code == 404, principal
    run_pending_jobs(app)
    preview_url = job_of(app, started.location).result_url
    assert client_as("agent_b").get(preview_url).status_code == 404


def test_a_small_file_is_still_checked_at_once_without_a_job(app, client_as, world):
    client = client_as("agent_a")
    response = upload(client, world, workbook(client, world, 8))
    assert response.status_code == 302 and f"{grid_path(world)}/import/" in response.location
    assert count(app, Job) == 0


def test_a_large_file_that_changes_nothing_ends_its_job_saying_so(app, client_as, world, every_import_a_job):
    client = client_as("agent_a")
    uploads_before = count(app, PendingUpload)
    started = upload(client, world, workbook(client, world, 3))  # the quantity already saved
    run_pending_jobs(app)
    page = client.get(started.location).get_data(as_text=True)
    assert "Terminé" in page and "Le fichier ne change aucune quantité ni aucun commentaire" in page
    assert count(app, PendingUpload) == uploads_before and count(app, ReceivedNeedsFile) == 0
