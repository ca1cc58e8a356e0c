"""Purchase orders (bons de commande) under the framework contracts, and their deliveries.

A commune's agent orders at the contract's prices (never the form's); the contract's maximum
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

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign
from groupement.campaigns.rules import joined_families
from groupement.contracts.models import Contract, ContractPrice, Delivery, Order, OrderLine
from groupement.contracts.order_pdf import OrderDocument, OrderDocumentLine, order_pdf
from groupement.contracts.order_rules import (
    MAX_ORDER_LINES,
    ConsumptionLevel,
    DeliveryStatus,
    NeedsUse,
    OrderRefused,
    VatRow,
    check_consumption,
    check_delivery,
    consumption_level,
    consumption_ratio,
    delivery_status,
    line_amount,
    needs_overruns,
    order_delivery_status,
    order_number,
    parse_order_quantity,
    vat_breakdown,
)
from groupement.core import audit, formatting, transaction
from groupement.core.access import COMMUNE_ROLES, Actor, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.money import round_half_up, to_cents
from groupement.core.timeutil import paris_today, to_paris
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine, LotLineShare
from groupement.organisations import scope
from groupement.organisations.families import Family
from groupement.organisations.models import Membership, Organisation

MAX_ADDRESS_LENGTH = 500
PERCENT_STEP = Decimal("0.1")  # consumption shown in per cent, one decimal


# --- consumption --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractConsumption:
    """How much of a contract's maximum the orders of all communes use. `ratio` is a fraction
    (0.8 = 80 %); `warning` from 80 %."""

    maximum: Decimal
    ordered_ht: Decimal
    ratio: Decimal
    warning: bool

    @property
    def remaining(self) -> Decimal:
        return max(self.maximum - self.ordered_ht, Decimal("0"))

    @property
    def percent(self) -> Decimal:
        """The ratio in per cent (80.0), for the `pourcent` filter."""
        return round_half_up(self.ratio * 100, PERCENT_STEP)

    @property
    def level(self) -> ConsumptionLevel:
        return consumption_level(self.ordered_ht, self.maximum)


def contract_consumption(contract_id: int) -> ContractConsumption:
    """Unscoped (the callers have checked the contract against the actor's scope)."""
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("Marché introuvable.")
    return _consumption(contract.maximum_amount, _ordered_total(contract_id))


def _consumption(maximum: Decimal, ordered: Decimal) -> ContractConsumption:
    return ContractConsumption(
        maximum=maximum,
        ordered_ht=ordered,
        ratio=consumption_ratio(ordered, maximum),
        warning=consumption_level(ordered, maximum) is not ConsumptionLevel.OK,
    )


def _ordered_total(contract_id: int) -> Decimal:
    total = db.session.scalar(select(func.sum(Order.total_ht)).where(Order.contract_id == contract_id))
    return to_cents(Decimal(str(total))) if total is not None else Decimal("0.00")


@dataclass(frozen=True)
class PriceLine:
    """A contract price seen by one commune: its validated need and what it has ordered."""

    price: ContractPrice
    line: LotLine
    needed: int
    ordered: int

    @property
    def remaining(self) -> int:
        return max(self.needed - self.ordered, 0)

    @property
    def over(self) -> int:
        return max(self.ordered - self.needed, 0)

    @property
    def unit_total(self) -> Decimal:
        return self.price.unit_price + self.price.eco_participation


@dataclass
class CommuneConsumption:
    contract: Contract
    commune: Organisation
    lines: list[PriceLine]
    ordered_ht: Decimal

    @property
    def needed_ht(self) -> Decimal:
        return sum(
            (line_amount(pl.needed, pl.price.unit_price, pl.price.eco_participation) for pl in self.lines), Decimal(0)
        )

    @property
    def over_lines(self) -> list[PriceLine]:
        return [pl for pl in self.lines if pl.over]

    @property
    def ratio(self) -> Decimal | None:
        """Ordered over needs (fraction), None without needs."""
        needed = self.needed_ht
        return consumption_ratio(self.ordered_ht, needed) if needed > 0 else None


def commune_consumption(actor: Actor, contract_id: int, commune_id: int | None = None) -> CommuneConsumption:
    """A commune's orders under the contract against its validated needs (LotLineShare). Commune
    users get their own commune; the coordinator's side names the commune."""
    contract = _contract_in_scope(actor, contract_id)
    if actor.role in COMMUNE_ROLES:
        commune_id = actor.organisation_id
    if commune_id is None or commune_id not in scope.reachable_organisations(actor):
        raise NotFound("Commune introuvable.")
    commune = db.session.get(Organisation, commune_id)
    if commune is None:
        raise NotFound("Commune introuvable.")
    return _commune_consumption(contract, commune)


def _commune_consumption(contract: Contract, commune: Organisation) -> CommuneConsumption:
    prices = _prices(contract.id)
    needs = dict(
        db.session.execute(
            select(LotLineShare.lot_line_id, LotLineShare.quantity).where(
                LotLineShare.lot_line_id.in_([p.lot_line_id for p in prices]), LotLineShare.commune_id == commune.id
            )
        ).all()
    )
    ordered = dict(
        db.session.execute(
            select(OrderLine.contract_price_id, func.sum(OrderLine.quantity))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.contract_id == contract.id, Order.commune_id == commune.id)
            .group_by(OrderLine.contract_price_id)
        ).all()
    )
    lines = [PriceLine(p, p.lot_line, needs.get(p.lot_line_id, 0), int(ordered.get(p.id, 0))) for p in prices]
    total = db.session.scalar(
        select(func.sum(Order.total_ht)).where(Order.contract_id == contract.id, Order.commune_id == commune.id)
    )
    return CommuneConsumption(
        contract, commune, lines, to_cents(Decimal(str(total))) if total is not None else Decimal("0.00")
    )


