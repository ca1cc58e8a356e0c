"""The DECP open data: the essential data of the framework contracts to publish (CCP R2196-1).

A contract is due when its maximum amount HT is at or above the DECP threshold in force on its
notification date (``lots.procedures.threshold("decp", notified_on)``) and it is notified
(notification date on or before the export day: a date still to come is not published yet).
Each due contract becomes an entry of the document (groupement/contracts/decp_json.py does the mapping), or,
when data is missing, a ``ContractProblem`` that says what to fill in: never an entry half-empty.

The considerations come from what the award used: the lot's award criteria (an environmental
weight above zero is "Critère environnemental") and the clauses recorded on the lot.

``decp_report`` reads only (the page maps one page of ``due_statement`` through ``map_due``:
contracts/decp_page.py). ``export_decp`` (the download, the CLI) also stores, on each exported
contract published for the first time, the day of that first publication: the
document's ``datePublicationDonnees``, kept for every later export (one audit event per contract).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, select, true
from sqlalchemy.orm import aliased

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign
from groupement.contracts import decp_json as decp_io
from groupement.contracts.decp_modifications import mark_published, modifications_of
from groupement.contracts.models import Contract
from groupement.core import audit
from groupement.core.access import Actor
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine
from groupement.lots.procedures import THRESHOLDS
from groupement.lots.queries import line_amount
from groupement.organisations.models import Groupement, Organisation
from groupement.tenders.models import AwardCriteria, Supplier

# The lowest DECP threshold ever in force: the SQL pre-filter; the exact one is chosen per date.
DECP_FLOOR = min(item.value for item in THRESHOLDS if item.key == "decp")


@dataclass(frozen=True)
class ContractProblem:
    """A due contract left out of the document, with what is missing (French, "field : reason")."""

    contract_number: str
    missing: list[str]
    label: str = ""  # "<lot title> — <campaign title>", for the page


@dataclass(frozen=True)
class ExportedContract:
    """A contract written in the document, as the page lists it."""

    number: str
    label: str
    supplier_name: str
    notified_on: date
    maximum_amount: Decimal
    first_published_on: date | None = None  # None: this export would be its first publication


@dataclass
class DecpReport:
    document: dict[str, Any]
    exported: list[ExportedContract] = field(default_factory=list)
    problems: list[ContractProblem] = field(default_factory=list)
    published_on: date | None = None
    # The exported contracts never published before: export_decp stores their first publication.
    first_publications: list[Contract] = field(default_factory=list, repr=False)
    # Their amendments and renewals, whose first publication date is stored likewise.
    modification_rows: list = field(default_factory=list, repr=False)

    @property
    def filename(self) -> str:
        return f"decp-{self.published_on:%Y-%m-%d}.json"


def decp_document(today: date, actor: Actor) -> tuple[dict[str, Any], list[ContractProblem]]:
    """The DECP document of the due contracts, published on ``today``, and the contracts left out.

    Only the contracts of the groupements the actor coordinates: each coordinator (the buyer)
    publishes its own; the CLI acts for one coordinator (``acting_for``).
    """
    report = decp_report(today, actor)
    return report.document, report.problems


def decp_report(today: date, actor: Actor) -> DecpReport:
    """The due contracts of the actor's coordinator, mapped to DECP entries or listed as incomplete."""
    return map_due(db.session.execute(due_statement(today, actor)).all(), today)


def due_statement(today: date, actor: Actor) -> Select:
    """The due contracts of the groupements the actor coordinates, with their lot, campaign, buyer
    and supplier, oldest notified first: due in SQL (the threshold in force on each notification
    date), so that a page of them can be read alone."""
    coordinator = aliased(Organisation)
    return (
        select(Contract, Lot, Campaign, coordinator, Supplier)
        .join(Lot, Lot.id == Contract.lot_id)
        .join(Campaign, Campaign.id == Lot.campaign_id)
        .join(Groupement, Groupement.id == Campaign.groupement_id)
        .join(coordinator, coordinator.id == Groupement.coordinator_id)
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .where(
            Contract.maximum_amount >= _decp_threshold(Contract.notified_on),
            Contract.notified_on <= today,
            Campaign.id.in_(campaign_scope.campaigns(actor).with_only_columns(Campaign.id)),
        )
        .order_by(Contract.notified_on, Contract.number)
    )


