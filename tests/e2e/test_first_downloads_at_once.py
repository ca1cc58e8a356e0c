"""A document archived at its first download (état de répartition, état des besoins, bon de
commande): two first downloads at once both get the PDF and archive it once, on both databases.
On SQLite the second used to meet "database is locked" (a reading transaction cannot wait to
write): such GET routes are marked transaction.writes_on_get and begin as writers."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from groupement.core.archive import ArchivedDocument
from groupement.extensions import db


@pytest.mark.real_commits
def test_two_first_downloads_of_a_statement_at_once_both_get_it_and_archive_it_once(app, client_as, world):
    path = f"/factures/{world.ids['invoice']}/communes/{world.ids['commune_a']}/etat.pdf"
    clients = [client_as("accountant") for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    responses: list = [None] * len(clients)

    def download(index: int) -> None:
        barrier.wait(timeout=30)
        try:
            responses[index] = clients[index].get(path)
        except Exception as error:  # "database is locked" surfaces here without the mark
            responses[index] = error

    threads = [threading.Thread(target=download, args=(i,), daemon=True) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert [getattr(r, "status_code", r) for r in responses] == [200] * len(clients)
    assert all(r.data.startswith(b"%PDF") for r in responses)
    assert len({r.data for r in responses}) == 1
    with app.app_context():
        archived = db.session.scalar(
            select(func.count())
            .select_from(ArchivedDocument)
            .where(
                ArchivedDocument.object_type == "allocation",
                ArchivedDocument.object_id == str(world.ids["allocation_a"]),
            )
        )
    assert archived == 1


def test_the_routes_that_archive_at_first_download_are_marked_as_writing(app):
    marked = {name for name, view in app.view_functions.items() if getattr(view, "writes_on_get", False)}
    assert marked == {
        "invoices.statement_pdf_file",
        "orders.pdf",
        "campaigns.commune_needs_pdf",
        "needs.validated_pdf",
    }
