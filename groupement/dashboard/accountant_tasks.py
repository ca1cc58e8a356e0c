"""The accountant's to-do list: invoices to check, blocking anomalies, splits to do, titles to issue,
invoices blocked by a fatal official rule, unpaid titles past due. Four queries, through invoices/scope.py."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from groupement.core.access import Actor
from groupement.core.formatting import date_fr, euros
from groupement.dashboard.tasks import Task, Urgency, by_urgency, plural
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.models import InvoiceCheck
from groupement.invoices.official_findings import officially_blocked_ids
from groupement.invoices.states import CheckKind, CheckResolution, InvoiceStatus
from groupement.invoices.title_rules import TitleKind, TitleStatus

BEFORE_SPLIT = (InvoiceStatus.IMPORTED, InvoiceStatus.CHECKED, InvoiceStatus.DISPUTED)


def accountant_tasks(actor: Actor, today: date) -> list[Task]:
    invoices = invoice_scope.invoices(actor).subquery()
    # An anomaly blocks the split until accepted with a comment (invoices.matching.blocking_checks).
    blocked = (
        select(InvoiceCheck.invoice_id)
        .where(
            InvoiceCheck.ok.is_(False),
            InvoiceCheck.kind.in_((CheckKind.IDENTITY, CheckKind.CONTRACT)),
            InvoiceCheck.resolution != CheckResolution.ACCEPTED,
        )
        .distinct()
        .subquery()
    )
    counts: dict[tuple[InvoiceStatus, bool], int] = {}
    oldest: dict[InvoiceStatus, date] = {}
    for status, is_blocked, count, first in db.session.execute(
        select(
            invoices.c.status,
            blocked.c.invoice_id.is_not(None),
            func.count(),
            func.min(invoices.c.issue_date),
        )
        .outerjoin(blocked, blocked.c.invoice_id == invoices.c.id)
        .group_by(invoices.c.status, blocked.c.invoice_id.is_not(None))
    ).all():
        status = InvoiceStatus(status)
        counts[(status, bool(is_blocked))] = count
        if first and (status not in oldest or first < oldest[status]):
            oldest[status] = first

    def count(status: InvoiceStatus, *, blocked: bool | None = None) -> int:
        flags = (True, False) if blocked is None else (blocked,)
        return sum(counts.get((status, flag), 0) for flag in flags)

    to_check = count(InvoiceStatus.IMPORTED)
    anomalies = sum(count(s, blocked=True) for s in (InvoiceStatus.CHECKED, InvoiceStatus.DISPUTED))
    to_split = count(InvoiceStatus.CHECKED, blocked=False)
    to_title = count(InvoiceStatus.SPLIT)
    tasks = [
        Task(
            "invoices_to_check",
            f"{plural(to_check, 'facture')} à rapprocher des commandes",
            to_check,
            "invoices.board",
            {"statut": InvoiceStatus.IMPORTED.value},
            when=_oldest(oldest.get(InvoiceStatus.IMPORTED)),
        ),
        Task(
            "blocking_anomalies",
            f"{plural(anomalies, 'facture')} {'bloquée' if anomalies < 2 else 'bloquées'} par une anomalie",
            anomalies,
            "invoices.board",
            {},
            urgency=Urgency.LATE,
            detail="Acceptez chaque anomalie avec un commentaire, contestez-la ou rejetez la facture.",
        ),
        Task(
            "invoices_to_split",
            f"{plural(to_split, 'facture')} à répartir entre les communes",
            to_split,
            "invoices.board",
            {"statut": InvoiceStatus.CHECKED.value},
            urgency=Urgency.SOON,
        ),
        Task(
            "titles_to_issue",
            f"{plural(to_title, 'facture répartie', 'factures réparties')} sans titres de recettes",
            to_title,
            "invoices.board",
            {"statut": InvoiceStatus.SPLIT.value},
            urgency=Urgency.SOON,
        ),
        _officially_blocked(invoices),
        _titles_past_due(actor, today),
    ]
    return by_urgency(tasks)


def _officially_blocked(invoices) -> Task:
    """Invoices whose split a fatal official EN 16931 rule stops: no comment can accept them, the
    supplier must send a corrected invoice (the accountant rejects this one with its reason)."""
    count = db.session.scalar(
        select(func.count()).select_from(invoices).where(invoices.c.id.in_(officially_blocked_ids()))
    )
    return Task(
        "officially_blocked",
        f"{plural(count, 'facture')} {'bloquée' if count < 2 else 'bloquées'} par une règle officielle EN 16931",
        count,
        "invoices.board",
        {"officiel": "bloquee"},
        urgency=Urgency.LATE,
        detail="À rejeter avec le motif : le fournisseur doit envoyer une facture corrigée.",
    )


def _oldest(first: date | None) -> str:
    return f"la plus ancienne du {date_fr(first)}" if first else ""


def _titles_past_due(actor: Actor, today: date) -> Task:
    titles = invoice_scope.titles(actor).subquery()
    count, remaining, first_due = db.session.execute(
        select(func.count(), func.sum(titles.c.amount_ttc - titles.c.paid_total), func.min(titles.c.due_date))
        .select_from(titles)
        .where(
            titles.c.kind == TitleKind.TITLE,
            titles.c.status == TitleStatus.ISSUED,  # a cancelled title is CANCELLED
            titles.c.due_date < today,
            titles.c.paid_total < titles.c.amount_ttc,
        )
    ).one()
    return Task(
        "titles_past_due",
        f"{plural(count, 'titre')} {'impayé' if count < 2 else 'impayés'} après l'échéance",
        count,
        "invoices.board",
        {"statut": InvoiceStatus.RECOVERED.value},
        urgency=Urgency.LATE,
        due_on=first_due,
        when=f"échu depuis le {date_fr(first_due)}" if first_due else "",
        detail=f"Reste à encaisser : {euros(remaining)}." if remaining else "",
    )