def _decp_threshold(notified_on) -> ColumnElement:
    """lots.procedures.threshold("decp", notified_on) in SQL; a date no threshold covers takes the
    lowest ever in force (publishing is never wrong)."""
    periods = [
        (
            and_(
                true() if item.effective_from is None else notified_on >= item.effective_from,
                true() if item.effective_to is None else notified_on <= item.effective_to,
            ),
            item.value,
        )
        for item in THRESHOLDS
        if item.key == "decp"
    ]
    return case(*periods, else_=DECP_FLOOR)


def map_due(rows, today: date) -> DecpReport:
    """These due contracts (rows of due_statement) mapped to DECP entries, or listed as incomplete."""
    lines = _counted_lines([lot.id for _, lot, _, _, _ in rows])
    criteria = _criteria([lot.id for _, lot, _, _, _ in rows])

    report = DecpReport(document={}, published_on=today)
    entries = []
    modifications = modifications_of([row[0] for row in rows])
    for contract, lot, campaign, buyer, supplier in rows:
        changes = modifications.get(contract.id, [])
        social, environmental = decp_io.considerations(considerations_of(lot, criteria.get(lot.id)))
        mapped = decp_io.contract_entry(
            decp_io.DecpContract(
                number=contract.number,
                lot_title=lot.title,
                campaign_title=campaign.title,
                family=lot.family,
                lines=tuple(lines[lot.id]),
                buyer_siret=buyer.siret,
                buyer_postcode=buyer.postcode,
                supplier_siret=supplier.siret,
                procedure=contract.procedure,
                ccag=lot.ccag,
                offers_received=contract.offers_received,
                duration_months=contract.duration_months,
                notified_on=contract.notified_on,
                maximum_amount=contract.initial_maximum,
                social_considerations=social,
                environmental_considerations=environmental,
                origin_eu_percent=contract.origin_eu_percent,
                origin_france_percent=contract.origin_france_percent,
                price_type=contract.price_type.value,
                first_published_on=contract.first_published_on,
                modifications=tuple(change for change, _ in changes),
            ),
            published_on=today,
        )
        label = f"{lot.title} — {campaign.title}"
        if mapped.entry is None:
            report.problems.append(ContractProblem(contract.number, list(mapped.missing), label))
            continue
        entries.append(mapped.entry)
        report.modification_rows += [row for _, row in changes if row.published_on is None]
        if contract.first_published_on is None:
            report.first_publications.append(contract)
        report.exported.append(
            ExportedContract(
                contract.number,
                label,
                supplier.name,
                contract.notified_on,
                contract.maximum_amount,
                contract.first_published_on,
            )
        )
    report.document = decp_io.document(entries)
    return report


def decp_json(report: DecpReport) -> str:
    return decp_io.dumps(report.document)


def export_decp(today: date, actor: Actor) -> DecpReport:
    """The report of the export (download or CLI): the contracts published for the first time
    keep ``today`` as their date of first publication; the others keep theirs."""
    report = decp_report(today, actor)
    mark_published(report.modification_rows, today)
    for contract in report.first_publications:
        contract.first_published_on = today
        db.session.flush()
        audit.record(
            actor.user_id,
            "decp.first_publication",
            "contract",
            contract.id,
            before={"first_published_on": None},
            after={"number": contract.number, "first_published_on": today},
        )
    return report


def considerations_of(lot: Lot, criteria: AwardCriteria | None) -> decp_io.Considerations:
    """What the award of the lot used: its criteria's weights and the clauses recorded on it.
    (The award criteria have no social criterion yet: only the clauses give social values.)"""
    return decp_io.Considerations(
        environmental_weight=criteria.environmental_weight if criteria is not None else None,
        social_weight=None,
        social_clause=lot.social_clause,
        environmental_clause=lot.environmental_clause,
        reserved_market=lot.reserved_market,
    )


def _criteria(lot_ids: list[int]) -> dict[int, AwardCriteria]:
    if not lot_ids:
        return {}
    return {
        row.lot_id: row for row in db.session.scalars(select(AwardCriteria).where(AwardCriteria.lot_id.in_(lot_ids)))
    }


def _counted_lines(lot_ids: list[int]) -> dict[int, list[decp_io.DecpLine]]:
    """The lines of the lots that are part of the tender (not excluded), in one query."""
    lines: dict[int, list[decp_io.DecpLine]] = defaultdict(list)
    if not lot_ids:
        return lines
    statement = (
        select(LotLine)
        .where(LotLine.lot_id.in_(set(lot_ids)), LotLine.excluded_reason.is_(None))
        .order_by(LotLine.lot_id, LotLine.position)
    )
    for line in db.session.scalars(statement):
        lines[line.lot_id].append(decp_io.DecpLine(line.cpv_code, line_amount(line)))
    return lines
