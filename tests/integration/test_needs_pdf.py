"""The état des besoins validé: the commune's validated needs per family with totals, last year's
quantities of the same items, the signatory's name, date and time; archived once; out of scope or
not validated, NotFound."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from groupement.campaigns.needs_pdf import needs_pdf_file
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.campaigns.workflow import validate_needs
from groupement.core.access import OrganisationKind, Role
from groupement.core.archive import ArchivedDocument
from groupement.core.errors import NotFound
from groupement.core.timeutil import to_paris, utcnow
from groupement.organisations.families import Family
from tests.pdf_reading import pdf_text, pdf_to_png


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


@pytest.fixture
def needs(make, database):
    capi = make.coordinator()
    group = make.groupement(capi)
    artas = make.organisation(name="Artas", insee_code="38015")
    bourgoin = make.organisation(name="Bourgoin-Jallieu", insee_code="38053")
    make.membership(group, artas)
    make.membership(group, bourgoin)
    laptop = make.item(ref="INF-PORT", designation="Ordinateur portable", unit_price_ht=Decimal("849.00"))
    screen = make.item(ref="INF-ECR", designation="Écran 24 pouces", unit_price_ht=Decimal("129.00"))
    paper = make.item(
        ref="FOU-A4",
        designation="Ramette A4",
        family=Family.FOURNITURES,
        unit="ramette",
        unit_price_ht=Decimal("4.215"),
        account="6064",
    )
    now = utcnow()
    last_year = make.campaign(
        group,
        [laptop, screen],
        year=2026,
        status=CampaignStatus.CLOSED,
        opens_at=now - timedelta(days=400),
        closes_at=now - timedelta(days=370),
    )
    make.submission(last_year, artas, {laptop: 3, screen: 2}, status=SubmissionStatus.VALIDATED)
    campaign = make.campaign(group, [laptop, screen, paper], year=2027, title="Recensement 2027")
    signatory = make.user(Role.SIGNATORY, artas, name="Sophie Signataire")
    make.submission(campaign, artas, {laptop: 4, screen: 0, paper: 120}, status=SubmissionStatus.SUBMITTED)
    database.session.commit()
    return {
        "campaign": campaign,
        "artas": artas,
        "bourgoin": bourgoin,
        "signatory": signatory.actor,
        "agent": make.user(Role.AGENT, artas).actor,
        "agent_bourgoin": make.user(Role.AGENT, bourgoin).actor,
        "coordinator": make.user(Role.COORDINATOR, capi).actor,
        "other": make.user(Role.COORDINATOR, make.organisation(OrganisationKind.COORDINATOR, name="Autre EPCI")).actor,
    }


def test_the_validated_needs_pdf_totals_each_family_beside_last_year_and_names_the_signatory(needs, database):
    n = needs
    with pytest.raises(NotFound, match="pas validés"):
        needs_pdf_file(n["agent"], n["campaign"].id, n["artas"].id)
    submission = validate_needs(n["signatory"], n["campaign"].id)
    at = to_paris(submission.validated_at)
    content, name = needs_pdf_file(n["agent"], n["campaign"].id, n["artas"].id)
    assert name == "etat-des-besoins-2027-38015.pdf"
    assert len(pdf_to_png(content, "etat-des-besoins-valide")) == 1
    text = flat(pdf_text(content))
    assert "État des besoins validé" in text and "Recensement 2027 (2027)" in text and "Artas (INSEE 38015)" in text
    assert f"Validé par Sophie Signataire, le {at:%d/%m/%Y} à {at.hour} h {at.minute:02d}" in text
    assert "INF-PORT Ordinateur portable unité 4 3 849,00 € 3 396,00 €" in text  # 4 this year, 3 last year
    assert "INF-ECR" not in text  # nothing asked this year
    assert "FOU-A4 Ramette A4 ramette 120 — 4,215 € 505,80 €" in text  # 120 × 4,215 € = 505,80 €
    assert "Total Informatique (l'an dernier, mêmes articles : 2 547,00 €) 3 396,00 €" in text
    assert "Total Fournitures de bureau (l'an dernier, mêmes articles : 0,00 €) 505,80 €" in text
    assert "Total estimé HT 3 901,80 €" in text and "L'an dernier, mêmes articles 2 547,00 €" in text

    again, _ = needs_pdf_file(n["coordinator"], n["campaign"].id, n["artas"].id)
    assert again == content
    [kept] = database.session.scalars(
        select(ArchivedDocument).where(ArchivedDocument.kind == "etat_des_besoins_valide")
    )
    assert (kept.object_type, kept.object_id) == ("submission", str(submission.id))
    assert kept.sha256 == hashlib.sha256(content).hexdigest()


def test_another_commune_or_coordinator_gets_no_validated_needs(needs, database):
    n = needs
    validate_needs(n["signatory"], n["campaign"].id)
    for actor, commune in (
        (n["agent_bourgoin"], n["artas"]),
        (n["other"], n["artas"]),
        (n["coordinator"], n["bourgoin"]),  # Bourgoin-Jallieu has validated nothing
    ):
        with pytest.raises(NotFound):
            needs_pdf_file(actor, n["campaign"].id, commune.id)
