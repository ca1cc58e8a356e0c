"""The coordinator's award of a formal procedure in a real Chromium: record the rejection letters'
sending, download a letter, see the notification refused before the end of the standstill and
accepted after it, edit the notification letter. axe-core on the award page at 1366 px and 390 px."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.lots.edits import publish_lot, set_lot_parameters
from groupement.lots.models import Lot
from groupement.organisations.user_models import User
from groupement.tenders.models import AwardCriteria
from tests import factories
from tests.e2e.browser import log_in, screenshot
from tests.pdf_reading import pdf_text

pytestmark = pytest.mark.browser
SERIOUS = {"serious", "critical"}
D = Decimal


@pytest.fixture
def formal_lot(app, world, live_server):
    """The world's lot 1 with a maximum above the European thresholds (open call for tenders),
    published, criteria 60/30/10, two scored offers: Alpes Bureautique ranked first."""
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == world.emails["coordinator"])).actor
        lot = db.session.get(Lot, world.ids["lot"])
        set_lot_parameters(coordinator, lot.id, lot.duration_months, lot.margin_percent, D("300000"), None)
        publish_lot(coordinator, lot.id)
        db.session.add(
            AwardCriteria(lot_id=lot.id, price_weight=D(60), technical_weight=D(30), environmental_weight=D(10))
        )
        factories.offer(
            lot, factories.supplier(name="Alpes Bureautique"), technical_score=D("25"), environmental_score=D("8")
        )
        factories.offer(
            lot,
            factories.supplier(name="Rhône Informatique"),
            prices={line: line.estimated_unit_price for line in lot.lines},
            technical_score=D("20"),
            environmental_score=D("6"),
        )
        db.session.commit()
        return lot.id


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    return [
        f"{violation['id']} ({violation['impact']}) : {violation['nodes'][0]['target'] if violation['nodes'] else '?'}"
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in SERIOUS
    ]


def audit_both_widths(page, name: str) -> list[str]:
    found = []
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        found += [f"{width} px {v}" for v in serious_violations(page)]
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 900})
    return found


def test_the_coordinator_sends_the_rejections_waits_for_the_standstill_and_notifies(
    live_server, page, world, formal_lot
):
    log_in(page, live_server, world.emails["coordinator"], factories.PASSWORD)
    page.goto(f"{live_server.url}/lots/{formal_lot}/attribution")
    violations = audit_both_widths(page, "attribution-avant-rejets")
    assert page.locator("#attente-rejets").is_visible()  # no award form before the letters

    today = paris_today()
    end = today + timedelta(days=10)
    first_day = today + timedelta(days=11)
    page.get_by_label("Date d'envoi des lettres de rejet").fill(today.isoformat())
    page.get_by_label("Par voie électronique", exact=False).check()
    page.get_by_role("button", name="Enregistrer l'envoi et éditer les lettres de rejet").click()
    flash = page.locator(".flash-success").inner_text()
    assert f"court jusqu'au {end:%d/%m/%Y} inclus" in flash
    assert f"jusqu'au {end:%d/%m/%Y} inclus" in page.locator("#fin-suspension").inner_text()
    violations += audit_both_widths(page, "attribution-delai-de-suspension")

    with page.expect_download() as download:
        page.get_by_role("link", name="Lettre de rejet : Rhône Informatique (PDF)").click()
    letter = pdf_text(open(download.value.path(), "rb").read())  # noqa: SIM115
    assert "Alpes Bureautique" in letter and f"prend fin le {end:%d/%m/%Y}" in letter

    page.get_by_label("Date de notification").fill(end.isoformat())
    page.get_by_label("Début d'exécution").fill(first_day.isoformat())
    page.get_by_role("button", name="Attribuer et créer l'accord-cadre").click()
    refusal = page.locator(".flash-error").inner_text()
    assert f"jusqu'au {end:%d/%m/%Y} inclus" in refusal and f"à partir du {first_day:%d/%m/%Y}" in refusal
    violations += audit_both_widths(page, "attribution-notification-refusee")

    page.get_by_label("Date de notification").fill(first_day.isoformat())
    page.get_by_label("Début d'exécution").fill(first_day.isoformat())
    page.get_by_role("button", name="Attribuer et créer l'accord-cadre").click()
    assert f"notifié le {first_day:%d/%m/%Y}" in page.locator(".flash-success").inner_text()

    page.goto(f"{live_server.url}/lots/{formal_lot}/attribution")
    with page.expect_download() as download:
        page.get_by_role("button", name="Éditer la lettre de notification (PDF)").click()
    notification = pdf_text(open(download.value.path(), "rb").read())  # noqa: SIM115
    assert "Notification du marché" in notification and "Alpes Bureautique" in notification
    page.goto(f"{live_server.url}/lots/{formal_lot}/attribution")
    assert page.get_by_role("link", name="Lettre de notification (PDF)").is_visible()
    violations += audit_both_widths(page, "attribution-notifiee")
    assert violations == []