@dataclass(frozen=True)
class CommuneRow:
    commune_id: int
    name: str
    needed_ht: Decimal
    ordered_ht: Decimal
    over_lines: int

    @property
    def ratio(self) -> Decimal | None:
        return consumption_ratio(self.ordered_ht, self.needed_ht) if self.needed_ht > 0 else None


@dataclass
class ConsumptionReport:
    contract: Contract
    consumption: ContractConsumption
    communes: list[CommuneRow]
    orders: int


def consumption_report(actor: Actor, contract_id: int) -> ConsumptionReport:
    """The coordinator's view of a contract: the gauge, and each commune's orders against its needs."""
    if actor.role in COMMUNE_ROLES:
        raise Forbidden("La consommation d'un marché est suivie par le coordonnateur.")
    contract = _contract_in_scope(actor, contract_id)
    share_communes = (
        select(LotLineShare.commune_id)
        .join(LotLine, LotLine.id == LotLineShare.lot_line_id)
        .where(LotLine.lot_id == contract.lot_id)
    )
    ordering_communes = select(Order.commune_id).where(Order.contract_id == contract.id)
    communes = db.session.scalars(
        select(Organisation).where(Organisation.id.in_(share_communes.union(ordering_communes).scalar_subquery()))
    ).all()
    rows = []
    for commune in communes:
        use = _commune_consumption(contract, commune)
        rows.append(CommuneRow(commune.id, commune.name, use.needed_ht, use.ordered_ht, len(use.over_lines)))
    rows.sort(key=lambda row: (formatting.name_key(row.name), row.commune_id))
    count = db.session.scalar(select(func.count(Order.id)).where(Order.contract_id == contract.id)) or 0
    return ConsumptionReport(contract, contract_consumption(contract.id), rows, count)


# --- contracts open to orders -------------------------------------------------------------------


@dataclass(frozen=True)
class ContractRow:
    contract: Contract
    lot: Lot
    family: Family
    consumption: ContractConsumption
    orderable: bool  # the actor's commune may order on it (commune side only)


def contracts_for(actor: Actor, today: date | None = None) -> list[ContractRow]:
    """Commune side: the contracts its agents may order from (awarded lots of its groupements,
    in a family it joined). Coordinator side: every contract of its groupements."""
    today = today or paris_today()
    contracts = db.session.scalars(
        _contracts_in_scope(actor)
        .options(joinedload(Contract.lot), joinedload(Contract.supplier))
        .order_by(Contract.start_date.desc(), Contract.number)
    ).all()
    totals = dict(
        db.session.execute(
            select(Order.contract_id, func.sum(Order.total_ht))
            .where(Order.contract_id.in_([c.id for c in contracts]))
            .group_by(Order.contract_id)
        ).all()
    )
    rows = []
    for contract in contracts:
        ordered = to_cents(Decimal(str(totals[contract.id]))) if contract.id in totals else Decimal("0.00")
        orderable = actor.role in COMMUNE_ROLES and _joined(actor.organisation_id, contract, today)
        if actor.role in COMMUNE_ROLES and not orderable:
            continue
        rows.append(
            ContractRow(
                contract, contract.lot, contract.lot.family, _consumption(contract.maximum_amount, ordered), orderable
            )
        )
    return rows


