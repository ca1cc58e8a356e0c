"""The shop after award: a commune's agent searches the awarded price lists of the contracts
its commune may order from (contracts/consumption.contracts_for: its groupements, the families
it joined), fills a basket kept in the database per user, and places it as one order per
contract through the order use case (contracts/orders.submit_order), whose guards apply: the
contract's execution period and maximum refuse, the commune's validated needs warn."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload

from groupement.catalog.models import CatalogItem
from groupement.catalog.rules import search_key
from groupement.contracts.consumption import (
    ContractRow,
    commune_consumption_of,
    contracts_for,
    delivery_address_of,
    orderable,
    ordered_total,
)
from groupement.contracts.models import Contract, ContractPrice
from groupement.contracts.order_rules import MAX_QUANTITY, check_consumption, line_amount
from groupement.contracts.orders import PlacedOrder, submit_order
from groupement.core import audit, formatting
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.search import contains
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.lots.models import LotLine
from groupement.suppliers.models import BasketLine

MAX_RESULTS = 100
MAX_BASKET_LINES = 200


def _require_agent(actor: Actor) -> None:
    if actor.role is not Role.AGENT or actor.user_id is None:
        raise Forbidden("Seul un agent communal commande dans la boutique.")


def _open_contracts(actor: Actor, today: date) -> dict[int, ContractRow]:
    return {row.contract.id: row for row in contracts_for(actor, today) if row.orderable}


@dataclass(frozen=True)
class Offer:
    price: ContractPrice
    contract: Contract
    lot_line: LotLine
    open_today: bool
    refusal: str | None

    @property
    def unit_total(self) -> Decimal:
        return self.price.unit_price + self.price.eco_participation


def search(actor: Actor, words: str, today: date | None = None) -> list[Offer]:
    """The prices matching every word (designation, reference, CPV; accents and case ignored)."""
    _require_agent(actor)
    today = today or paris_today()
    contracts = _open_contracts(actor, today)
    if not contracts:
        return []
    statement = (
        select(ContractPrice)
        .join(CatalogItem, CatalogItem.id == ContractPrice.item_id)
        .join(LotLine, LotLine.id == ContractPrice.lot_line_id)
        .where(ContractPrice.contract_id.in_(list(contracts)))
        .options(joinedload(ContractPrice.lot_line))
    )
    for word in search_key(words or "").split():
        statement = statement.where(or_(contains(CatalogItem.search_key, word), contains(CatalogItem.cpv_code, word)))
    prices = db.session.scalars(statement.order_by(LotLine.designation, ContractPrice.id).limit(MAX_RESULTS)).all()
    return [
        Offer(
            p,
            contracts[p.contract_id].contract,
            p.lot_line,
            contracts[p.contract_id].open_today,
            contracts[p.contract_id].refusal,
        )
        for p in prices
    ]


def _orderable_price(actor: Actor, contract_price_id: int, today: date) -> ContractPrice:
    contracts = _open_contracts(actor, today)
    price = db.session.get(ContractPrice, contract_price_id)
    if price is None or price.contract_id not in contracts:
        raise NotFound("Article introuvable dans les marchés de votre commune.")
    return price


def _quantity(raw: object) -> int:
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 7 or not 1 <= int(text) <= MAX_QUANTITY:
        raise ServiceError("La quantité doit être un nombre entier entre 1 et 1 000 000.")
    return int(text)


def add_to_basket(actor: Actor, contract_price_id: int, quantity: object, today: date | None = None) -> BasketLine:
    """Add `quantity` of the price to the user's basket (added to what it already holds)."""
    _require_agent(actor)
    price = _orderable_price(actor, contract_price_id, today or paris_today())
    wanted = _quantity(quantity)
    line = db.session.scalar(
        select(BasketLine)
        .where(BasketLine.user_id == actor.user_id, BasketLine.contract_price_id == price.id)
        .with_for_update()
    )
    if line is None:
        count = len(db.session.scalars(select(BasketLine.id).where(BasketLine.user_id == actor.user_id)).all())
        if count >= MAX_BASKET_LINES:
            raise ServiceError(f"Le panier compte au plus {MAX_BASKET_LINES} lignes : passez d'abord commande.")
        line = BasketLine(user_id=actor.user_id, contract_price_id=price.id, quantity=wanted)
        db.session.add(line)
    else:
        if line.quantity + wanted > MAX_QUANTITY:
            raise ServiceError("La quantité doit être un nombre entier entre 1 et 1 000 000.")
        line.quantity += wanted
    db.session.flush()
    return line


