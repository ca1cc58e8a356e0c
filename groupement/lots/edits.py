"""The officer's edits of draft lots (move lines, split, merge, rename, exclude, parameters) and
their publication, which freezes them; the open data of a lot (CCAG and clauses, for the DECP),
recorded at any stage since they are published after the award. Flushes and audits; the
request commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from groupement.campaigns import scope as campaign_scope
from groupement.core import audit
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.money import to_cents
from groupement.core.timeutil import paris_today, utcnow
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine
from groupement.lots.queries import lot_view
from groupement.lots.rules import MAX_DURATION_MONTHS, Ccag, LotStatus


def move_lines(
    actor: Actor, campaign_id: int, line_ids: Sequence[int], target_lot_id: int | None = None, new_title: str = ""
) -> Lot:
    """Move lines to another draft lot of the campaign, or to a new lot titled new_title (split)."""
    _require_coordinator(actor)
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    lines = db.session.scalars(
        select(LotLine)
        .where(LotLine.campaign_id == campaign.id, LotLine.id.in_(line_ids))
        .options(selectinload(LotLine.lot))
    ).all()
    if not lines or len(lines) != len(set(line_ids)):
        raise ServiceError("Sélectionnez au moins une ligne de cette campagne.")
    for line in lines:
        _ensure_draft(line.lot)
    families = {line.lot.family for line in lines}
    if target_lot_id is not None:
        target = _lot_of_campaign(campaign.id, target_lot_id)
        _ensure_draft(target)
    else:
        if not new_title.strip():
            raise ServiceError("Donnez un intitulé au nouveau lot.")
        if len(families) > 1:
            raise ServiceError("Un lot ne mélange pas les familles : sélectionnez des lignes d'une seule famille.")
        target = Lot(
            campaign_id=campaign.id, number=_next_number(campaign.id), title=new_title.strip(), family=families.pop()
        )
        db.session.add(target)
        db.session.flush()
        audit.record(
            actor.user_id, "lot.create", "lot", target.id, after={"number": target.number, "title": target.title}
        )
    if any(line.lot.family is not target.family for line in lines):
        raise ServiceError(f"Le lot n° {target.number} ne porte que sur la famille « {target.family.label} ».")
    position = _last_position(target.id)
    for line in sorted(lines, key=lambda x: (x.lot.number, x.position)):
        if line.lot_id == target.id:
            continue
        position += 1
        audit.record(
            actor.user_id,
            "lot_line.move",
            "lot_line",
            line.id,
            before={"lot": line.lot.number},
            after={"lot": target.number},
        )
        line.lot, line.position = target, position  # through the relationship: both collections follow
    db.session.flush()
    _drop_empty_lots_and_renumber(campaign.id, actor)
    return target


def merge_lots(actor: Actor, campaign_id: int, source_lot_id: int, target_lot_id: int) -> Lot:
    _require_coordinator(actor)
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    source, target = _lot_of_campaign(campaign.id, source_lot_id), _lot_of_campaign(campaign.id, target_lot_id)
    if source.id == target.id:
        raise ServiceError("Choisissez deux lots différents.")
    line_ids = [line.id for line in source.lines]
    return move_lines(actor, campaign_id, line_ids, target_lot_id=target.id)


def rename_lot(actor: Actor, lot_id: int, title: str) -> Lot:
    lot = _editable_lot(actor, lot_id)
    if not title.strip():
        raise ServiceError("L'intitulé du lot est obligatoire.")
    audit.record(
        actor.user_id, "lot.rename", "lot", lot.id, before={"title": lot.title}, after={"title": title.strip()}
    )
    lot.title = title.strip()
    db.session.flush()
    return lot


def visible_line(actor: Actor, line_id: int) -> LotLine:
    """A lot line of a campaign the actor sees; NotFound otherwise."""
    line = db.session.get(LotLine, line_id)
    if line is None:
        raise NotFound("Ligne introuvable.")
    campaign_scope.get_campaign(actor, line.campaign_id)
    return line


def exclude_line(actor: Actor, line_id: int, reason: str | None) -> LotLine:
    """Exclude a line from its lot with a reason, or bring it back with reason None."""
    _require_coordinator(actor)
    line = visible_line(actor, line_id)
    _ensure_draft(line.lot)
    if reason is not None and not reason.strip():
        raise ServiceError("Le motif d'exclusion est obligatoire.")
    audit.record(
        actor.user_id,
        "lot_line.exclude" if reason else "lot_line.include",
        "lot_line",
        line.id,
        before={"excluded_reason": line.excluded_reason},
        after={"excluded_reason": reason.strip() if reason else None},
    )
    line.excluded_reason = reason.strip() if reason else None
    db.session.flush()
    return line


def set_lot_parameters(
    actor: Actor,
    lot_id: int,
    duration_months: int,
    margin_percent: Decimal,
    maximum_amount: Decimal | None,
    launch_date: date | None,
) -> Lot:
    lot = _editable_lot(actor, lot_id)
    if not 1 <= duration_months <= MAX_DURATION_MONTHS:
        raise ServiceError(f"La durée d'un accord-cadre est de 1 à {MAX_DURATION_MONTHS} mois (art. R2162-4).")
    if margin_percent < 0 or margin_percent > 100:
        raise ServiceError("La marge doit être comprise entre 0 et 100 %.")
    if maximum_amount is not None and maximum_amount <= 0:
        raise ServiceError("Le montant maximum doit être positif.")
    before = {
        "duration_months": lot.duration_months,
        "margin_percent": lot.margin_percent,
        "maximum_amount": lot.maximum_amount,
        "launch_date": lot.launch_date,
    }
    lot.duration_months, lot.margin_percent = duration_months, margin_percent
    lot.maximum_amount = to_cents(maximum_amount) if maximum_amount is not None else None
    lot.launch_date = launch_date
    audit.record(
        actor.user_id,
        "lot.parameters",
        "lot",
        lot.id,
        before=before,
        after={
            "duration_months": duration_months,
            "margin_percent": margin_percent,
            "maximum_amount": lot.maximum_amount,
            "launch_date": launch_date,
        },
    )
    db.session.flush()
    return lot


def set_open_data(
    actor: Actor,
    lot_id: int,
    ccag: str,
    *,
    social_clause: bool,
    environmental_clause: bool,
    reserved_market: bool,
) -> Lot:
    """The lot's CCAG and the clauses of its consultation, as the DECP publishes them.

    Not frozen by publication: they describe the consultation and are published with the
    contract, so the officer may record them until then (and correct them after)."""
    lot = open_data_lot(actor, lot_id)
    try:
        chosen = Ccag(ccag)
    except ValueError:
        raise ServiceError(f"CCAG inconnu « {ccag} » : choisissez un CCAG de la liste.") from None
    before = {
        "ccag": lot.ccag,
        "social_clause": lot.social_clause,
        "environmental_clause": lot.environmental_clause,
        "reserved_market": lot.reserved_market,
    }
    lot.ccag = chosen
    lot.social_clause, lot.environmental_clause = bool(social_clause), bool(environmental_clause)
    lot.reserved_market = bool(reserved_market)
    after = {
        "ccag": lot.ccag,
        "social_clause": lot.social_clause,
        "environmental_clause": lot.environmental_clause,
        "reserved_market": lot.reserved_market,
    }
    audit.record(actor.user_id, "lot.open_data", "lot", lot.id, before=before, after=after)
    db.session.flush()
    return lot


def open_data_lot(actor: Actor, lot_id: int) -> Lot:
    """The lot whose open data the coordinator records (any status), within scope, or NotFound."""
    _require_coordinator(actor)
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("Lot introuvable.")
    campaign_scope.get_campaign(actor, lot.campaign_id)
    return lot


def publish_lot(actor: Actor, lot_id: int, today: date | None = None) -> Lot:
    """Freeze the lot: its lines, quantities, shares and maximum no longer change."""
    lot = _editable_lot(actor, lot_id)
    view = lot_view(lot)
    if not view.counted_lines:
        raise ServiceError(f"Le lot n° {lot.number} n'a aucune ligne retenue : rien à publier.")
    lot.maximum_amount = view.maximum
    lot.launch_date = lot.launch_date or today or paris_today()
    lot.status = LotStatus.PUBLISHED
    lot.published_at, lot.published_by_id = utcnow(), actor.user_id
    audit.record(
        actor.user_id,
        "lot.publish",
        "lot",
        lot.id,
        before={"status": LotStatus.DRAFT},
        after={
            "status": LotStatus.PUBLISHED,
            "maximum_amount": lot.maximum_amount,
            "lines": len(view.counted_lines),
            "yearly_estimate": view.amounts.yearly_estimate,
            "launch_date": lot.launch_date,
        },
    )
    db.session.flush()
    return lot


def publish_lots(actor: Actor, campaign_id: int, lot_ids: list[int], today: date | None = None) -> list[Lot]:
    """Publish several lots of one campaign at once, all or nothing: each is checked as
    publish_lot checks one; if any is refused, nothing is published and every refusal is named."""
    _require_coordinator(actor)
    campaign_scope.get_campaign(actor, campaign_id)
    if not lot_ids:
        raise ServiceError("Cochez au moins un lot à publier.")
    lots = {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.campaign_id == campaign_id))}
    published, refusals = [], []
    for lot_id in sorted(set(lot_ids)):
        if lot_id not in lots:
            raise NotFound("Lot introuvable.")
        try:
            published.append(publish_lot(actor, lot_id, today))
        except (NotFound, Forbidden):
            raise
        except ServiceError as refused:
            refusals.append(f"lot n° {lots[lot_id].number} : {refused}")
    if refusals:
        raise ServiceError(f"Aucun lot n'a été publié ({len(refusals)} refus) : " + " ; ".join(refusals))
    return published


def _require_coordinator(actor: Actor) -> None:
    if actor.role is not Role.COORDINATOR:
        raise Forbidden("Seul le coordonnateur modifie les lots.")


def _ensure_draft(lot: Lot) -> None:
    if lot.status is not LotStatus.DRAFT:
        raise ServiceError(f"Le lot n° {lot.number} est {lot.status.label} : il ne peut plus être modifié.")


def _lot_of_campaign(campaign_id: int, lot_id: int) -> Lot:
    lot = db.session.get(Lot, lot_id)
    if lot is None or lot.campaign_id != campaign_id:
        raise NotFound("Lot introuvable.")
    return lot


def _editable_lot(actor: Actor, lot_id: int) -> Lot:
    _require_coordinator(actor)
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("Lot introuvable.")
    campaign_scope.get_campaign(actor, lot.campaign_id)
    _ensure_draft(lot)
    return lot


def _next_number(campaign_id: int) -> int:
    return (db.session.scalar(select(func.max(Lot.number)).where(Lot.campaign_id == campaign_id)) or 0) + 1


def _last_position(lot_id: int) -> int:
    return db.session.scalar(select(func.max(LotLine.position)).where(LotLine.lot_id == lot_id)) or 0


def _drop_empty_lots_and_renumber(campaign_id: int, actor: Actor) -> None:
    """Lots stay numbered 1..n in order: an emptied draft lot disappears."""
    lots = db.session.scalars(select(Lot).where(Lot.campaign_id == campaign_id).order_by(Lot.number)).all()
    counts = dict(
        db.session.execute(
            select(LotLine.lot_id, func.count()).where(LotLine.campaign_id == campaign_id).group_by(LotLine.lot_id)
        ).all()
    )
    kept = []
    for lot in lots:
        if counts.get(lot.id, 0) == 0 and lot.status is LotStatus.DRAFT:
            audit.record(actor.user_id, "lot.delete", "lot", lot.id, before={"number": lot.number, "title": lot.title})
            db.session.delete(lot)
        else:
            kept.append(lot)
    db.session.flush()
    # Two passes so that the unique (campaign, number) never collides mid-way.
    for lot in kept:
        lot.number = -lot.number
    db.session.flush()
    for number, lot in enumerate(kept, start=1):
        if -lot.number != number:
            audit.record(
                actor.user_id, "lot.renumber", "lot", lot.id, before={"number": -lot.number}, after={"number": number}
            )
        lot.number = number
    db.session.flush()
