"""Matching an invoice against the orders and contracts of its coordinator, and resolving the
contract checks (accept with a comment, or dispute)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from groupement.catalog.models import CatalogItem
from groupement.contracts.models import Delivery, Order, OrderLine
from groupement.contracts.order_pdf import unit_euros
from groupement.contracts.order_queries import orders_in_scope
from groupement.contracts.revisions import prices_in_force
from groupement.core import audit
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.formatting import number
from groupement.core.timeutil import to_paris, utcnow
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.chorus_references import (
    REFERENCES_RULE,
    CommuneCode,
    OrderReference,
    ReferenceMatch,
    match_references,
)
from groupement.invoices.models import (
    Invoice,
    InvoiceCheck,
    InvoiceLine,
    ServiceFait,
)
from groupement.invoices.official_findings import official_blockers
from groupement.invoices.scope import ACCOUNTING_ROLES, advance, invoice_for_update
from groupement.invoices.states import (
    CheckKind,
    CheckResolution,
    InvoiceKind,
    InvoiceStatus,
)

ZERO = Decimal(0)

# --- matching against orders and contracts --------------------------------------------------


@dataclass(frozen=True)
class MatchReport:
    matched: int
    unmatched: int
    mismatches: int


def match_invoice(actor: Actor, invoice_id: int) -> MatchReport:
    """Tie each line to an order line (by order number and item ref) and check its price against
    the contract (with its eco-participation) and its quantity, counted with every earlier line of
    this invoice and every other invoice, against what was ordered and what the commune certified
    as delivered (service fait). Each discrepancy is an anomaly that blocks the split."""
    invoice = invoice_for_update(actor, invoice_id)
    advance("match", invoice.status, InvoiceStatus.CHECKED)
    for check in [c for c in invoice.checks if c.kind == "contract"]:
        db.session.delete(check)
    invoice.checks = [c for c in invoice.checks if c.kind != "contract"]
    db.session.flush()

    # Chorus Pro references first (BT-13 order or engagement number, BT-10 service code): which
    # orders the invoice designates, each quoted reference to its orders; the lines then use them.
    orders, references = _orders_by_reference(actor, invoice)
    invoice.checks.append(
        InvoiceCheck(kind="contract", rule=REFERENCES_RULE, ok=references.ok, message=references.message)
    )
    matched = unmatched = mismatches = 0
    contracts = set()
    priced_right: list[tuple[Order, int]] = []  # each line at its contract price: its order, the revision
    price_wrong = False
    sign = Decimal(-1) if invoice.kind is InvoiceKind.CREDIT_NOTE else Decimal(1)
    # A header-only invoice (Factur-X MINIMUM, BASIC WL) has no lines to tie: its amounts per rate
    # are shared by an allocation key.
    pairs = [] if invoice.header_only else [(line, *_order_line_for(line, orders)) for line in invoice.lines]
    order_line_ids = [order_line.id for _, order_line, _ in pairs if order_line is not None]
    # Four grouped queries for the whole invoice, not four per line.
    delivered = _sums(
        select(Delivery.order_line_id, func.sum(Delivery.quantity))
        .where(Delivery.order_line_id.in_(order_line_ids))
        .group_by(Delivery.order_line_id)
    )
    certified = _sums(
        select(Delivery.order_line_id, func.sum(Delivery.quantity))
        .join(ServiceFait, ServiceFait.delivery_id == Delivery.id)
        .where(Delivery.order_line_id.in_(order_line_ids))
        .group_by(Delivery.order_line_id)
    )
    other = aliased(Invoice)
    signed = case((other.kind == InvoiceKind.CREDIT_NOTE, -InvoiceLine.quantity), else_=InvoiceLine.quantity)
    invoiced_before = _sums(
        select(InvoiceLine.order_line_id, func.sum(signed))
        .join(other, other.id == InvoiceLine.invoice_id)
        .where(
            InvoiceLine.order_line_id.in_(order_line_ids),
            InvoiceLine.invoice_id != invoice.id,
            other.status != InvoiceStatus.REJECTED,
        )
        .group_by(InvoiceLine.order_line_id)
    )
    accounts = dict(
        db.session.execute(
            select(CatalogItem.id, CatalogItem.account).where(
                CatalogItem.id.in_({order_line.item_id for _, order_line, _ in pairs if order_line is not None})
            )
        ).all()
    )

    def mismatch(line: InvoiceLine, rule: str, message: str) -> None:
        invoice.checks.append(
            InvoiceCheck(kind="contract", rule=rule, ok=False, invoice_line_id=line.id, message=message)
        )

    on_this_invoice: dict[int, Decimal] = defaultdict(Decimal)
    for line, order_line, reason in pairs:
        label = f"Ligne {line.position}"
        if order_line is None:
            unmatched += 1
            line.order_line_id = None
            mismatch(
                line,
                "COMMANDE",
                f"{label} ({line.description[:60]}) : {reason}. Elle n'est rattachée à aucune ligne de commande "
                "du marché : acceptez-la pour la répartir par clé entre les communes, ou rejetez la facture.",
            )
            continue
        matched += 1
        order = order_line.order
        contracts.add(order.contract_id)
        line.order_line_id, line.commune_id, line.item_id = order_line.id, order.commune_id, order_line.item_id
        line.account = accounts.get(order_line.item_id)
        price, revision = price_and_revision_in_force(order_line)
        eco = order_line.eco_participation
        # Suppliers write the eco-participation either on its own or inside the unit price.
        if line.unit_price in (price, price + eco):
            priced_right.append((order, revision))
        else:
            price_wrong = True
            mismatches += 1
            mismatch(
                line,
                "PRIX",
                f"{label} : prix unitaire facturé {unit_euros(line.unit_price)} ≠ {_contract_price(price, eco)} "
                f"(commande {order.number}).",
            )
        quantity = sign * line.quantity
        earlier = invoiced_before.get(order_line.id, ZERO)
        before_on_this = on_this_invoice[order_line.id]
        on_this_invoice[order_line.id] += quantity
        total = earlier + before_on_this + quantity
        ordered = Decimal(order_line.quantity)
        received, certified_quantity = delivered.get(order_line.id, ZERO), certified.get(order_line.id, ZERO)
        if quantity <= 0:
            continue  # a credit note or a zero line never over-invoices
        counted = _counted(quantity, earlier, before_on_this, total)
        if total > ordered:
            mismatches += 1
            mismatch(
                line, "QUANTITE", f"{label} : {counted}, pour {number(ordered)} commandé(s) (commande {order.number})."
            )
        elif total > certified_quantity:
            mismatches += 1
            waiting = received - certified_quantity
            mismatch(
                line,
                "SERVICE-FAIT",
                f"{label} : {counted}, pour {number(certified_quantity)} livré(s) avec le service fait certifié "
                f"par la commune"
                + (f" ({number(waiting)} livré(s) en attente de certification)" if waiting > 0 else "")
                + f" (commande {order.number}).",
            )
    if priced_right and not price_wrong:
        invoice.checks.append(InvoiceCheck(kind="contract", rule="PRIX", ok=True, message=_prices_right(priced_right)))
    if len(contracts) == 1:
        invoice.contract_id = contracts.pop()
    invoice.matched_at = utcnow()
    invoice.status = advance("match", invoice.status, _checked_or_disputed(invoice))
    db.session.flush()  # the anomalies get their ids: they are accepted or disputed by id
    audit.record(
        actor.user_id,
        "invoice.match",
        "invoice",
        invoice.id,
        after={"matched": matched, "unmatched": unmatched, "mismatches": mismatches},
    )
    return MatchReport(matched, unmatched, mismatches)


def price_in_force(order_line: OrderLine) -> Decimal:
    """The contract's unit price HT in force on the day of the order (Paris), as the revisions
    computed before the order was placed give it (contracts/revisions.py: a revision whose index
    was missing then leaves the previous price, as the order said)."""
    return price_and_revision_in_force(order_line)[0]


def price_and_revision_in_force(order_line: OrderLine) -> tuple[Decimal, int]:
    """That price, and the revision it comes from (0: the initial prices of the contract)."""
    order = order_line.order
    day = order.ordered_on or to_paris(order.created_at).date()
    in_force = prices_in_force(order.contract, day, order.created_at)
    return in_force.unit_prices.get(order_line.contract_price_id, order_line.unit_price), in_force.revision


def _prices_right(priced: list[tuple[Order, int]]) -> str:
    """« Prix unitaires conformes … : 2 ligne(s), dont 1 au prix révisé (révision n° 1, commande BC-…) »."""
    revised = sorted({(revision, order.number) for order, revision in priced if revision})
    text = (
        "Prix unitaires facturés conformes aux prix du marché en vigueur à la date de chaque commande : "
        f"{len(priced)} ligne(s)"
    )
    if revised:
        where = ", ".join(f"révision n° {revision}, commande {number}" for revision, number in revised)
        text += f", dont {sum(1 for _, r in priced if r)} au prix révisé ({where})"
    return text + "."


def _sums(statement) -> dict[int, Decimal]:
    return {key: Decimal(value or 0) for key, value in db.session.execute(statement).all()}


def _contract_price(price: Decimal, eco: Decimal) -> str:
    """'prix du marché 849,00 €' or, with an eco-participation, 'prix du marché 849,00 € + éco-participation
    2,00 € = 851,00 €' (either figure is accepted)."""
    if not eco:
        return f"prix du marché {unit_euros(price)}"
    return f"prix du marché {unit_euros(price)} + éco-participation {unit_euros(eco)} = {unit_euros(price + eco)}"


