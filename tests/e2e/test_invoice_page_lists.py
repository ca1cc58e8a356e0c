"""An invoice shared among many communes keeps a small page (issue 14: no page over about
300 KB): its communes' shares, their traces, its titles and its lines come a page at a time,
each list saying « 1–50 sur 62 », with the totals of the whole split on every page. A title's
refused form is shown again on the page of titles that holds it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from groupement.core.access import Actor, Role
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import import_invoice
from groupement.invoices.models import Allocation, RecoveryTitle
from groupement.invoices.pages import COMMUNES_PER_PAGE, TITLES_PER_PAGE
from groupement.invoices.recovery import issue_recovery_titles
from groupement.invoices.splitting import split_invoice
from groupement.organisations.models import Groupement, Membership, Organisation
from groupement.organisations.user_models import User
from tests import factories
from tests.conftest import csrf_token_of
from tests.invoicing import approve_for_split, without_prepayment

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "ubl21_en16931_fr.xml"
MORE_COMMUNES = 60  # with the world's A and B: 62 members, two pages of shares, three of titles


@pytest.fixture
def wide_split(app, world):
    """The UBL sample (308,03 € TTC) split equally among 62 member communes, its titles issued."""
    with app.app_context():
        group = db.session.scalar(
            select(Groupement).join(Membership).where(Membership.commune_id == world.ids["commune_a"])
        )
        for n in range(MORE_COMMUNES):
            factories.membership(group, factories.organisation(name=f"Village {n:02d}"))
        user = db.session.scalar(select(User).where(User.role == Role.ACCOUNTANT))
        accountant = Actor(user.id, Role.ACCOUNTANT, user.organisation_id)
        invoice = import_invoice(accountant, "large.xml", without_prepayment(SAMPLE.read_bytes()).replace(
            b"<cbc:ID>F124212</cbc:ID>", b"<cbc:ID>F-LARGE-62</cbc:ID>", 1
        ))  # fmt: skip
        approve_for_split(accountant, invoice.id)
        members = db.session.scalars(
            select(Organisation.insee_code)
            .join(Membership, Membership.commune_id == Organisation.id)
            .where(Membership.groupement_id == group.id)
        ).all()
        split_invoice(accountant, invoice.id, AllocationKey.EQUAL, list(members))
        issue_recovery_titles(accountant, invoice.id, utcnow().date() + timedelta(30))
        db.session.commit()
        return invoice.id, len(members)


def shares_shown(html: str) -> list[str]:
    table = html.split('class="split-result"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row"><a href="/communes/\d+/grand-livre"[^>]*>([^<]+)</a>', table)


def split_total(html: str) -> str:
    return html.split('class="split-result"', 1)[1].split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]


def titles_shown(html: str) -> list[str]:
    table = html.split('class="titles"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row">([^<]+)</th>', table)


def test_the_shares_and_titles_of_a_wide_split_come_in_pages_with_the_whole_totals(app, client_as, wide_split):
    invoice_id, members = wide_split
    assert members == MORE_COMMUNES + 2
    client = client_as("accountant")
    first = client.get(f"/factures/{invoice_id}")
    html = first.get_data(as_text=True)
    text = " ".join(html.replace("\u202f", " ").replace("\xa0", " ").split())
    assert len(shares_shown(html)) == COMMUNES_PER_PAGE and len(titles_shown(html)) == TITLES_PER_PAGE
    assert f"1–{COMMUNES_PER_PAGE} sur {members} communes" in text
    assert f"1–{TITLES_PER_PAGE} sur {members} titres" in text
    assert f"Total ({members} communes)" in text and "308,03" in split_total(html)  # the whole split's
    assert f'href="/factures/{invoice_id}?page_communes=2#repartition"' in html
    second = client.get(f"/factures/{invoice_id}?page_communes=2&page_titres=2").get_data(as_text=True)
    rest = members - COMMUNES_PER_PAGE
    assert len(shares_shown(second)) == rest
    assert len(titles_shown(second)) == min(TITLES_PER_PAGE, members - TITLES_PER_PAGE)
    assert not set(shares_shown(second)) & set(shares_shown(html))  # each commune on one page only
    assert f"Total ({members} communes)" in second and "308,03" in split_total(second)  # on every page
    with app.app_context():  # the two pages hold every commune's share, once
        names = db.session.scalars(
            select(Organisation.name)
            .join(Allocation, Allocation.commune_id == Organisation.id)
            .where(Allocation.invoice_id == invoice_id)
        ).all()
    assert sorted(shares_shown(html) + shares_shown(second)) == sorted(names)
    beyond = client.get(f"/factures/{invoice_id}?page_communes=99&page_titres=abc")
    assert beyond.status_code == 200 and shares_shown(beyond.get_data(as_text=True)) == []


def test_a_refused_payment_is_shown_on_the_page_of_titles_that_holds_it(app, client_as, wide_split):
    invoice_id, members = wide_split
    client = client_as("accountant")
    with app.app_context():
        title_of = dict(
            db.session.execute(
                select(RecoveryTitle.number, RecoveryTitle.id).where(RecoveryTitle.invoice_id == invoice_id)
            ).all()
        )
    page_two = titles_shown(client.get(f"/factures/{invoice_id}?page_titres=2").get_data(as_text=True))
    title_id = title_of[page_two[0]]
    token = csrf_token_of(client.get(f"/factures/{invoice_id}").get_data(as_text=True))
    refused = client.post(
        f"/factures/titres/{title_id}/encaissement",
        data={"csrf_token": token, "paid_on": "pas une date", "amount": "1,00"},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert titles_shown(html) == page_two  # the page of titles holding the refused one
    pages = -(-members // TITLES_PER_PAGE)
    assert f'action="/factures/titres/{title_id}/encaissement"' in html and f"Page 2 sur {pages}" in html


def test_a_split_invoice_reads_no_member_commune_for_a_form_it_does_not_show(app, client_as, wide_split):
    from groupement.invoices.pages import invoice_page

    invoice_id, _ = wide_split
    with app.test_request_context(f"/factures/{invoice_id}"):
        user = db.session.scalar(select(User).where(User.role == Role.ACCOUNTANT))
        actor = Actor(user.id, Role.ACCOUNTANT, user.organisation_id)
        assert invoice_page(actor, invoice_id).members == []  # split: the form is gone
    html = client_as("accountant").get(f"/factures/{invoice_id}").get_data(as_text=True)
    assert 'class="split-communes-table"' not in html and "Village 00" in html  # the shares still named
    # (an invoice awaiting its split still lists them: test_invoices_pages splits through that form)
