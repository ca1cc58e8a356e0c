"""Purchase orders (bons de commande) under the framework contracts, and their deliveries: the commands.

A commune's agent orders at the contract's prices (never the form's), on a day within the
contract's execution period and not before its notification (order_rules.ExecutionPeriod, Paris
today); the contract's maximum
caps the orders of all communes together (warning from 80 %, refusal beyond 100 %); a commune's
validated needs only give warnings. The commune's users record what they receive (service
fait), line by line. Scope: a commune sees its own orders; the coordinator's side sees every
order under the contracts of the groupements it coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from groupement.contracts.consumption import (
    PERCENT_STEP,
    commune_consumption_of,
    contract_prices,
    orderable,
    ordered_total,
)
from groupement.contracts.models import Contract, Delivery, Order, OrderLine
from groupement.contracts.order_file import archive_order_pdf
from groupement.contracts.order_queries import line_in_scope
from groupement.contracts.order_rules import (
    MAX_ORDER_LINES,
    NeedsUse,
    OrderRefused,
    check_consumption,
    check_delivery,
    check_order_date,
    line_amount,
    needs_overruns,
    order_number,
    parse_order_quantity,
)
from groupement.contracts.revisions import prices_in_force
from groupement.core import audit, formatting, transaction
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.money import round_half_up
from groupement.core.timeutil import paris_today, to_paris
from groupement.extensions import db
from groupement.organisations.models import Organisation

MAX_ADDRESS_LENGTH = 500
MAX_ENGAGEMENT_LENGTH = 50  # the column's


# --- placing an order ---------------------------------------------------------------------------


class InvalidOrder(ServiceError):
    """Quantities that cannot be read, per contract price id: nothing is written."""

    def __init__(self, errors: dict[int, str], message: str | None = None):
        self.errors = errors
        count = len(errors)
        super().__init__(
            message
            or f"{count} quantité{'s' if count > 1 else ''} invalide{'s' if count > 1 else ''} : "
            "la commande n'a pas été enregistrée."
        )


@dataclass
class PlacedOrder:
    order: Order
    warnings: list[str] = field(default_factory=list)


def place_order(
    actor: Actor,
    contract_id: int,
    lines: Sequence[tuple[int, object]],
    delivery_address: str,
    today: date | None = None,
    engagement_number: str = "",
) -> Order:
    """The order, numbered, priced from the contract; raises ServiceError on any refusal."""
    return submit_order(actor, contract_id, lines, delivery_address, today, engagement_number).order


def submit_order(
    actor: Actor,
    contract_id: int,
    lines: Sequence[tuple[int, object]],
    delivery_address: str,
    today: date | None = None,
    engagement_number: str = "",
) -> PlacedOrder:
    """place_order, with the warnings for the page (80 % of the maximum, needs exceeded).

    Two orders of the same commune at the same time could compute the same sequence: the
    commune's row is locked (PostgreSQL) and the unique (commune, year, sequence) constraint
    decides otherwise (SQLite); the loser retries once."""
    today = today or paris_today()
    for _attempt in range(2):
        try:
            with transaction.savepoint():
                return _submit(actor, contract_id, lines, delivery_address, today, engagement_number)
        except IntegrityError:
            continue  # the savepoint undid this attempt only
    raise ServiceError("Un autre bon de commande a été enregistré au même instant : réessayez.")


def _submit(
    actor: Actor,
    contract_id: int,
    lines: Sequence[tuple[int, object]],
    delivery_address: str,
    today: date,
    engagement_number: str = "",
) -> PlacedOrder:
    contract, commune = orderable(actor, contract_id, today)
    engagement = (engagement_number or "").strip()
    if "\x00" in engagement:
        raise ServiceError("Le numéro d'engagement contient un caractère interdit (octet nul).")
    if len(engagement) > MAX_ENGAGEMENT_LENGTH:
        raise ServiceError(f"Le numéro d'engagement dépasse {MAX_ENGAGEMENT_LENGTH} caractères.")
    check_order_date(contract.execution_period, today)  # never outside the execution period
    address = (delivery_address or "").strip()
    if not address:
        raise ServiceError("L'adresse de livraison est obligatoire.")
    if len(address) > MAX_ADDRESS_LENGTH:
        raise ServiceError(f"L'adresse de livraison dépasse {MAX_ADDRESS_LENGTH} caractères.")
    quantities = _quantities(contract, lines)

    # Orders of every commune on this contract queue here (the maximum is shared), then the
    # commune's own orders (its sequence). Always in this order: no deadlock.
    db.session.scalar(select(Contract.id).where(Contract.id == contract.id).with_for_update())
    db.session.scalar(select(Organisation.id).where(Organisation.id == commune.id).with_for_update())

    prices = {p.id: p for p in contract_prices(contract.id)}
    in_force = prices_in_force(contract, today)  # revised prices from their date (revisions.py)
    order_lines = [
        OrderLine(
            contract_price_id=price.id,
            item_id=price.item_id,
            quantity=quantity,
            unit_price=in_force.unit_prices[price.id],
            eco_participation=price.eco_participation,
            vat_rate=price.vat_rate,
            amount_ht=line_amount(quantity, in_force.unit_prices[price.id], price.eco_participation),
        )
        for price_id, quantity in quantities.items()
        for price in [prices[price_id]]
    ]
    total = sum((line.amount_ht for line in order_lines), Decimal("0.00"))
    check = check_consumption(contract.maximum_amount, ordered_total(contract.id), total)
    if check.refused:
        raise ServiceError(
            f"Commande refusée : elle porterait les commandes du marché n° {contract.number} à "
            f"{formatting.euros(check.new_total)} HT, au-delà du montant maximum de "
            f"{formatting.euros(contract.maximum_amount)} HT. Montant restant disponible : "
            f"{formatting.euros(check.remaining)} HT ; cette commande : {formatting.euros(total)} HT."
        )

    before = commune_consumption_of(contract, commune)
    by_price = {pl.price.id: pl for pl in before.lines}
    uses = [
        NeedsUse(
            label=f"{by_price[pid].line.ref} {by_price[pid].line.designation}",
            needed=by_price[pid].needed,
            already_ordered=by_price[pid].ordered,
            ordering=quantity,
        )
        for pid, quantity in quantities.items()
    ]

    year = today.year
    sequence = _next_sequence(commune.id, year)
    order = Order(
        number=order_number(commune.insee_code or "", year, sequence),
        contract_id=contract.id,
        commune_id=commune.id,
        year=year,
        sequence=sequence,
        delivery_address=address,
        engagement_number=engagement,
        price_note=in_force.note,
        ordered_on=today,
        total_ht=total,
        created_by_id=actor.user_id,
        lines=order_lines,
    )
    db.session.add(order)
    db.session.flush()
    audit.record(
        actor.user_id,
        "order.create",
        "purchase_order",
        order.id,
        after={
            "number": order.number,
            "contract": contract.number,
            "commune": commune.id,
            "total_ht": total,
            "lines": [
                {"contract_price": line.contract_price_id, "quantity": line.quantity, "amount_ht": line.amount_ht}
                for line in order_lines
            ],
            "consumption": check.ratio,
            "engagement_number": engagement,
            "price_revision": in_force.revision,
        },
    )
    archive_order_pdf(actor, order.id)  # the bon de commande as issued, kept with the order

    warnings = []
    if check.warning:
        warnings.append(
            f"Attention : le marché n° {contract.number} est consommé à "
            f"{formatting.percent(round_half_up(check.ratio * 100, PERCENT_STEP))} de son montant maximum "
            f"({formatting.euros(check.new_total)} HT sur {formatting.euros(contract.maximum_amount)} HT)."
        )
    if in_force.note:
        warnings.append(in_force.note)
    overruns = needs_overruns(uses)
    if overruns:
        warnings.append("Commande au-delà des besoins validés de la commune : " + " ".join(overruns))
    return PlacedOrder(order, warnings)


def _next_sequence(commune_id: int, year: int) -> int:
    last = db.session.scalar(select(func.max(Order.sequence)).where(Order.commune_id == commune_id, Order.year == year))
    return (last or 0) + 1


def _quantities(contract: Contract, lines: Sequence[tuple[int, object]]) -> dict[int, int]:
    """contract price id -> quantity, in the contract's order; every problem listed at once."""
    if not lines:
        raise ServiceError("Indiquez au moins une quantité à commander.")
    if len(lines) > MAX_ORDER_LINES:
        raise ServiceError(f"Une commande compte au plus {MAX_ORDER_LINES} lignes.")
    known = {p.id for p in contract_prices(contract.id)}
    errors: dict[int, str] = {}
    quantities: dict[int, int] = {}
    for price_id, raw in lines:
        if price_id not in known:
            raise ServiceError(f"Le prix n° {price_id} n'appartient pas au marché n° {contract.number}.")
        if price_id in quantities or price_id in errors:
            raise ServiceError("Une même ligne du marché figure deux fois dans la commande.")
        try:
            quantities[price_id] = parse_order_quantity(raw)
        except OrderRefused as error:
            errors[price_id] = str(error)
    if errors:
        raise InvalidOrder(errors)
    order = [p.id for p in contract_prices(contract.id)]
    return {pid: quantities[pid] for pid in order if pid in quantities}