def _counted(quantity: Decimal, earlier: Decimal, on_this_invoice: Decimal, total: Decimal) -> str:
    """'2 facturé(s), 6 en tout avec 4 déjà facturé(s) sur les lignes précédentes de cette facture'."""
    text = f"{number(quantity)} facturé(s)"
    already = []
    if earlier:
        already.append(f"{number(earlier)} déjà facturé(s) par d'autres factures")
    if on_this_invoice:
        already.append(f"{number(on_this_invoice)} sur les lignes précédentes de cette facture")
    if already:
        text += f", {number(total)} en tout avec " + " et ".join(already)
    return text


def _orders_by_reference(actor: Actor, invoice: Invoice) -> tuple[dict[str, list[Order]], ReferenceMatch]:
    """The orders of the actor's scope each quoted reference designates (an order number, or an
    engagement number that may cover several orders of one commune), and the references' check."""
    quoted = [invoice.order_reference or ""] + [line.order_reference or "" for line in invoice.lines]
    wanted = {r.strip().casefold() for r in [*quoted, invoice.buyer_reference or ""] if r and r.strip()}
    found = (
        list(
            db.session.scalars(
                orders_in_scope(actor)
                .where(func.lower(Order.number).in_(wanted) | func.lower(Order.engagement_number).in_(wanted))
                .order_by(Order.number)
            )
        )
        if wanted
        else []
    )
    communes = invoice_scope.member_communes(actor)
    buyer = next(
        (
            c
            for c in communes
            if invoice.buyer_siret and (c.siret == invoice.buyer_siret or c.siren == invoice.buyer_siret[:9])
        ),
        None,
    )
    references = match_references(
        quoted,
        invoice.buyer_reference,
        [OrderReference(o.number, o.engagement_number or "", o.commune_id, o.commune.name) for o in found],
        [CommuneCode(c.id, c.name, c.chorus_service_code or "") for c in communes],
        buyer.id if buyer is not None else None,
    )
    by_number = {o.number: o for o in found}
    orders = {
        reference.casefold(): [by_number[n] for n in numbers]
        for reference, numbers in references.orders_by_reference.items()
    }
    return orders, references


