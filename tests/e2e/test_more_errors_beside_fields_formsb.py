"""More forms refused beside their fields (issue 16): a title's payment and cancellation, the
titles batch, the invitation of a supplier's user, the shop's addition, the basket's quantity and
order. Each refused post shows its page again with status 422, the error beside its field
(aria-describedby, aria-invalid), a summary above the form, what was typed kept, nothing written
and nothing in the banner; a valid post still redirects."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.invoices.models import Payment, RecoveryTitle
from groupement.invoices.title_rules import TitleStatus
from groupement.organisations.user_models import User
from groupement.suppliers.models import BasketLine
from tests.conftest import csrf_token_of
from tests.e2e.test_action_errors_beside_fields import _post, _refused
from tests.e2e.test_errors_beside_fields import _assert_beside, _summary
from tests.e2e.test_recovery_jobs import split_invoices


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- the titles of an invoice ----------------------------------------------------------------


def test_a_payment_refused_is_shown_beside_that_titles_fields_with_what_was_typed(client_as, world, app):
    client = client_as("accountant")
    page, title = f"/factures/{world.ids['invoice']}", world.ids["title_a"]
    payments = _count(app, Payment)

    html = _refused(
        _post(client, page, f"/factures/titres/{title}/encaissement", paid_on="", amount="abc", reference="VIR-9")
    )

    _assert_beside(html, f"date-{title}", "La date d'encaissement est obligatoire.")
    _assert_beside(html, f"montant-{title}", "Nombre attendu")
    summary = _summary(html)
    assert f'<a href="#date-{title}">' in summary and f'<a href="#montant-{title}">' in summary
    assert 'value="abc"' in html and 'value="VIR-9"' in html  # what was typed is shown again
    assert '<details class="payment" open>' in html  # the refused form is not folded away
    assert html.count('aria-invalid="true"') == 2  # the other title's form is untouched
    assert _count(app, Payment) == payments


def test_a_cancellation_without_reason_is_refused_beside_the_reason_and_the_title_stays_issued(client_as, world, app):
    client = client_as("accountant")
    page, title = f"/factures/{world.ids['invoice']}", world.ids["title_a"]

    html = _refused(_post(client, page, f"/factures/titres/{title}/annulation", reason=""))

    _assert_beside(html, f"motif-{title}", "Le motif de l'annulation est obligatoire.")
    assert f'<a href="#motif-{title}">' in _summary(html)
    assert '<details class="cancel-title" open>' in html
    assert html.count('aria-invalid="true"') == 1
    with app.app_context():
        refused = db.session.get(RecoveryTitle, title)
        assert refused.status is TitleStatus.ISSUED and refused.cancelled_by is None


def test_a_valid_payment_still_redirects_to_the_titles(client_as, world):
    client = client_as("accountant")
    page, title = f"/factures/{world.ids['invoice']}", world.ids["title_a"]
    response = _post(
        client, page, f"/factures/titres/{title}/encaissement", paid_on=paris_today().isoformat(), amount="10,00"
    )
    assert response.status_code == 302 and response.location.endswith("#titres")


def test_the_titles_batch_refused_shows_the_due_date_error_beside_it_and_issues_nothing(client_as, world, app):
    split_invoices(app, world, "F-LOT-901")
    client = client_as("accountant")
    titles = _count(app, RecoveryTitle)
    yesterday = paris_today() - timedelta(days=1)

    html = _refused(_post(client, "/factures/titres/emission", "/factures/titres/emission", due_date=""))
    _assert_beside(html, "due_date", "La date d'échéance est obligatoire.")
    assert '<a href="#due_date">' in _summary(html)

    past = _refused(
        _post(client, "/factures/titres/emission", "/factures/titres/emission", due_date=yesterday.isoformat())
    )
    _assert_beside(past, "due_date", "est passée")
    assert f'value="{yesterday.isoformat()}"' in past
    assert _count(app, RecoveryTitle) == titles


# --- the supplier's accounts -----------------------------------------------------------------


def test_an_invitation_refused_shows_each_error_beside_its_field_and_invites_nobody(client_as, world, app):
    client = client_as("coordinator")
    page = f"/fournisseurs/{world.ids['supplier']}/comptes"
    users = _count(app, User)

    html = _refused(_post(client, page, f"{page}/inviter", name="", email=""))

    _assert_beside(html, "name", "Le nom est obligatoire.")
    _assert_beside(html, "email", "L'adresse électronique est obligatoire.")
    summary = _summary(html)
    assert '<a href="#name">' in summary and '<a href="#email">' in summary

    too_long = _refused(_post(client, page, f"{page}/inviter", name="Léa Martin", email="x" * 300 + "@exemple.fr"))
    _assert_beside(too_long, "email", "caractères au plus.")
    assert 'value="Léa Martin"' in too_long  # what was typed is shown again
    assert _count(app, User) == users


# --- the shop and the basket -----------------------------------------------------------------


def test_an_article_refused_is_shown_beside_its_quantity_in_the_same_search(client_as, world, app):
    client = client_as("agent_a")
    price = world.ids["contract_price"]
    token = csrf_token_of(client.get("/boutique?q=ordinateur").get_data(as_text=True))
    lines = _count(app, BasketLine)

    response = client.post(
        "/boutique/panier/ajouter?q=ordinateur",
        data={"csrf_token": token, "contract_price_id": str(price), "quantity": "deux"},
    )

    html = _refused(response)
    _assert_beside(html, f"qte-{price}", "")
    assert f'<a href="#qte-{price}">' in _summary(html)
    assert 'value="deux"' in html and 'value="ordinateur"' in html  # the same search, what was typed
    assert html.count('aria-invalid="true"') == 1
    assert _count(app, BasketLine) == lines


def test_the_shops_add_form_posts_the_words_searched(client_as, world):
    html = client_as("agent_a").get("/boutique?q=ordinateur").get_data(as_text=True)
    assert 'action="/boutique/panier/ajouter?q=ordinateur"' in html


def test_a_basket_quantity_refused_is_shown_beside_that_line_and_the_quantity_is_kept(client_as, world, app):
    client = client_as("agent_a")
    line = world.ids["basket_line_a"]

    html = _refused(_post(client, "/boutique/panier", f"/boutique/panier/lignes/{line}", quantity="-3"))

    _assert_beside(html, f"ligne-{line}", "")
    assert f'<a href="#ligne-{line}">' in _summary(html)
    assert 'value="-3"' in html
    with app.app_context():
        assert db.session.get(BasketLine, line).quantity == 1


def test_an_order_without_address_is_refused_beside_the_address_and_the_basket_is_kept(client_as, world, app):
    from groupement.contracts.models import Order

    client = client_as("agent_a")
    orders = _count(app, Order)

    html = _refused(
        _post(client, "/boutique/panier", "/boutique/panier/commander", delivery_address="", engagement_number="EJ-7")
    )

    _assert_beside(html, "delivery_address", "L'adresse de livraison est obligatoire.")
    assert '<a href="#delivery_address">' in _summary(html)
    assert 'value="EJ-7"' in html
    assert _count(app, Order) == orders and _count(app, BasketLine) == 1