@dataclass
class OrderSheet:
    """What the new order form shows: the contract's prices with the commune's needs."""

    contract: Contract
    commune: Organisation
    lines: list[PriceLine]
    consumption: ContractConsumption

    @property
    def default_address(self) -> str:
        return delivery_address_of(self.commune)


def delivery_address_of(commune: Organisation) -> str:
    town = " ".join(part for part in (commune.postcode, commune.city) if part)
    return "\n".join(part for part in (f"Mairie de {commune.name}", commune.address, town) if part)


def order_sheet(actor: Actor, contract_id: int, today: date | None = None) -> OrderSheet:
    contract, commune = _orderable(actor, contract_id, today or paris_today())
    use = _commune_consumption(contract, commune)
    return OrderSheet(contract, commune, use.lines, contract_consumption(contract.id))


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
) -> Order:
    """The order, numbered, priced from the contract; raises ServiceError on any refusal."""
    return submit_order(actor, contract_id, lines, delivery_address, today).order


def submit_order(
    actor: Actor,
    contract_id: int,
    lines: Sequence[tuple[int, object]],
    delivery_address: str,
    today: date | None = None,
) -> PlacedOrder:
    """place_order, with the warnings for the page (80 % of the maximum, needs exceeded).

    Two orders of the same commune at the same time could compute the same sequence: the
    commune's row is locked (PostgreSQL) and the unique (commune, year, sequence) constraint
    decides otherwise (SQLite); the loser retries once."""
    today = today or paris_today()
    for _attempt in range(2):
        try:
            with transaction.savepoint():
                return _submit(actor, contract_id, lines, delivery_address, today)
        except IntegrityError:
            continue  # the savepoint undid this attempt only
    raise ServiceError("Un autre bon de commande a été enregistré au même instant : réessayez.")


def _submit(
    actor: Actor, contract_id: int, lines: Sequence[tuple[int, object]], delivery_address: str, today: date
) -> PlacedOrder:
    contract, commune = _orderable(actor, contract_id, today)
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

    prices = {p.id: p for p in _prices(contract.id)}
    order_lines = [
        OrderLine(
            contract_price_id=price.id,
            item_id=price.item_id,
            quantity=quantity,
            unit_price=price.unit_price,
            eco_participation=price.eco_participation,
            vat_rate=price.vat_rate,
            amount_ht=line_amount(quantity, price.unit_price, price.eco_participation),
        )
        for price_id, quantity in quantities.items()
        for price in [prices[price_id]]
    ]
    total = sum((line.amount_ht for line in order_lines), Decimal("0.00"))
    check = check_consumption(contract.maximum_amount, _ordered_total(contract.id), total)
    if check.refused:
        raise ServiceError(
            f"Commande refusée : elle porterait les commandes du marché n° {contract.number} à "
            f"{formatting.euros(check.new_total)} HT, au-delà du montant maximum de "
            f"{formatting.euros(contract.maximum_amount)} HT. Montant restant disponible : "
            f"{formatting.euros(check.remaining)} HT ; cette commande : {formatting.euros(total)} HT."
        )

    before = _commune_consumption(contract, commune)
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
        },
    )

    warnings = []
    if check.warning:
        warnings.append(
            f"Attention : le marché n° {contract.number} est consommé à "
            f"{formatting.percent(round_half_up(check.ratio * 100, PERCENT_STEP))} de son montant maximum "
            f"({formatting.euros(check.new_total)} HT sur {formatting.euros(contract.maximum_amount)} HT)."
        )
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
    known = {p.id for p in _prices(contract.id)}
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
    order = [p.id for p in _prices(contract.id)]
    return {pid: quantities[pid] for pid in order if pid in quantities}


# --- deliveries -------------------------------------------------------------------------------------