# --- deliveries -------------------------------------------------------------------------------------


def record_delivery(
    actor: Actor, order_line_id: int, delivered_on: date, quantity: int, today: date | None = None
) -> Delivery:
    """Service fait: `quantity` of the line received on `delivered_on` (partial deliveries add up)."""
    if actor.role not in COMMUNE_ROLES:
        raise Forbidden("Le service fait est constaté par la commune qui a commandé.")
    line = line_in_scope(actor, order_line_id, lock=True)
    order = line.order
    if order.commune_id != actor.organisation_id:
        raise NotFound("Ligne de commande introuvable.")
    delivered_before = _delivered(line.id)
    check_delivery(  # DeliveryRefused is a ServiceError: the page shows its message
        line.quantity,
        delivered_before,
        quantity,
        delivered_on,
        to_paris(order.created_at).date(),
        today or paris_today(),
    )
    # Through the relationship, so the line's loaded deliveries include it (nothing is expired
    # before the request commits).
    delivery = Delivery(order_line=line, delivered_on=delivered_on, quantity=quantity, recorded_by_id=actor.user_id)
    db.session.add(delivery)
    db.session.flush()
    audit.record(
        actor.user_id,
        "delivery.record",
        "order_line",
        line.id,
        before={"delivered": delivered_before},
        after={
            "order": order.number,
            "delivery": delivery.id,
            "delivered_on": delivered_on,
            "quantity": quantity,
            "delivered": delivered_before + quantity,
            "ordered": line.quantity,
        },
    )
    return delivery


def _delivered(order_line_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Delivery.quantity), 0)).where(Delivery.order_line_id == order_line_id)
        )
    )
