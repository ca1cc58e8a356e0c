"""The preview of a large needs import in pages (issue 14): at 5 000 changed lines the page stays
under 300 KB, says how many lines the file changes and where the page stands, page 2 shows the
next lines, a line changed meanwhile by a colleague is listed first; the confirmation (a job, as
the route starts it for such a file) applies every line of the file, not only a page's."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from groupement.campaigns.grid import NeedEntry, save_needs
from groupement.campaigns.line_audit import IMPORT_ACTION
from groupement.campaigns.models import CampaignItem, NeedLine
from groupement.campaigns.web.needs.upload import PREVIEW_PAGE_SIZE
from groupement.catalog.models import CatalogItem
from groupement.catalog.rules import search_key
from groupement.core.audit_log import AuditEvent
from groupement.core.jobs_runner import queue, run_pending_jobs
from groupement.core.transaction import unit_of_work
from groupement.extensions import db
from groupement.organisations.families import Family
from groupement.organisations.user_models import User
from tests.conftest import csrf_token_of
from tests.e2e.test_needs_grid_http import grid_path
from tests.e2e.test_needs_import_jobs import job_of, upload

LINES = 5_000
MAX_PAGE_BYTES = 300_000


@pytest.fixture
def big_grid(app, world):
    """The world's campaign with 5 000 more items, none in commune A's needs yet."""
    with app.app_context():
        queue().huey.flush()  # earlier tests' tasks: run_pending_jobs below runs this test's only
        rows = [
            {
                "ref": f"BIG-{n:04d}",
                "designation": f"Cahier grand format {n}",
                "family": Family.INFORMATIQUE,
                "cpv_code": "30237410-6",
                "unit": "unité",
                "unit_price_ht": Decimal("2.50"),
                "vat_rate": Decimal("20.00"),
                "eco_participation": Decimal("0"),
                "account": "2183",
                "active": True,
            }
            for n in range(LINES)
        ]
        for row in rows:
            row["search_key"] = search_key(f"{row['designation']} {row['ref']}")
        ids = db.session.scalars(insert(CatalogItem).returning(CatalogItem.id), rows).all()
        db.session.execute(
            insert(CampaignItem), [{"campaign_id": world.ids["campaign"], "item_id": item_id} for item_id in ids]
        )
        db.session.commit()
    return world


def every_line_filled(client, world) -> bytes:
    """The downloaded file with a quantity typed on each of the 5 000 new lines (n % 9 + 1)."""
    book = load_workbook(io.BytesIO(client.get(f"{grid_path(world)}/export.xlsx").data))
    sheet = book["Besoins"]
    header = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Référence")
    column = [cell.value for cell in sheet[header]].index("Quantité") + 1
    for (ref,) in sheet.iter_rows(min_row=header + 1, max_col=1):
        if isinstance(ref.value, str) and ref.value.startswith("BIG-"):
            sheet.cell(row=ref.row, column=column).value = int(ref.value[4:]) % 9 + 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def shown_refs(page: str) -> list[str]:
    return re.findall(r"<td><code>(BIG-\d{4})</code></td>", page)


def checked_preview(app, client, world) -> str:
    """Upload the filled file (checked by a job: it is large) and return the preview's URL."""
    started = upload(client, world, every_line_filled(client, world))
    assert started.status_code == 303
    run_pending_jobs(app)
    return job_of(app, started.location).result_url


def test_a_5000_line_preview_comes_in_small_pages_and_the_confirmation_applies_every_line(app, client_as, big_grid):
    client = client_as("agent_a")
    preview_url = checked_preview(app, client, big_grid)
    first = client.get(preview_url)
    page = first.get_data(as_text=True)
    assert len(first.data) < MAX_PAGE_BYTES
    assert shown_refs(page) == [f"BIG-{n:04d}" for n in range(PREVIEW_PAGE_SIZE)]
    assert "1–100 sur 5\u202f000 lignes modifiées" in page and "Page 1 sur 50" in page
    assert "0 ligne modifiée, 5000 ajoutées, 0 remise à zéro" in page  # the whole file's counts
    assert "Total estimé après" in page and "65\u202f022,00\xa0€" in page  # 24 990 × 2,50 € + 3 × 849,00 €
    second = client.get(f"{preview_url}?page=2").get_data(as_text=True)
    assert shown_refs(second) == [f"BIG-{n:04d}" for n in range(PREVIEW_PAGE_SIZE, 2 * PREVIEW_PAGE_SIZE)]
    last = client.get(f"{preview_url}?page=50").get_data(as_text=True)
    assert shown_refs(last)[-1] == "BIG-4999" and "Suivante" not in last

    confirming = client.post(f"{preview_url}/confirmer", data={"csrf_token": csrf_token_of(page)})
    assert confirming.status_code == 303  # 5 000 lines: a job
    run_pending_jobs(app)
    assert "Import confirmé : 5000 lignes enregistrées" in client.get(confirming.location).get_data(as_text=True)
    with app.app_context():
        saved = db.session.execute(
            select(CatalogItem.ref, NeedLine.quantity)
            .join(NeedLine, NeedLine.item_id == CatalogItem.id)
            .where(NeedLine.submission_id == big_grid.ids["submission_a"], CatalogItem.ref.like("BIG-%"))
        ).all()
        assert dict(saved) == {f"BIG-{n:04d}": n % 9 + 1 for n in range(LINES)}
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == IMPORT_ACTION).order_by(AuditEvent.id.desc())
        )
        assert event.after["lines"] == LINES and len(event.after["changes"]) == LINES


def test_a_line_changed_meanwhile_is_listed_first_and_the_confirmation_is_not_offered(app, client_as, big_grid):
    client = client_as("agent_a")
    preview_url = checked_preview(app, client, big_grid)
    with app.app_context(), unit_of_work():  # a colleague saves the file's last line in the grid meanwhile
        agent = db.session.scalar(select(User).where(User.email == big_grid.emails["agent_a"]))
        last = db.session.scalar(select(CatalogItem.id).where(CatalogItem.ref == "BIG-4999"))
        save_needs(agent.actor, big_grid.ids["campaign"], [NeedEntry(last, 4, "", 0)])
    page = client.get(preview_url).get_data(as_text=True)
    assert shown_refs(page)[:2] == ["BIG-4999", "BIG-0000"]
    assert page.count('class="row-error"') == 1
    words = " ".join(page.split())
    assert "1 ligne a été modifiée par une autre personne" in words and "Confirmer et enregistrer" not in page
    with app.app_context():
        count = select(func.count()).select_from(NeedLine).where(NeedLine.submission_id == big_grid.ids["submission_a"])
        assert db.session.scalar(count) == 2  # the world's line and the colleague's: nothing imported
