"""Matching an invoice against the orders and contracts of its coordinator, and resolving the
contract checks (accept with a comment, or dispute)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from groupement.catalog.models import CatalogItem
from groupement.contracts.models import Delivery, Order, OrderLine
from groupement.contracts.order_queries import orders_in_scope
from groupement.core import audit
from groupement.core.access import Actor
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.formatting import euros
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.models import (
    Invoice,
    InvoiceCheck,
    InvoiceLine,
)
from groupement.invoices.scope import ACCOUNTING_ROLES, advance, invoice_for_update
from groupement.invoices.states import (
    CheckResolution,
    InvoiceKind,
    InvoiceStatus,
)

# --- matching against orders and contracts --------------------------------------------------


@dataclass(frozen=True)
class MatchReport:
    matched: int
    unmatched: int
    mismatches: int


def match_invoice(actor: Actor, invoice_id: int) -> MatchReport:
    """Tie each line to an order line (by order number, else by item ref and commune) and check
    its price against the contract and its quantity against what was ordered and delivered."""
    invoice = invoice_for_update(actor, invoice_id)
    advance("match", invoice.status, InvoiceStatus.CHECKED)
    for check in [c for c in invoice.checks if c.kind == "contract"]:
        db.session.delete(check)
    invoice.checks = [c for c in invoice.checks if c.kind != "contract"]
    db.session.flush()

    orders = {
        order.number: order
        for order in db.session.scalars(
            orders_in_scope(actor).where(
                Order.number.in_({line.order_reference for line in invoice.lines if line.order_reference})
            )
        )
    }
    matched = unmatched = mismatches = 0
    contracts = set()
    sign = Decimal(-1) if invoice.kind is InvoiceKind.CREDIT_NOTE else Decimal(1)
    pairs = [(line, _order_line_for(line, orders)) for line in invoice.lines]
    order_line_ids = [order_line.id for _, order_line in pairs if order_line is not None]
    # Three grouped queries for the whole invoice, not three per line.
    delivered = dict(
        db.session.execute(
            select(Delivery.order_line_id, func.sum(Delivery.quantity))
            .where(Delivery.order_line_id.in_(order_line_ids))
            .group_by(Delivery.order_line_id)
        ).all()
    )
    invoiced_before = dict(
        db.session.execute(
            select(InvoiceLine.order_line_id, func.sum(InvoiceLine.quantity))
            .where(InvoiceLine.order_line_id.in_(order_line_ids), InvoiceLine.invoice_id != invoice.id)
            .group_by(InvoiceLine.order_line_id)
        ).all()
    )
    accounts = dict(
        db.session.execute(
            select(CatalogItem.id, CatalogItem.account).where(
                CatalogItem.id.in_({order_line.item_id for _, order_line in pairs if order_line is not None})
            )
        ).all()
    )

    def mismatch(line: InvoiceLine, rule: str, message: str) -> None:
        invoice.checks.append(
            InvoiceCheck(kind="contract", rule=rule, ok=False, invoice_line_id=line.id, message=message)
        )

    for line, order_line in pairs:
        if order_line is None:
            unmatched += 1
            line.order_line_id = None
            mismatch(
                line,
                "COMMANDE",
                f"Ligne {line.line_id} ({line.description[:60]}) : aucune ligne de commande "
                "correspondante ; elle sera répartie par clé entre les communes.",
            )
            continue
        matched += 1
        order = order_line.order
        contracts.add(order.contract_id)
        line.order_line_id, line.commune_id, line.item_id = order_line.id, order.commune_id, order_line.item_id
        line.account = accounts.get(order_line.item_id)
        price = order_line.unit_price
        # Suppliers write the eco-participation either on its own or inside the unit price.
        if line.unit_price not in (price, price + order_line.eco_participation):
            mismatches += 1
            mismatch(
                line,
                "PRIX",
                f"Ligne {line.line_id} : prix unitaire facturé {euros(line.unit_price)} ≠ prix du "
                f"marché {euros(price)} (commande {order.number}).",
            )
        before = Decimal(invoiced_before.get(order_line.id) or 0)
        received = Decimal(delivered.get(order_line.id) or 0)
        quantity = sign * line.quantity
        if before + quantity > Decimal(order_line.quantity):
            mismatches += 1
            mismatch(
                line,
                "QUANTITE",
                f"Ligne {line.line_id} : {quantity} facturé(s) en plus de {before} déjà "
                f"facturé(s), pour {order_line.quantity} commandé(s) (commande {order.number}).",
            )
        elif before + quantity > received:
            mismatches += 1
            mismatch(
                line,
                "SERVICE-FAIT",
                f"Ligne {line.line_id} : {quantity} facturé(s), {received} livré(s) "
                f"seulement selon le service fait (commande {order.number}).",
            )
    if len(contracts) == 1:
        invoice.contract_id = contracts.pop()
    invoice.status = advance("match", invoice.status, _checked_or_disputed(invoice))
    audit.record(
        actor.user_id,
        "invoice.match",
        "invoice",
        invoice.id,
        after={"matched": matched, "unmatched": unmatched, "mismatches": mismatches},
    )
    return MatchReport(matched, unmatched, mismatches)


def _order_line_for(line: InvoiceLine, orders: dict[str, Order]) -> OrderLine | None:
    order = orders.get(line.order_reference or "")
    if order is None:
        return None
    candidates = [ol for ol in order.lines if line.item_ref and _ref_of(ol) == line.item_ref]
    if not candidates and len(order.lines) == 1:
        candidates = list(order.lines)
    return candidates[0] if candidates else None


def _ref_of(order_line: OrderLine) -> str:
    return order_line.contract_price.lot_line.ref


def resolve_check(actor: Actor, check_id: int, resolution: CheckResolution, comment: str) -> InvoiceCheck:
    """Accept a mismatch with a comment, or open a dispute (which blocks the split)."""
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    check = invoice_scope.get_check(actor, check_id)
    if check.ok:
        raise NotFound("Contrôle introuvable.")
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
        after={"resolution": resolution, "comment": comment.strip()},
    )
    return check


def _checked_or_disputed(invoice: Invoice) -> InvoiceStatus:
    """Disputed while one contract check is disputed with the supplier, checked otherwise."""
    disputed = any(c.kind == "contract" and c.resolution is CheckResolution.DISPUTED for c in invoice.checks)
    return InvoiceStatus.DISPUTED if disputed else InvoiceStatus.CHECKED


def blocking_checks(invoice: Invoice) -> list[InvoiceCheck]:
    """Contract mismatches neither accepted nor disputed: they must be dealt with before the split.
    Unmatched lines (COMMANDE) do not block: they are shared by a key."""
    return [
        c
        for c in invoice.checks
        if c.kind == "contract" and not c.ok and c.rule != "COMMANDE" and c.resolution is not CheckResolution.ACCEPTED
    ]