def basket_line(actor: Actor, basket_line_id: int) -> BasketLine:
    """A line of the actor's own basket (NotFound for anyone else's)."""
    line = db.session.scalar(
        select(BasketLine).where(BasketLine.id == basket_line_id, BasketLine.user_id == actor.user_id)
    )
    if line is None:
        raise NotFound("Ligne de panier introuvable.")
    return line


def set_quantity(actor: Actor, basket_line_id: int, quantity: object) -> None:
    """A new quantity for a line of the basket; 0 takes the line out."""
    _require_agent(actor)
    line = basket_line(actor, basket_line_id)
    if str(quantity if quantity is not None else "").strip() == "0":
        db.session.delete(line)
    else:
        line.quantity = _quantity(quantity)
    db.session.flush()


@dataclass
class BasketGroup:
    """The basket's lines under one contract: one order when placed."""

    contract: Contract
    lines: list[tuple[BasketLine, Decimal]]  # with the line's amount HT
    refusal: str | None  # no order today (outside the execution period)
    warnings: list[str] = field(default_factory=list)  # the maximum, the needs

    @property
    def total_ht(self) -> Decimal:
        return sum((amount for _, amount in self.lines), Decimal("0.00"))


def basket(actor: Actor, today: date | None = None) -> list[BasketGroup]:
    """The user's basket by contract, with the guards the order will meet, as the page shows them."""
    _require_agent(actor)
    today = today or paris_today()
    contracts = _open_contracts(actor, today)
    lines = db.session.scalars(
        select(BasketLine)
        .where(BasketLine.user_id == actor.user_id)
        .options(joinedload(BasketLine.contract_price).joinedload(ContractPrice.lot_line))
        .order_by(BasketLine.id)
    ).all()
    groups: dict[int, BasketGroup] = {}
    for line in lines:
        price = line.contract_price
        row = contracts.get(price.contract_id)
        if row is None:  # the commune left the groupement or the family: it cannot order there
            continue
        group = groups.setdefault(price.contract_id, BasketGroup(row.contract, [], row.refusal))
        group.lines.append((line, line_amount(line.quantity, price.unit_price, price.eco_participation)))
    for group in groups.values():
        _guards(actor, group, today)
    return list(groups.values())


def _guards(actor: Actor, group: BasketGroup, today: date) -> None:
    contract = group.contract
    check = check_consumption(contract.maximum_amount, ordered_total(contract.id), group.total_ht)
    if check.refused:
        group.warnings.append(
            f"Le marché n° {contract.number} ne peut pas recevoir cette commande : elle dépasserait son montant "
            f"maximum ({formatting.euros(contract.maximum_amount)} HT) ; reste disponible "
            f"{formatting.euros(check.remaining)} HT."
        )
    elif check.warning:
        group.warnings.append(f"Le marché n° {contract.number} approche de son montant maximum.")
    _, commune = orderable(actor, contract.id, today)
    use = {pl.price.id: pl for pl in commune_consumption_of(contract, commune).lines}
    for line, _ in group.lines:
        pl = use.get(line.contract_price_id)
        if pl is not None and pl.ordered + line.quantity > pl.needed:
            group.warnings.append(
                f"{pl.line.ref} {pl.line.designation} : {pl.ordered + line.quantity} au total pour un besoin "
                f"validé de {pl.needed}."
            )


def default_address(actor: Actor, groups: list[BasketGroup], today: date | None = None) -> str:
    """The commune's address (Mairie de …), the order form's default."""
    if not groups:
        return ""
    _, commune = orderable(actor, groups[0].contract.id, today or paris_today())
    return delivery_address_of(commune)


def place_basket(
    actor: Actor, delivery_address: str, engagement_number: str = "", today: date | None = None
) -> list[PlacedOrder]:
    """One order per contract of the basket, all or none (one unit of work), then the basket is
    emptied. A refusal of any order (period, maximum, quantities) leaves everything as it was."""
    _require_agent(actor)
    today = today or paris_today()
    groups = basket(actor, today)
    if not groups:
        raise ServiceError("Votre panier est vide.")
    placed = []
    for group in groups:
        lines = [(line.contract_price_id, line.quantity) for line, _ in group.lines]
        try:
            placed.append(submit_order(actor, group.contract.id, lines, delivery_address, today, engagement_number))
        except ServiceError as error:
            raise ServiceError(
                f"Marché n° {group.contract.number} : {error} Aucune commande n'a été passée."
            ) from error
    db.session.execute(delete(BasketLine).where(BasketLine.user_id == actor.user_id))
    db.session.flush()
    audit.record(
        actor.user_id, "basket.place", "user", actor.user_id, after={"orders": [p.order.number for p in placed]}
    )
    return placed
