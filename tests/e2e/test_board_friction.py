"""The campaign board without friction (issue 16): the last reminder per commune, no reminder
twice within the interval (a double click sends once), mails only logged said so, communes
without any active account shown at once, the board and lots totals explained, pages."""

from __future__ import annotations

import io
import re
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from groupement.campaigns.board import campaign_board
from groupement.campaigns.estimates import needs_estimates
from groupement.campaigns.models import CampaignReminder
from groupement.campaigns.reminders import remind_late_communes
from groupement.core import mail
from groupement.core.access import Actor, Role, system_actor
from groupement.core.formatting import datetime_fr, euros
from groupement.core.timeutil import to_paris, utcnow
from groupement.core.transaction import unit_of_work
from groupement.extensions import db
from groupement.organisations.user_models import User
from tests.conftest import csrf_token_of


def _remind(client, campaign_id: int):
    page = f"/campagnes/{campaign_id}"
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    return client.post(f"{page}/relancer", data={"csrf_token": token})


def _flashes(client) -> str:
    return client.get("/").get_data(as_text=True)


def test_the_board_shows_the_last_reminder_of_each_commune_with_its_author_and_paris_time(client_as, world, app):
    client = client_as("coordinator")
    campaign_id = world.ids["campaign"]
    before = client.get(f"/campagnes/{campaign_id}").get_data(as_text=True)
    assert "Dernière relance" in before and "jamais" in before

    assert _remind(client, campaign_id).status_code == 302

    with app.app_context():
        sent = db.session.scalars(select(CampaignReminder).where(CampaignReminder.campaign_id == campaign_id)).all()
        assert {r.commune_id for r in sent} == {world.ids["commune_a"], world.ids["commune_b"]}
        assert not any(r.delivered for r in sent)  # MAIL_SERVER is empty in the tests
        when = datetime_fr(sent[0].sent_at)
        author = db.session.get(User, sent[0].sent_by_id).name
    board = client.get(f"/campagnes/{campaign_id}").get_data(as_text=True)
    assert when in board and f"par {author} (journalisée, non envoyée)" in board


def test_the_excel_export_carries_the_last_reminder_in_paris_time_its_author_and_whether_it_left(client_as, world, app):
    client = client_as("coordinator")
    campaign_id = world.ids["campaign"]
    _remind(client, campaign_id)
    with app.app_context():  # Commune B's last reminder: the automatic one, really sent, at 23:30 UTC
        db.session.execute(
            update(CampaignReminder)
            .where(CampaignReminder.commune_id == world.ids["commune_b"])
            .values(sent_at=datetime(2026, 12, 2, 23, 30), sent_by_id=None, delivered=True)
        )
        db.session.commit()
        reminder_a = db.session.scalar(
            select(CampaignReminder).where(CampaignReminder.commune_id == world.ids["commune_a"])
        )
        sent_a = to_paris(reminder_a.sent_at).replace(tzinfo=None, microsecond=0)
        author_a = db.session.get(User, reminder_a.sent_by_id).name

    response = client.get(f"/campagnes/{campaign_id}/tableau.xlsx")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[5:8] == ("Dernière relance", "Relancée par", "Relance")
    lines = {row[0]: row[5:8] for row in rows[1:]}
    assert lines["Commune A"] == (sent_a, author_a, "journalisée, non envoyée")
    assert lines["Commune B"] == (datetime(2026, 12, 3, 0, 30), "relance automatique", "envoyée")  # Paris: 00:30
    assert lines["Total"] == (None, None, None)
    assert sheet["F2"].number_format == "dd/mm/yyyy hh:mm"


def test_a_second_press_within_24_hours_sends_nothing_and_says_when_the_next_is_possible(client_as, world, app):
    client = client_as("coordinator")
    campaign_id = world.ids["campaign"]
    _remind(client, campaign_id)
    first = _flashes(client)
    assert "2 communes relancées (2 messages journalisés (mode développement, non envoyés))" in first

    _remind(client, campaign_id)
    second = _flashes(client)

    with app.app_context():
        sent_at = db.session.scalar(
            select(CampaignReminder.sent_at).where(CampaignReminder.commune_id == world.ids["commune_a"])
        )
    assert "relancées (" not in second
    assert "2 communes déjà relancées il y a moins de 24 h, non relancées cette fois" in second
    assert f"Commune A (prochaine relance possible le {datetime_fr(sent_at + timedelta(hours=24))})" in second


def test_once_the_interval_has_passed_the_commune_is_reminded_again(client_as, world, app):
    client = client_as("coordinator")
    campaign_id = world.ids["campaign"]
    _remind(client, campaign_id)
    with app.app_context():
        db.session.execute(update(CampaignReminder).values(sent_at=utcnow() - timedelta(hours=24, minutes=1)))
        db.session.commit()

    _remind(client, campaign_id)

    assert "2 communes relancées" in _flashes(client)


def test_a_commune_without_any_active_account_is_on_the_board_at_once_with_what_to_do(client_as, world, app):
    with app.app_context():
        db.session.execute(update(User).where(User.organisation_id == world.ids["commune_b"]).values(active=False))
        db.session.commit()

    page = client_as("coordinator").get(f"/campagnes/{world.ids['campaign']}").get_data(as_text=True)

    assert "1 commune sans compte actif" in page
    assert f'<a href="#commune-{world.ids["commune_b"]}">Commune B</a>.' in page
    assert "aucun compte actif" in page
    assert "demandez à l'administrateur de votre organisation de créer un compte" in page
    admin_page = client_as("admin").get(f"/campagnes/{world.ids['campaign']}")
    if admin_page.status_code == 200:  # the admin reads the board: the link goes to the account form
        assert 'href="/admin/utilisateurs/nouveau"' in admin_page.get_data(as_text=True)