def record_delivery(
    actor: Actor, order_line_id: int, delivered_on: date, quantity: int, today: date | None = None
) -> Delivery:
    """Service fait: `quantity` of the line received on `delivered_on` (partial deliveries add up)."""
    if actor.role not in COMMUNE_ROLES:
        raise Forbidden("Le service fait est constaté par la commune qui a commandé.")
    line = _line_in_scope(actor, order_line_id, lock=True)
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


def order_of_line(actor: Actor, order_line_id: int) -> Order:
    """The order of a line in the actor's scope (NotFound otherwise)."""
    return _line_in_scope(actor, order_line_id).order


def _delivered(order_line_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Delivery.quantity), 0)).where(Delivery.order_line_id == order_line_id)
        )
    )


def _line_in_scope(actor: Actor, order_line_id: int, lock: bool = False) -> OrderLine:
    statement = select(OrderLine).where(
        OrderLine.id == order_line_id, OrderLine.order_id.in_(orders_in_scope(actor).with_only_columns(Order.id))
    )
    if lock:
        statement = statement.with_for_update(of=OrderLine)
    line = db.session.scalar(statement)
    if line is None:
        raise NotFound("Ligne de commande introuvable.")
    return line


# --- reading orders -------------------------------------------------------------------------------


def orders_in_scope(actor: Actor) -> Select:
    """Orders under the contracts of the campaigns the actor reaches (scope.campaigns), of the
    organisations it reaches (scope.restrict): a commune's own orders; the coordinator's side,
    every order of its groupements."""
    campaigns = campaign_scope.campaigns(actor).subquery()
    statement = (
        select(Order)
        .join(Contract, Contract.id == Order.contract_id)
        .join(Lot, Lot.id == Contract.lot_id)
        .where(Lot.campaign_id.in_(select(campaigns.c.id)))
    )
    return scope.restrict(statement, Order.commune_id, actor)


@dataclass(frozen=True)
class OrderRow:
    order: Order
    status: DeliveryStatus


def list_orders(actor: Actor, contract_id: int | None = None) -> list[OrderRow]:
    statement = orders_in_scope(actor).options(
        joinedload(Order.commune),
        joinedload(Order.contract).joinedload(Contract.supplier),
        joinedload(Order.contract).joinedload(Contract.lot),
        selectinload(Order.lines).selectinload(OrderLine.deliveries),
    )
    if contract_id is not None:
        statement = statement.where(Order.contract_id == contract_id)
    orders = db.session.scalars(statement.order_by(Order.created_at.desc(), Order.id.desc())).unique().all()
    return [
        OrderRow(
            order, order_delivery_status([(ln.quantity, sum(d.quantity for d in ln.deliveries)) for ln in order.lines])
        )
        for order in orders
    ]


@dataclass(frozen=True)
class OrderLineView:
    line: OrderLine
    lot_line: LotLine
    deliveries: list[Delivery]

    @property
    def delivered(self) -> int:
        return sum(d.quantity for d in self.deliveries)

    @property
    def remaining(self) -> int:
        return max(self.line.quantity - self.delivered, 0)

    @property
    def status(self) -> DeliveryStatus:
        return delivery_status(self.line.quantity, self.delivered)


@dataclass
class OrderDetail:
    order: Order
    lines: list[OrderLineView]
    vat: list[VatRow]
    can_deliver: bool  # the actor belongs to the ordering commune

    @property
    def order_date(self) -> date:
        return to_paris(self.order.created_at).date()

    @property
    def total_vat(self) -> Decimal:
        return sum((row.vat for row in self.vat), Decimal("0.00"))

    @property
    def total_ttc(self) -> Decimal:
        return self.order.total_ht + self.total_vat

    @property
    def status(self) -> DeliveryStatus:
        return order_delivery_status([(v.line.quantity, v.delivered) for v in self.lines])


def order_detail(actor: Actor, order_id: int) -> OrderDetail:
    order = db.session.scalar(
        orders_in_scope(actor)
        .where(Order.id == order_id)
        .options(
            joinedload(Order.commune),
            joinedload(Order.created_by),
            joinedload(Order.contract).joinedload(Contract.supplier),
            joinedload(Order.contract).joinedload(Contract.lot),
        )
    )
    if order is None:
        raise NotFound("Bon de commande introuvable.")
    lines = db.session.scalars(
        select(OrderLine)
        .where(OrderLine.order_id == order.id)
        .options(
            joinedload(OrderLine.contract_price).joinedload(ContractPrice.lot_line),
            selectinload(OrderLine.deliveries),
        )
        .order_by(OrderLine.id)
    ).all()
    views = [
        OrderLineView(line, line.contract_price.lot_line, sorted(line.deliveries, key=lambda d: (d.delivered_on, d.id)))
        for line in lines
    ]
    vat = vat_breakdown((line.amount_ht, line.vat_rate) for line in lines)
    can_deliver = actor.role in COMMUNE_ROLES and order.commune_id == actor.organisation_id
    return OrderDetail(order, views, vat, can_deliver)


