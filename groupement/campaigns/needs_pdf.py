"""The état des besoins validé: a commune's validated needs as a PDF on the coordinator's
letterhead, per family with its totals, beside last year's quantities of the same items (the
previous campaign of the same groupement), and who validated them, when (Paris time).

Archived (core/archive.py) at its first download rather than inside the validation: the
validation step belongs to the needs workflow, which must not wait for WeasyPrint nor fail with
it; and the document is a pure function of validated data (dated by the validation, not by the
download), so every later download is the same bytes and the archive keeps it once. A commune's
needs reopened and validated again give a new document, archived as a new version.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import render_template
from sqlalchemy import select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import NeedLine, Submission
from groupement.campaigns.participation import participant, previous_quantities
from groupement.campaigns.rules import SubmissionStatus
from groupement.catalog.models import CatalogItem
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.archive import archive, archived_documents, serialise_first_archiving
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import NotFound
from groupement.core.files.pdf import html_to_pdf
from groupement.core.formatting import euros, number
from groupement.core.money import line_amount, to_cents
from groupement.core.timeutil import to_paris
from groupement.extensions import db
from groupement.organisations import scope
from groupement.organisations.letterhead import letterhead_for
from groupement.organisations.user_models import User

KIND = "etat_des_besoins_valide"
OBJECT_TYPE = "submission"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class NeedsPdfLine:
    ref: str
    designation: str
    unit: str
    quantity: int
    previous: int | None  # last year's quantity of the same item; None: not asked last year
    unit_price: Decimal
    amount_ht: Decimal


@dataclass(frozen=True)
class NeedsPdfFamily:
    label: str
    lines: list[NeedsPdfLine]
    total_ht: Decimal
    previous_total_ht: Decimal  # last year's quantities of the same items at this year's prices


def unit_euros(price: Decimal) -> str:
    """849,00 €, but 4,215 € for a catalog price to the tenth of a cent."""
    if to_cents(price) == price:
        return euros(price)
    return f"{number(price, min(max(-price.normalize().as_tuple().exponent, 2), 4))}\u00a0€"


def needs_pdf_file(actor: Actor, campaign_id: int, commune_id: int) -> tuple[bytes, str]:
    """The PDF and its file name; NotFound out of scope (another commune, another coordinator's
    campaign) and while the needs are not validated."""
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    if actor.role in COMMUNE_ROLES and commune_id != actor.organisation_id:
        raise NotFound("Commune introuvable.")
    commune = participant(campaign, commune_id)
    # The commune's one submission in this campaign, both checked above (scope, participant).
    submission = db.session.execute(
        select(Submission.id, Submission.status, Submission.validated_at, Submission.updated_by_id).where(
            Submission.campaign_id == campaign.id, Submission.commune_id == commune.id
        )
    ).one_or_none()
    if submission is None or submission.status is not SubmissionStatus.VALIDATED or submission.validated_at is None:
        raise NotFound("Les besoins de la commune ne sont pas validés : pas encore d'état des besoins validé.")
    validation = db.session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == "submission.validate",
            AuditEvent.object_type == "submission",
            AuditEvent.object_id == str(submission.id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    signatory_id = validation.actor_id if validation else submission.updated_by_id
    signatory = db.session.scalar(scope.users(actor).where(User.id == signatory_id)) if signatory_id else None
    validated_at = to_paris(submission.validated_at)

    previous = previous_quantities(campaign, commune.id)
    rows = db.session.execute(
        select(NeedLine.quantity, CatalogItem.id, CatalogItem.ref, CatalogItem.designation, CatalogItem.unit)
        .add_columns(CatalogItem.unit_price_ht, CatalogItem.family)
        .join(CatalogItem, CatalogItem.id == NeedLine.item_id)
        .where(NeedLine.submission_id == submission.id, NeedLine.quantity > 0)
        .order_by(CatalogItem.family, CatalogItem.ref)
    ).all()
    families: dict[object, list] = {}
    for row in rows:
        families.setdefault(row.family, []).append(row)
    blocks = []
    for family, members in families.items():
        lines = [
            NeedsPdfLine(
                ref=row.ref,
                designation=row.designation,
                unit=row.unit,
                quantity=row.quantity,
                previous=previous.get(row.id),
                unit_price=row.unit_price_ht,
                amount_ht=line_amount(row.quantity, row.unit_price_ht),
            )
            for row in members
        ]
        blocks.append(
            NeedsPdfFamily(
                label=family.label,
                lines=lines,
                total_ht=sum((line.amount_ht for line in lines), ZERO),
                previous_total_ht=sum(
                    (line_amount(line.previous, line.unit_price) for line in lines if line.previous), ZERO
                ),
            )
        )
    coordinator_id = campaign.groupement.coordinator_id
    html = render_template(
        "pdf/needs.html",
        letterhead=letterhead_for(coordinator_id),
        pdf_title=f"État des besoins validé — {campaign.title} — {commune.name}",
        document_title="État des besoins validé",
        reference=f"{campaign.title} — {commune.name}",
        issued_on=validated_at.date(),
        campaign=campaign,
        commune=commune,
        families=blocks,
        total_ht=sum((block.total_ht for block in blocks), ZERO),
        previous_total_ht=sum((block.previous_total_ht for block in blocks), ZERO),
        has_previous=bool(previous),
        signatory=signatory.name if signatory else "",
        validated_at=validated_at,
        unit_euros=unit_euros,
    )
    content = html_to_pdf(html)
    file_name = f"etat-des-besoins-{campaign.year}-{commune.insee_code or commune.id}.pdf"
    serialise_first_archiving(OBJECT_TYPE, submission.id, KIND)
    kept = archived_documents(coordinator_id, OBJECT_TYPE, submission.id)
    if not kept or kept[0].content != content:
        archive(
            actor_id=actor.user_id,
            coordinator_id=coordinator_id,
            object_type=OBJECT_TYPE,
            object_id=submission.id,
            kind=KIND,
            title=f"État des besoins validé — {campaign.title} — {commune.name}",
            file_name=file_name,
            content=content,
        )
    return content, file_name
