"""More action forms refuse an invalid post beside its fields (issue 16): the tender criteria and
scores, the campaign board's close, reopen and aggregate forms, the Chorus Pro service codes. The
page again with status 422, the error beside its field (aria-invalid, aria-describedby), a summary
above the form, nothing written; a valid post still redirects. The two buttons that post nothing
but their CSRF token (analysis report, notification letter) are refused by CSRFProtect (400)."""

from __future__ import annotations

from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from groupement.campaigns.models import Campaign, Submission
from groupement.campaigns.rules import CampaignStatus
from groupement.core.archive import ArchivedDocument
from groupement.core.jobs import Job
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.lots.edits import publish_lot
from groupement.lots.models import Lot
from groupement.organisations.models import Organisation
from groupement.organisations.user_models import User
from groupement.tenders.models import AwardCriteria, Offer
from tests.e2e.test_action_errors_beside_fields import _post, _refused
from tests.e2e.test_errors_beside_fields import _assert_beside, _summary
from tests.e2e.test_offers_pages import followed, priced_dqe, upload


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- tenders ---------------------------------------------------------------------------------


def test_criteria_refused_show_each_error_beside_its_weight_and_none_are_saved(client_as, world, app):
    client = client_as("coordinator")
    page = f"/lots/{world.ids['lot']}/offres"
    before = _count(app, AwardCriteria)

    html = _refused(
        _post(
            client,
            page,
            f"/lots/{world.ids['lot']}/criteres",
            price_weight="",
            technical_weight="150",
            environmental_weight="0",
            abnormally_low_percent="70",
        )
    )

    _assert_beside(html, "price_weight", "Le poids du prix est obligatoire.")
    _assert_beside(html, "technical_weight", "Un poids est compris entre 0 et 100.")
    summary = _summary(html)
    assert '<a href="#price_weight">' in summary and '<a href="#technical_weight">' in summary
    assert 'value="150"' in html  # what was typed is shown again
    assert _count(app, AwardCriteria) == before


@pytest.fixture
def scored_offer(app, world, client_as) -> int:
    """The world's lot 1 published, one offer imported, criteria with a technical weight."""
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == world.emails["coordinator"])).actor
        publish_lot(coordinator, world.ids["lot"], today=date(2026, 9, 1))
        from tests import factories

        supplier = factories.supplier(name="Bureautique des Alpes").id
        db.session.commit()
    lot = world.ids["lot"]
    client = client_as("coordinator")
    followed(client, upload(client, lot, supplier, priced_dqe(client, lot, 764.1, 110)))
    weights = dict(price_weight="60", technical_weight="30", environmental_weight="10", abnormally_low_percent="70")
    followed(client, _post(client, f"/lots/{lot}/offres", f"/lots/{lot}/criteres", **weights))
    with app.app_context():
        return db.session.scalar(select(Offer.id).where(Offer.lot_id == lot))


def test_a_score_refused_is_shown_beside_its_field_not_in_the_banner(client_as, scored_offer, app):
    client = client_as("coordinator")
    page = f"/offres/{scored_offer}"

    html = _refused(_post(client, page, f"{page}/notes", technical_score="vingt", technical_justification="Précis."))

    _assert_beside(html, "technical_score", "")
    assert '<a href="#technical_score">' in _summary(html)
    assert 'value="vingt"' in html
    with app.app_context():
        assert db.session.get(Offer, scored_offer).technical_score is None


def test_the_analysis_report_posted_without_its_token_is_refused_and_nothing_is_archived(client_as, world, app):
    before = _count(app, ArchivedDocument)
    response = client_as("coordinator").post(f"/lots/{world.ids['contract_lot']}/analyse.pdf")
    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)
    assert _count(app, ArchivedDocument) == before


def test_the_notification_letter_posted_without_its_token_is_refused_and_nothing_is_archived(client_as, world, app):
    before = _count(app, ArchivedDocument)
    response = client_as("coordinator").post(f"/lots/{world.ids['contract_lot']}/attribution/notification")
    assert response.status_code == 400
    assert _count(app, ArchivedDocument) == before
    valid = _post(
        client_as("coordinator"),
        f"/lots/{world.ids['contract_lot']}/attribution",
        f"/lots/{world.ids['contract_lot']}/attribution/notification",
    )
    assert valid.status_code == 302 and _count(app, ArchivedDocument) == before + 1


# --- the campaign board ------------------------------------------------------------------------