def order_pdf_file(actor: Actor, order_id: int) -> tuple[bytes, str]:
    """The printable order as a PDF, and its file name."""
    detail = order_detail(actor, order_id)
    order, contract = detail.order, detail.order.contract
    supplier = contract.supplier
    commune = order.commune
    document = OrderDocument(
        number=order.number,
        order_date=detail.order_date,
        commune_name=commune.name,
        commune_address=delivery_address_of(commune),
        commune_siret=commune.siret or "",
        delivery_address=order.delivery_address,
        supplier_name=supplier.name,
        supplier_address="\n".join(
            part for part in (supplier.address, " ".join(p for p in (supplier.postcode, supplier.city) if p)) if part
        ),
        supplier_siret=supplier.siret,
        contract_number=contract.number,
        lot_title=f"Lot n° {contract.lot.number} — {contract.lot.title}",
        created_by=order.created_by.name if order.created_by else "",
        lines=[
            OrderDocumentLine(
                ref=view.lot_line.ref,
                designation=view.lot_line.designation,
                unit=view.lot_line.unit,
                quantity=view.line.quantity,
                unit_price=view.line.unit_price,
                eco_participation=view.line.eco_participation,
                vat_rate=view.line.vat_rate,
                amount_ht=view.line.amount_ht,
            )
            for view in detail.lines
        ],
        vat=[(row.rate, row.base_ht, row.vat) for row in detail.vat],
        total_ht=order.total_ht,
        total_vat=detail.total_vat,
        total_ttc=detail.total_ttc,
    )
    return order_pdf(document), f"{order.number}.pdf"


# --- helpers ----------------------------------------------------------------------------------------


def _contracts_in_scope(actor: Actor) -> Select:
    campaigns = campaign_scope.campaigns(actor).subquery()
    return select(Contract).join(Lot, Lot.id == Contract.lot_id).where(Lot.campaign_id.in_(select(campaigns.c.id)))


def _contract_in_scope(actor: Actor, contract_id: int) -> Contract:
    contract = db.session.scalar(_contracts_in_scope(actor).where(Contract.id == contract_id))
    if contract is None:
        raise NotFound("Marché introuvable.")
    return contract


def _joined(commune_id: int, contract: Contract, today: date) -> bool:
    """The commune is a member of the contract's groupement, still on `today`, for the lot's family."""
    membership = db.session.scalar(
        select(Membership)
        .join(Campaign, Campaign.groupement_id == Membership.groupement_id)
        .where(Campaign.id == contract.lot.campaign_id, Membership.commune_id == commune_id)
    )
    if membership is None or membership.signed_on > today:
        return False
    return bool(joined_families(membership.families, membership.left_on, {contract.lot.family}, today))


def _orderable(actor: Actor, contract_id: int, today: date) -> tuple[Contract, Organisation]:
    if actor.role is not Role.AGENT:
        raise Forbidden("Seul un agent communal passe les bons de commande.")
    contract = _contract_in_scope(actor, contract_id)
    if not _joined(actor.organisation_id, contract, today):
        family = contract.lot.family.label
        raise Forbidden(
            f"Votre commune n'est pas membre du groupement pour la famille « {family} » : "
            f"elle ne peut pas commander sur le marché n° {contract.number}."
        )
    commune = db.session.get(Organisation, actor.organisation_id)
    return contract, commune


def _prices(contract_id: int) -> list[ContractPrice]:
    return list(
        db.session.scalars(
            select(ContractPrice)
            .join(LotLine, LotLine.id == ContractPrice.lot_line_id)
            .where(ContractPrice.contract_id == contract_id)
            .options(joinedload(ContractPrice.lot_line))
            .order_by(LotLine.position, ContractPrice.id)
        )
    )