def _order_line_for(line: InvoiceLine, orders: dict[str, list[Order]]) -> tuple[OrderLine | None, str]:
    """The order line the invoice line delivers, else None and why (French, for the anomaly). Its
    reference is an order number or an engagement number (Chorus Pro), which may cover several orders."""
    if not line.order_reference:
        return None, "aucun numéro de commande"
    candidates_orders = orders.get(line.order_reference.strip().casefold())
    if not candidates_orders:
        return None, f"la commande {line.order_reference} est inconnue"
    numbers = ", ".join(o.number for o in candidates_orders)
    if line.item_ref:
        candidates = [ol for order in candidates_orders for ol in order.lines if _ref_of(ol) == line.item_ref]
        if not candidates:
            return None, f"l'article {line.item_ref} n'est pas sur la commande {numbers}"
        return candidates[0], ""
    # Without an item reference, only an order of one line says which line it is.
    if len(candidates_orders) == 1 and len(candidates_orders[0].lines) == 1:
        return candidates_orders[0].lines[0], ""
    return None, f"aucune référence d'article, et la commande {numbers} a plusieurs lignes"


def _ref_of(order_line: OrderLine) -> str:
    return order_line.contract_price.lot_line.ref


# --- anomalies: accept with a comment, dispute, or reject the invoice ---------------------------

