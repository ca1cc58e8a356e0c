"""The coordinator's campaign pages over HTTP: create, open, board, remind, reopen, close."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from groupement.campaigns.models import Campaign, Submission
from groupement.campaigns.reminders import ReminderReport
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.campaigns.web.routes import reminder_messages
from groupement.core.audit_log import AuditEvent
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from tests.conftest import csrf_token_of


def post_form(client, page: str, action: str, **data):
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def flashes(client) -> str:
    return client.get("/").get_data(as_text=True)


def test_the_coordinator_creates_a_campaign_with_paris_times_stored_in_utc(client_as, world, app):
    client = client_as("coordinator")
    page = client.get("/campagnes/nouvelle").get_data(as_text=True)
    assert 'type="datetime-local"' in page

    response = post_form(
        client,
        "/campagnes/nouvelle",
        "/campagnes/nouvelle",
        groupement_id=str(_groupement_id(app, world)),
        title="Recensement 2028",
        year="2028",
        families=["informatique"],
        opens_at="2027-01-15T09:00",  # winter: UTC+1
        closes_at="2027-04-02T17:30",  # summer: UTC+2
        instructions="Pensez aux écoles.",
    )

    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.title == "Recensement 2028"))
        assert (campaign.opens_at, campaign.closes_at) == (datetime(2027, 1, 15, 8, 0), datetime(2027, 4, 2, 15, 30))
        assert campaign.status is CampaignStatus.DRAFT
        campaign_id = campaign.id
    assert response.location.endswith(f"/campagnes/{campaign_id}")
    board = client.get(response.location).get_data(as_text=True)
    assert "créée en préparation" in board
    assert "02/04/2027 à 17:30" in board  # shown back in Paris time

    opened = post_form(client, f"/campagnes/{campaign_id}", f"/campagnes/{campaign_id}/ouvrir")
    assert opened.status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status is CampaignStatus.OPEN


def test_a_campaign_closing_before_it_opens_is_refused_with_a_french_message(client_as, world, app):
    client = client_as("coordinator")

    response = post_form(
        client,
        "/campagnes/nouvelle",
        "/campagnes/nouvelle",
        groupement_id=str(_groupement_id(app, world)),
        title="À l'envers",
        year="2028",
        families=["informatique"],
        opens_at="2027-03-01T09:00",
        closes_at="2027-02-01T09:00",
    )

    assert response.status_code == 422
    assert "La date limite doit suivre l&#39;ouverture." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Campaign).where(Campaign.title == "À l'envers")) is None


def test_the_board_shows_statuses_amounts_and_an_svg_chart_without_inline_style(client_as, world):
    page = client_as("coordinator").get(f"/campagnes/{world.ids['campaign']}").get_data(as_text=True)

    assert "Commune A" in page and "Commune B" in page
    assert "brouillon" in page and "non commencée" in page
    assert "2\u202f547,00\u00a0€" in page  # 3 × 849.00, in French format
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars" role="img"' in page
    assert "style=" not in page
    assert "Relancer les communes en retard" in page


def test_the_accountant_reads_the_board_without_the_coordinators_buttons(client_as, world):
    page = client_as("accountant").get(f"/campagnes/{world.ids['campaign']}").get_data(as_text=True)

    assert "Commune A" in page
    assert "Relancer les communes en retard" not in page and "Clôturer la campagne" not in page


def test_the_board_exports_to_excel(client_as, world):
    response = client_as("coordinator").get(f"/campagnes/{world.ids['campaign']}/tableau.xlsx")

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["Commune A", "Commune B", "Total"]
    assert rows[-1][-1] == 2547


def test_reminding_flashes_a_french_summary(client_as, world):
    client = client_as("coordinator")

    response = post_form(client, f"/campagnes/{world.ids['campaign']}", f"/campagnes/{world.ids['campaign']}/relancer")

    assert response.status_code == 302
    page = flashes(client)
    # MAIL_SERVER is empty in the tests: the mails are only written to the log, and said so.
    logged = "2 messages journalisés (mode développement, non envoyés)"
    assert f"2 communes relancées ({logged}) : Commune A, Commune B." in page
    assert "messages envoyés" not in page


def test_the_reminder_summary_names_the_late_communes_nobody_could_be_told_about():
    report = ReminderReport(
        communes=["Crémieu", "Four", "Succieu"], messages_sent=1, communes_without_recipient=["Crémieu", "Succieu"]
    )

    assert reminder_messages(report) == [
        ("success", "1 commune relancée (1 message envoyé) : Four."),
        (
            "error",
            "2 communes en retard sans destinataire (aucun agent ni signataire actif), non relancées : "
            "Crémieu, Succieu. L'administrateur doit leur créer un compte (Administration › Utilisateurs).",
        ),
    ]
    assert reminder_messages(ReminderReport([], 0, [])) == [
        ("info", "Aucune commune en retard : toutes ont validé leurs besoins, personne n'a été relancé.")
    ]


def test_the_coordinator_reopens_a_commune_after_the_deadline_with_a_reason(client_as, world, app):
    with app.app_context():
        campaign = db.session.get(Campaign, world.ids["campaign"])
        campaign.opens_at, campaign.closes_at = utcnow() - timedelta(days=10), utcnow() - timedelta(hours=1)
        db.session.commit()
    client = client_as("coordinator")
    board = client.get(f"/campagnes/{world.ids['campaign']}").get_data(as_text=True)
    assert f'action="/campagnes/{world.ids["campaign"]}/communes/{world.ids["commune_a"]}/rouvrir"' in board
    assert "Relancer les communes en retard" not in board  # the deadline has passed

    refused = post_form(
        client,
        f"/campagnes/{world.ids['campaign']}",
        f"/campagnes/{world.ids['campaign']}/communes/{world.ids['commune_a']}/rouvrir",
        reason="  ",
    )
    assert refused.status_code == 302
    assert "Le motif de réouverture est obligatoire." in flashes(client)

    response = post_form(
        client,
        f"/campagnes/{world.ids['campaign']}",
        f"/campagnes/{world.ids['campaign']}/communes/{world.ids['commune_a']}/rouvrir",
        reason="Oubli des écoles",
    )

    assert response.status_code == 302
    assert response.location.endswith(f"/campagnes/{world.ids['campaign']}#commune-{world.ids['commune_a']}")
    assert "Saisie rouverte pour Commune A" in flashes(client)
    with app.app_context():
        submission = db.session.get(Submission, world.ids["submission_a"])
        assert (submission.reopened, submission.comment, submission.status) == (
            True,
            "Oubli des écoles",
            SubmissionStatus.DRAFT,
        )
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submission.reopen")) is not None


def test_reopening_a_commune_of_a_campaign_out_of_scope_is_not_found(client_as, world):
    response = post_form(
        client_as("coordinator"), "/", f"/campagnes/999999/communes/{world.ids['commune_a']}/rouvrir", reason="x"
    )

    assert response.status_code == 404


def test_closing_needs_a_confirmation_then_closes_the_campaign(client_as, world, app):
    client = client_as("coordinator")
    board = f"/campagnes/{world.ids['campaign']}"

    unconfirmed = post_form(client, board, f"{board}/cloturer")
    assert unconfirmed.status_code == 422  # the board again, the error beside the box
    assert "Cochez la case pour confirmer la clôture." in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, world.ids["campaign"]).status is CampaignStatus.OPEN

    confirmed = post_form(client, board, f"{board}/cloturer", confirm="y")

    assert confirmed.status_code == 302
    assert "Campagne clôturée" in flashes(client)
    with app.app_context():
        assert db.session.get(Campaign, world.ids["campaign"]).status is CampaignStatus.CLOSED


def test_the_coordinator_reads_a_communes_grid_without_any_input(client_as, world):
    page = (
        client_as("coordinator")
        .get(f"/campagnes/{world.ids['campaign']}/communes/{world.ids['commune_a']}")
        .get_data(as_text=True)
    )

    assert "Besoins de Commune A" in page
    assert re.search(r'<td class="num">3</td>', page)
    assert "<input" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_campaign_list_shows_counts_to_the_coordinator_and_the_grid_link_to_a_commune(client_as, world):
    coordinator = client_as("coordinator").get("/campagnes").get_data(as_text=True)
    assert f'href="/campagnes/{world.ids["campaign"]}"' in coordinator
    assert "0 / 2" in coordinator
    assert "Nouvelle campagne" in coordinator

    agent = client_as("agent_a").get("/campagnes").get_data(as_text=True)
    assert f'href="/campagnes/{world.ids["campaign"]}/besoins"' in agent
    assert "brouillon" in agent
    assert "Nouvelle campagne" not in agent


def _groupement_id(app, world) -> int:
    with app.app_context():
        return db.session.get(Campaign, world.ids["campaign"]).groupement_id
