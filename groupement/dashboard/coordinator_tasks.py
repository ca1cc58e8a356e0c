"""The coordinator's to-do list: late communes (and the last reminder sent), submitted needs that
aggregation would leave out, lots to publish, offers to score, contracts near their maximum or
their end. A fixed number of set-based queries, through the features' scoped queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.board import CampaignSummary
from groupement.campaigns.models import CampaignReminder, Submission
from groupement.campaigns.reminder_rules import reminder_interval
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.contracts import scope as contract_scope
from groupement.contracts.award_queries import standstill_periods
from groupement.contracts.models import Contract, Order
from groupement.contracts.order_rules import ConsumptionLevel, consumption_level, contract_end
from groupement.contracts.renewal_rules import pending
from groupement.contracts.renewals import state_of, terms_of
from groupement.core.access import Actor
from groupement.core.formatting import date_fr, datetime_fr
from groupement.core.timeutil import to_paris, utcnow
from groupement.dashboard.tasks import Task, Urgency, by_urgency, plural, urgency_of
from groupement.extensions import db
from groupement.lots.models import Lot
from groupement.lots.rules import LotStatus
from groupement.tenders.models import AwardCriteria, Offer

CONTRACT_END_DAYS = 90  # a contract ending within this many days is announced
CONTRACTS_NAMED = 3  # contracts named in a task's detail


def coordinator_tasks(actor: Actor, campaigns: list[CampaignSummary], today: date) -> list[Task]:
    tasks = _campaign_tasks(campaigns, today)
    tasks += _lots_to_publish(actor)
    tasks += _offers_to_score(actor)
    tasks += _contracts_to_watch(actor, today)
    tasks += _standstill_tasks(actor, today)
    tasks += _renewals_to_decide(actor, today)
    return by_urgency(tasks)


def _campaign_tasks(campaigns: list[CampaignSummary], today: date) -> list[Task]:
    """Open campaigns: the communes that have not validated, with the last reminder sent.
    Open or closed, not aggregated yet: the needs submitted but not validated, which aggregation
    (validated needs only) would leave out."""
    watched = [s for s in campaigns if s.status in (CampaignStatus.OPEN, CampaignStatus.CLOSED)]
    if not watched:
        return []
    ids = [s.campaign.id for s in watched]
    submitted = dict(
        db.session.execute(
            select(Submission.campaign_id, func.count())
            .where(Submission.campaign_id.in_(ids), Submission.status == SubmissionStatus.SUBMITTED)
            .group_by(Submission.campaign_id)
        ).all()
    )
    reminded = _reminders(ids, today)
    tasks = []
    for summary in watched:
        campaign = summary.campaign
        due_on = to_paris(campaign.closes_at).date()
        board = {"endpoint": "campaigns.board", "params": {"campaign_id": campaign.id}}
        late = summary.participants - summary.validated
        # Reminded within the interval, a late commune awaits nothing from the coordinator until
        # the next reminder is possible: once all are, the task leaves the home.
        last, recently = reminded.get(campaign.id, (None, 0))
        to_remind = late - min(late, recently or 0)
        if summary.status is CampaignStatus.OPEN and to_remind > 0:
            label = f"{plural(late, 'commune')} sans besoins validés"
            if to_remind < late:
                label = f"{plural(to_remind, 'commune')} à relancer ({label})"
            tasks.append(
                Task(
                    "late_communes",
                    f"« {campaign.title} » : {label}",
                    to_remind,
                    urgency=urgency_of(due_on, today),
                    due_on=due_on,
                    when=f"date limite le {datetime_fr(campaign.closes_at)}",
                    detail=f"Dernière relance le {datetime_fr(last)}." if last else "Aucune relance envoyée.",
                    **board,
                )
            )
        waiting = submitted.get(campaign.id, 0)
        if waiting:
            closed = summary.status is CampaignStatus.CLOSED
            tasks.append(
                Task(
                    "submitted_not_validated",
                    f"« {campaign.title} » : {plural(waiting, 'commune')} "
                    f"{'a' if waiting < 2 else 'ont'} soumis sans validation du signataire",
                    waiting,
                    urgency=Urgency.LATE if closed else urgency_of(due_on, today),
                    due_on=due_on,
                    when=f"saisie close le {datetime_fr(campaign.closes_at)}"
                    if closed
                    else f"date limite le {datetime_fr(campaign.closes_at)}",
                    detail="L'agrégation ne retient que les besoins validés : ces besoins en seraient exclus.",
                    **board,
                )
            )
    return tasks


def _campaign_ids(actor: Actor):
    reached = campaign_scope.campaigns(actor).subquery()
    return select(reached.c.id)


def _reminders(campaign_ids: list[int], today: date) -> dict[int, tuple]:
    """Per campaign, in one query: the last reminder sent to any commune, and how many communes not
    validated were reminded less than the interval ago."""
    cutoff = utcnow() - reminder_interval(today)
    still_late = or_(Submission.id.is_(None), Submission.status != SubmissionStatus.VALIDATED)
    rows = db.session.execute(
        select(
            CampaignReminder.campaign_id,
            func.max(CampaignReminder.sent_at),
            func.sum(case((and_(CampaignReminder.sent_at > cutoff, still_late), 1), else_=0)),
        )
        .outerjoin(
            Submission,
            and_(
                Submission.campaign_id == CampaignReminder.campaign_id,
                Submission.commune_id == CampaignReminder.commune_id,
            ),
        )
        .where(CampaignReminder.campaign_id.in_(campaign_ids))
        .group_by(CampaignReminder.campaign_id)
    )
    return {campaign_id: (last, recently) for campaign_id, last, recently in rows}


def _lots_to_publish(actor: Actor) -> list[Task]:
    rows = db.session.execute(
        select(Lot.campaign_id, func.count())
        .where(Lot.campaign_id.in_(_campaign_ids(actor)), Lot.status == LotStatus.DRAFT)
        .group_by(Lot.campaign_id)
    ).all()
    return [
        Task(
            "lots_to_publish",
            f"{plural(count, 'lot')} à publier",
            count,
            "lots.index",
            {"campaign_id": campaign_id},
            detail="Un lot publié est figé : ses fichiers de consultation sont alors à jour.",
        )
        for campaign_id, count in rows
    ]


def _offers_to_score(actor: Actor) -> list[Task]:
    """Offers on a published lot still missing a technical (or, when weighted, environmental) score."""
    unscored = or_(
        and_(Offer.technical_score.is_(None), func.coalesce(AwardCriteria.technical_weight, 1) > 0),
        and_(Offer.environmental_score.is_(None), func.coalesce(AwardCriteria.environmental_weight, 0) > 0),
    )
    rows = db.session.execute(
        select(Lot.id, Lot.number, Lot.title, func.count(Offer.id))
        .join(Offer, Offer.lot_id == Lot.id)
        .outerjoin(AwardCriteria, AwardCriteria.lot_id == Lot.id)
        .where(Lot.campaign_id.in_(_campaign_ids(actor)), Lot.status == LotStatus.PUBLISHED, unscored)
        .group_by(Lot.id, Lot.number, Lot.title)
        .order_by(Lot.number)
    ).all()
    return [
        Task(
            "offers_to_score",
            f"Lot {number} « {title} » : {plural(count, 'offre')} à noter",
            count,
            "offers.index",
            {"lot_id": lot_id},
        )
        for lot_id, number, title, count in rows
    ]


def _contracts_to_watch(actor: Actor, today: date) -> list[Task]:
    """Contracts whose orders reached 80 % of the maximum, and contracts ending within 90 days."""
    ordered = (
        select(Order.contract_id, func.sum(Order.total_ht).label("ordered")).group_by(Order.contract_id).subquery()
    )
    reached = contract_scope.contracts(actor).with_only_columns(Contract.id).subquery()
    rows = db.session.execute(
        select(
            Contract.id,
            Contract.number,
            Contract.maximum_amount,
            Contract.start_date,
            Contract.duration_months + Contract.renewed_periods * Contract.renewal_months,  # renewals included
            func.coalesce(ordered.c.ordered, 0),
        )
        .outerjoin(ordered, ordered.c.contract_id == Contract.id)
        .where(Contract.id.in_(select(reached.c.id)))
        .order_by(Contract.number)
    ).all()
    near_maximum, beyond, ending = [], [], []
    for _, number, maximum, start, months, total in rows:
        level = consumption_level(Decimal(total), maximum)
        if level is ConsumptionLevel.REFUSED:
            beyond.append(number)
        elif level is ConsumptionLevel.WARNING:
            near_maximum.append(number)
        end = contract_end(start, months)
        if start <= today <= end and (end - today).days <= CONTRACT_END_DAYS:
            ending.append((end, number))
    tasks = []
    if beyond or near_maximum:
        count = len(beyond) + len(near_maximum)
        tasks.append(
            Task(
                "contracts_near_maximum",
                f"{plural(count, 'marché')} à 80 % ou plus de {'son' if count < 2 else 'leur'} montant maximum",
                count,
                "contracts.index",
                urgency=Urgency.LATE if beyond else Urgency.SOON,
                detail=_named(beyond + near_maximum),
            )
        )
    if ending:
        ending.sort()
        first_end = ending[0][0]
        tasks.append(
            Task(
                "contracts_ending",
                f"{plural(len(ending), 'marché')} "
                f"{'arrive' if len(ending) < 2 else 'arrivent'} à échéance dans les {CONTRACT_END_DAYS} jours",
                len(ending),
                "contracts.index",
                urgency=urgency_of(first_end, today, soon_days=30),
                due_on=first_end,
                when=f"premier terme le {date_fr(first_end)}",
                detail=_named([number for _, number in ending]) + " Préparez le renouvellement de la consultation.",
            )
        )
    return tasks


def _named(numbers: list[str]) -> str:
    shown = ", ".join(numbers[:CONTRACTS_NAMED])
    more = len(numbers) - CONTRACTS_NAMED
    tail = f" et {plural(more, 'autre')}" if more > 0 else ""
    return f"{shown}{tail}."


def _standstill_tasks(actor: Actor, today: date) -> list[Task]:
    """Lots whose rejection letters are sent: the standstill period still running (notification
    possible from the day after its last day), or over (the contract may now be notified)."""
    periods = standstill_periods(actor)
    over = [p for p in periods if p.standstill_last_day < today]
    running = [p for p in periods if p.standstill_last_day >= today]
    tasks = []
    if over:
        tasks.append(
            Task(
                "standstill_over",
                f"{plural(len(over), 'lot')} à notifier : délai de suspension échu",
                len(over),
                "contracts.award_form",
                {"lot_id": over[0].lot_id},
                urgency=Urgency.LATE,
                due_on=over[0].standstill_last_day,
                when=f"échu le {date_fr(over[0].standstill_last_day)}",
                detail=_named([f"lot n° {p.lot.number}" for p in over]),
            )
        )
    if running:
        first = running[0].standstill_last_day
        tasks.append(
            Task(
                "standstill_running",
                f"{plural(len(running), 'délai')} de suspension en cours",
                len(running),
                "contracts.award_form",
                {"lot_id": running[0].lot_id},
                urgency=urgency_of(first, today, soon_days=3),
                due_on=first,
                when=f"notification possible à partir du {date_fr(first + timedelta(days=1))}",
                detail=_named([f"lot n° {p.lot.number}" for p in running]),
            )
        )
    return tasks


RENEWAL_NOTICE_DAYS = 60  # a renewal decision due within this many days is announced


def _renewals_to_decide(actor: Actor, today: date) -> list[Task]:
    """Contracts with a renewal period still to decide whose notice deadline falls within 60 days
    (or has just passed while the current period runs: without a decision, no renewal)."""
    contracts = db.session.scalars(
        contract_scope.contracts(actor)
        .where(Contract.renewal_count > Contract.renewed_periods, Contract.renewals_closed.is_(False))
        .order_by(Contract.number)
    ).all()
    due = []
    for contract in contracts:
        next_period = pending(terms_of(contract), state_of(contract), today)
        if next_period is not None and (next_period.deadline - today).days <= RENEWAL_NOTICE_DAYS:
            due.append((next_period.deadline, contract))
    if not due:
        return []
    due.sort(key=lambda pair: (pair[0], pair[1].number))
    first, contract = due[0]
    return [
        Task(
            "renewals_to_decide",
            f"{plural(len(due), 'reconduction')} à décider",
            len(due),
            "contracts.life",
            {"contract_id": contract.id},
            urgency=urgency_of(first, today, soon_days=15),
            due_on=first,
            when=f"date limite le {date_fr(first)}" if first >= today else f"date limite dépassée le {date_fr(first)}",
            detail=_named([c.number for _, c in due])
            + " Sans décision expresse avant la date limite, le marché n'est pas reconduit.",
        )
    ]