# Anomalies only the coordinator may accept, by a reasoned decision: invoicing beyond the service
# the commune certified is the coordinator's call, never the accountant's alone.
COORDINATOR_DECISIONS = frozenset({"SERVICE-FAIT"})


def resolve_check(actor: Actor, check_id: int, resolution: CheckResolution, comment: str) -> InvoiceCheck:
    """Accept an anomaly with a comment, or open a dispute (which blocks the split). Overriding
    the service fait is the coordinator's reasoned decision."""
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    check = invoice_scope.get_check(actor, check_id)
    if check.ok or check.kind == CheckKind.ARITHMETIC:
        raise NotFound("Contrôle introuvable.")
    if (
        check.rule in COORDINATOR_DECISIONS
        and resolution is CheckResolution.ACCEPTED
        and actor.role is not Role.COORDINATOR
    ):
        raise Forbidden(
            "Passer outre le service fait est une décision motivée du coordonnateur : la comptabilité ne peut pas "
            "l'accepter seule (contestez l'écart, ou demandez à la commune de certifier sa livraison)."
        )
    invoice = invoice_for_update(actor, check.invoice_id)
    advance("resolve", invoice.status, InvoiceStatus.CHECKED)
    if not comment.strip():
        raise ServiceError("Un commentaire est obligatoire pour accepter un écart ou ouvrir un litige.")
    before = check.resolution
    check.resolution, check.resolution_comment = resolution, comment.strip()
    check.resolved_by_id, check.resolved_at = actor.user_id, utcnow()
    invoice.status = advance("resolve", invoice.status, _checked_or_disputed(invoice))
    audit.record(
        actor.user_id,
        f"invoice_check.{resolution.value}",
        "invoice_check",
        check.id,
        before={"resolution": before},
        after={"resolution": resolution, "comment": comment.strip(), "rule": check.rule, "role": actor.role},
    )
    return check


def reject_invoice(actor: Actor, invoice_id: int, reason: str) -> Invoice:
    """Reject the invoice with a reason (final: it is never split nor titled, and its quantities
    no longer count as invoiced)."""
    invoice = invoice_for_update(actor, invoice_id)
    target = advance("reject", invoice.status, InvoiceStatus.REJECTED)
    if not reason.strip():
        raise ServiceError("Le motif du rejet est obligatoire.")
    before = invoice.status
    invoice.status = target
    invoice.rejection_reason, invoice.rejected_by_id, invoice.rejected_at = reason.strip(), actor.user_id, utcnow()
    audit.record(
        actor.user_id,
        "invoice.reject",
        "invoice",
        invoice.id,
        before={"status": before},
        after={"status": target, "reason": reason.strip()},
    )
    return invoice


def _checked_or_disputed(invoice: Invoice) -> InvoiceStatus:
    """Disputed while one anomaly is disputed with the supplier, checked otherwise."""
    disputed = any(c.resolution is CheckResolution.DISPUTED for c in anomalies(invoice))
    return InvoiceStatus.DISPUTED if disputed else InvoiceStatus.CHECKED


def anomalies(invoice: Invoice) -> list[InvoiceCheck]:
    """Every failed identity check (seller, buyer, near-duplicate) and contract check (order line,
    price, quantity, service fait), whatever its resolution. The arithmetic warnings (R120) are
    for information: the arithmetic that matters refuses the file at import."""
    return [c for c in invoice.checks if not c.ok and c.kind in (CheckKind.IDENTITY, CheckKind.CONTRACT)]


def blocking_checks(invoice: Invoice) -> list[InvoiceCheck]:
    """The anomalies not accepted yet (open or disputed): each blocks the split."""
    return [c for c in anomalies(invoice) if c.resolution is not CheckResolution.ACCEPTED]


def split_blockers(invoice: Invoice) -> list[str]:
    """Why the invoice cannot be split yet, in French (empty: nothing blocks)."""
    reasons = []
    if invoice.matched_at is None:
        reasons.append("La facture n'est pas encore rapprochée des commandes (Rapprocher).")
    reasons += [f"{c.rule} ({c.resolution.label}) : {c.message}" for c in blocking_checks(invoice)]
    reasons += official_blockers(invoice.id)  # fatal official findings: never acceptable, only rejection
    return reasons