def test_the_board_says_why_its_total_differs_from_the_lots_with_both_figures(client_as, world, app):
    client = client_as("coordinator")
    for campaign_id in (world.ids["campaign"], world.ids["lots_campaign"]):
        with app.app_context():
            actor = system_actor(world.ids["capi"])
            figures = needs_estimates(actor, campaign_id)
            board = campaign_board(actor, campaign_id)
        assert figures.entered_ht == board.total
        page = client.get(f"/campagnes/{campaign_id}").get_data(as_text=True)
        assert "Pourquoi ce total diffère de celui des lots" in page
        for amount in (figures.entered_ht, figures.validated_ht, figures.validated_with_eco):
            assert euros(amount) in page
    # The closed campaign's needs are all validated; their eco-participation makes the lots dearer.
    assert figures.validated_ht == figures.entered_ht < figures.validated_with_eco


def test_the_lots_page_says_why_its_total_differs_from_the_board_and_links_to_the_boards_figures(client_as, world):
    """The needs-wide sums (a million need lines at 1 000 × 5 000) are the board's: the lots page,
    which must stay fast, gives its own total and links to the board's explanation."""
    campaign_id = world.ids["lots_campaign"]
    page = re.sub(r"[ \n]+", " ", client_as("coordinator").get(f"/campagnes/{campaign_id}/lots").get_data(as_text=True))

    assert "Pourquoi ce total diffère de celui du tableau de suivi" in page
    # Laptops 9 277,00 € + printers 620,00 € + paper 630,00 €: the lots' total today.
    assert f"({euros(Decimal('10527.00'))} aujourd'hui)" in page
    assert f"href=\"/campagnes/{campaign_id}#total-explique\">ses montants, à l'agrégation et aujourd'hui</a>" in page


def test_a_long_board_is_shown_a_page_at_a_time_with_the_totals_of_all(client_as, world, app):
    with app.app_context():
        actor = system_actor(world.ids["capi"])
        whole = campaign_board(actor, world.ids["campaign"])
        first = campaign_board(actor, world.ids["campaign"], page=1, page_size=1)
        second = campaign_board(actor, world.ids["campaign"], page=2, page_size=1)
        beyond = campaign_board(actor, world.ids["campaign"], page=99, page_size=1)
    assert first.pages == 2
    assert [r.commune_name for r in first.page_rows] == ["Commune A"]
    assert [r.commune_name for r in second.page_rows] == ["Commune B"]
    assert beyond.page_rows == second.page_rows
    assert first.total == second.total == whole.total
    # The route takes the page from the query string; an odd value is the first page, not a 500.
    client = client_as("coordinator")
    for query in ("?page=2", "?page=abc", "?page=-1", "?page=99999999999"):
        assert client.get(f"/campagnes/{world.ids['campaign']}{query}").status_code == 200


@pytest.mark.real_commits
def test_two_presses_at_the_same_moment_send_one_message_per_commune(app, world, monkeypatch):
    sent: list[list[str]] = []
    lock = threading.Lock()

    def fake_send(recipients, subject, body):
        with lock:
            sent.append(recipients)

    monkeypatch.setattr(mail, "send_mail", fake_send)  # the mails leave after each commit
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == world.emails["coordinator"]))
        actor = Actor(user_id=coordinator.id, role=Role.COORDINATOR, organisation_id=coordinator.organisation_id)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def press() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                with unit_of_work():
                    outcomes.append(remind_late_communes(actor, world.ids["campaign"]))
            except Exception as error:  # noqa: BLE001  (reported below)
                outcomes.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert len(sent) == 2  # Commune A and Commune B, once each
    assert sorted(o.messages_sent for o in outcomes) == [0, 2]
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(CampaignReminder)) == 2


def test_the_chart_of_a_large_campaign_shows_the_largest_needs_only_and_points_to_the_rest(client_as, world, app):
    from groupement.campaigns.board import CHART_TOP
    from groupement.campaigns.models import Campaign
    from tests import factories

    with app.app_context():
        campaign = db.session.get(Campaign, world.ids["campaign"])
        for number in range(CHART_TOP + 10):  # 2 + 40 communes: more than the chart holds
            factories.membership(campaign.groupement, factories.organisation(name=f"Commune n° {number:03d}"))
        db.session.commit()

    page = client_as("coordinator").get(f"/campagnes/{world.ids['campaign']}").get_data(as_text=True)

    chart = page[page.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars"') :]
    chart = chart[: chart.index("</svg>")]
    assert chart.count('<rect class="chart-bar"') == CHART_TOP
    assert "<title>Commune A : 2\u202f547,00\u00a0€</title>" in chart  # the largest needs come first
    rest = re.search(r'<p class="hint chart-rest">(.*?)</p>', page, re.S).group(1)
    assert " ".join(rest.split()).startswith(
        f"Les {CHART_TOP} communes aux montants les plus élevés sur 42 ; les 12 autres"
    )
    assert 'href="#communes"' in rest and "tableau.xlsx" in rest
