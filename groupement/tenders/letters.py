"""The award letters as PDF, from plain data: the rejection letter to each unsuccessful bidder
(R2181-1 to R2181-4: the reasons, the winner's name, its scores and the relative advantages of its
offer, the end of the standstill period) and the notification letter to the winner.
The use cases that gather the data, check the scope and archive the documents are in
contracts/awards.py (the award belongs to the contracts feature)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import render_template

from groupement.core.files.pdf import Letterhead, html_to_pdf


def letterhead_of(organisation) -> Letterhead:
    """The coordinator's letterhead from its organisation (name, address, SIRET)."""
    city = " ".join(part for part in (organisation.postcode, organisation.city) if part)
    address = tuple(line for line in (organisation.address, city) if line)
    return Letterhead(name=organisation.name, address_lines=address, siret=organisation.siret or "")


@dataclass(frozen=True)
class Scores:
    supplier_name: str
    rank: int
    total_ht: Decimal
    price_score: Decimal | None
    technical_score: Decimal | None
    environmental_score: Decimal | None
    weighted_total: Decimal | None
    technical_justification: str = ""
    environmental_justification: str = ""


@dataclass(frozen=True)
class Addressee:
    name: str
    address_lines: tuple[str, ...]
    siret: str


@dataclass(frozen=True)
class RejectionLetter:
    letterhead: Letterhead
    reference: str
    sent_on: date
    groupement_name: str
    lot_label: str  # "Lot n° 1 : Postes de travail"
    procedure: str
    addressee: Addressee
    bidder: Scores
    winner: Scores
    offers_received: int
    weights: tuple[Decimal, Decimal, Decimal] | None  # price, technical, environmental
    reasons: tuple[str, ...]
    standstill_days: int | None  # None: no standstill required
    standstill_last_day: date | None
    first_signing_day: date | None
    electronic: bool


@dataclass(frozen=True)
class NotificationLetter:
    letterhead: Letterhead
    reference: str
    notified_on: date
    groupement_name: str
    lot_label: str
    procedure: str
    addressee: Addressee
    winner: Scores
    contract_number: str
    maximum_amount: Decimal
    duration_months: int
    start_date: date
    standstill_last_day: date | None


def rejection_reasons(bidder: Scores, winner: Scores, weights) -> tuple[str, ...]:
    """Why the offer is not retained, criterion by criterion, against the winner's."""
    reasons = [
        f"Votre offre est classée au rang {bidder.rank} sur les critères d'attribution annoncés ; "
        f"l'offre retenue est classée au rang {winner.rank}."
    ]
    names = (
        ("prix", "price_score"),
        ("valeur technique", "technical_score"),
        ("critère environnemental", "environmental_score"),
    )
    for index, (name, attribute) in enumerate(names):
        if weights is not None and not weights[index]:
            continue
        mine, theirs = getattr(bidder, attribute), getattr(winner, attribute)
        if mine is not None and theirs is not None and theirs > mine:
            reasons.append(f"Sur le critère « {name} », l'offre retenue obtient une meilleure note que la vôtre.")
    if bidder.total_ht > winner.total_ht:
        reasons.append(
            "Le montant de votre offre (total du détail quantitatif estimatif) dépasse celui de l'offre retenue."
        )
    return tuple(reasons)


def rejection_pdf(letter: RejectionLetter) -> bytes:
    return html_to_pdf(
        render_template(
            "pdf/award_rejection.html",
            letter=letter,
            letterhead=letter.letterhead,
            document_title="Information des candidats non retenus",
            reference=letter.reference,
            issued_on=letter.sent_on,
        )
    )


def notification_pdf(letter: NotificationLetter) -> bytes:
    return html_to_pdf(
        render_template(
            "pdf/award_notification.html",
            letter=letter,
            letterhead=letter.letterhead,
            document_title="Notification du marché",
            reference=letter.reference,
            issued_on=letter.notified_on,
        )
    )