def test_closing_without_the_confirmation_is_refused_beside_the_box_and_the_campaign_stays_open(client_as, world, app):
    client = client_as("coordinator")
    board = f"/campagnes/{world.ids['campaign']}"

    html = _refused(_post(client, board, f"{board}/cloturer"))

    _assert_beside(html, "confirm", "Cochez la case pour confirmer la clôture.")
    assert '<a href="#confirm">' in _summary(html)
    with app.app_context():
        assert db.session.get(Campaign, world.ids["campaign"]).status is CampaignStatus.OPEN
    confirmed = _post(client, board, f"{board}/cloturer", confirm="y")
    assert confirmed.status_code == 302


def test_a_reopening_without_reason_is_refused_beside_that_communes_reason_only(client_as, world, app):
    _past_deadline(app, world.ids["campaign"])
    with app.app_context():
        before = db.session.get(Submission, world.ids["submission_a"]).status
    client = client_as("coordinator")
    board = f"/campagnes/{world.ids['campaign']}"
    commune = world.ids["commune_a"]

    html = _refused(_post(client, board, f"{board}/communes/{commune}/rouvrir", reason=""))

    _assert_beside(html, f"reason-{commune}", "Le motif de réouverture est obligatoire.")
    assert f'<a href="#reason-{commune}">' in _summary(html)
    assert html.count('aria-invalid="true"') == 1  # the other communes' forms are untouched
    assert '<details class="reopen" open>' in html
    with app.app_context():
        submission = db.session.get(Submission, world.ids["submission_a"])
        assert (submission.status, submission.reopened) == (before, False)


def test_another_coordinators_campaign_refused_form_is_not_found(client_as, world):
    board = f"/campagnes/{world.ids['other_campaign']}"
    assert _post(client_as("coordinator"), "/", f"{board}/cloturer").status_code == 404
    assert _post(client_as("coordinator"), "/", f"{board}/agreger").status_code == 404


def _past_deadline(app, campaign_id: int) -> None:
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        campaign.opens_at, campaign.closes_at = utcnow() - timedelta(days=10), utcnow() - timedelta(hours=1)
        db.session.commit()


def test_aggregating_without_the_confirmation_is_refused_beside_the_box_and_no_job_starts(client_as, world, app):
    _past_deadline(app, world.ids["campaign"])
    client = client_as("coordinator")
    board = f"/campagnes/{world.ids['campaign']}"
    lots, jobs = _count(app, Lot), _count(app, Job)

    html = _refused(_post(client, board, f"{board}/agreger"))

    _assert_beside(html, "confirm-aggregation", "Cochez la case pour confirmer l'agrégation.")
    assert '<a href="#confirm-aggregation">' in _summary(html)
    assert (_count(app, Lot), _count(app, Job)) == (lots, jobs)


def test_an_aggregation_refused_once_the_campaign_is_aggregated_still_shows_its_error(client_as, world):
    board = f"/campagnes/{world.ids['lots_campaign']}"
    html = _refused(_post(client_as("coordinator"), board, f"{board}/agreger"))
    assert "Cochez la case pour confirmer l'agrégation." in unescape(_summary(html))


# --- Chorus Pro service codes ------------------------------------------------------------------


def test_a_chorus_code_refused_is_shown_beside_that_communes_code(client_as, world, app):
    client = client_as("coordinator")
    commune = world.ids["commune_a"]
    with app.app_context():
        before = db.session.get(Organisation, commune).chorus_service_code

    html = _refused(_post(client, "/parametres", "/parametres/chorus", commune_id=str(commune), code="X" * 101))

    _assert_beside(html, f"code-{commune}", "100 caractères au plus.")
    assert f'<a href="#code-{commune}">' in _summary(html)
    assert html.count('aria-invalid="true"') == 1  # commune B's code is untouched
    assert "X" * 101 in html  # what was typed is shown again
    with app.app_context():
        assert db.session.get(Organisation, commune).chorus_service_code == before


def test_a_chorus_code_posted_without_its_commune_is_refused_above_the_table(client_as, world):
    html = _refused(_post(client_as("agent_a"), "/parametres", "/parametres/chorus", code="SERV-01"))
    assert "Commune</a> : Choisissez la commune." in _summary(html)


def test_a_valid_chorus_code_still_redirects(client_as, world, app):
    commune = world.ids["commune_a"]
    response = _post(client_as("agent_a"), "/parametres", "/parametres/chorus", commune_id=str(commune), code="S-01")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, commune).chorus_service_code == "S-01"
