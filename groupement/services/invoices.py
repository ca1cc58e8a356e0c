"""Invoice use cases: import (all formats, checked before anything is written) and matching
against the contracts and orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from groupement.domain.access import Actor, Role
from groupement.domain.contracts import CheckResolution, InvoiceKind, InvoiceStatus
from groupement.domain.invoicing import CheckResult, InvoiceData, InvoiceRefused, check_invoice
from groupement.extensions import db
from groupement.formatting import euros
from groupement.io.einvoice import parse_invoice
from groupement.models import (
    CatalogItem,
    Delivery,
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceCheck,
    InvoiceLine,
    InvoiceVat,
    Order,
    OrderLine,
    Organisation,
    Supplier,
)
from groupement.services import audit
from groupement.services.errors import Forbidden, NotFound, ServiceError
from groupement.timeutil import utcnow

# EN 16931 has no rule on a line's own arithmetic; PEPPOL's R120 is reported, never blocking
# (real invoices write returns as a positive quantity with a negative net, for instance).
WARNING_RULES = frozenset({"PEPPOL-EN16931-R120"})
KIND_OF_TYPE = {"380": InvoiceKind.INVOICE, "381": InvoiceKind.CREDIT_NOTE, "384": InvoiceKind.CORRECTIVE}
ACCOUNTING_ROLES = frozenset({Role.ACCOUNTANT, Role.COORDINATOR, Role.ADMIN})


class InvoiceRejected(ServiceError):
    def __init__(self, file_name: str, reasons: list[str]):
        self.file_name = file_name
        self.reasons = reasons
        super().__init__(f"Facture « {file_name} » refusée : rien n'a été enregistré.")


def import_invoice(actor: Actor | None, file_name: str, content: bytes) -> Invoice:
    """Parse, check the arithmetic, refuse duplicates, then write the invoice in one transaction.

    actor None is the command line. A credit note is stored with negative amounts.
    """
    if actor is not None and actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Seuls la comptabilité et le coordonnateur importent les factures.")
    try:
        data = parse_invoice(content, file_name)
    except InvoiceRefused as refused:
        raise InvoiceRejected(file_name, list(refused.reasons)) from refused
    results = check_invoice(data)
    blocking = [r for r in results if not r.ok and r.rule not in WARNING_RULES]
    if blocking:
        raise InvoiceRejected(file_name, [r.message for r in blocking])
    seller_key = data.seller_siret or data.seller_name.strip().upper()
    if db.session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.seller_key == seller_key, Invoice.number == data.number)
    ):
        raise InvoiceRejected(
            file_name, [f"La facture n° {data.number} de {data.seller_name} a déjà été importée (doublon)."]
        )

    sign = Decimal(-1) if data.type_code == "381" else Decimal(1)
    supplier = (
        db.session.scalar(select(Supplier).where(Supplier.siret == data.seller_siret)) if data.seller_siret else None
    )
    invoice = Invoice(
        number=data.number,
        kind=KIND_OF_TYPE[data.type_code],
        type_code=data.type_code,
        status=InvoiceStatus.IMPORTED,
        issue_date=data.issue_date,
        due_date=data.due_date,
        currency=data.currency,
        seller_key=seller_key,
        seller_name=data.seller_name,
        seller_siret=data.seller_siret,
        seller_vat=data.seller_vat,
        buyer_name=data.buyer_name,
        buyer_siret=data.buyer_siret,
        order_reference=data.order_reference,
        supplier_id=supplier.id if supplier else None,
        source_format=data.source_format,
        file_name=file_name[:255],
        total_ht=sign * data.tax_exclusive,
        total_vat=sign * data.tax_total,
        total_ttc=sign * data.tax_inclusive,
        imported_by_id=actor.user_id if actor else None,
    )
    invoice.lines = [_line(position, line, sign) for position, line in enumerate(data.lines, start=1)]
    invoice.vat = [
        InvoiceVat(category=v.category, rate=v.rate, base=sign * v.taxable_amount, amount=sign * v.tax_amount)
        for v in data.vat_breakdown
    ]
    invoice.allowances_charges = [
        InvoiceAllowanceCharge(
            is_charge=ac.is_charge,
            amount=sign * (ac.amount if ac.is_charge else -ac.amount),
            vat_category=ac.vat_category,
            vat_rate=ac.vat_rate,
            reason=ac.reason[:200],
        )
        for ac in data.allowances_charges
    ]
    invoice.checks = [_check("arithmetic", r) for r in results] + [
        _check("identity", r) for r in _identity_checks(data, supplier)
    ]
    db.session.add(invoice)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvoiceRejected(file_name, [f"La facture n° {data.number} a déjà été importée (doublon)."]) from None
    audit.record(
        actor.user_id if actor else None,
        "invoice.import",
        "invoice",
        invoice.id,
        after={
            "number": invoice.number,
            "kind": invoice.kind,
            "seller": invoice.seller_name,
            "total_ht": invoice.total_ht,
            "total_ttc": invoice.total_ttc,
            "file": file_name,
        },
    )
    db.session.commit()
    return invoice


def _line(position: int, line, sign: Decimal) -> InvoiceLine:
    return InvoiceLine(
        position=position,
        line_id=line.line_id[:40],
        item_ref=line.item_ref[:60] if line.item_ref else None,
        description=line.description[:500],
        quantity=line.quantity,
        unit_price=line.unit_price,
        net_amount=sign * line.net_amount,
        vat_category=line.vat_category,
        vat_rate=line.vat_rate,
        order_reference=line.order_ref[:60] if line.order_ref else None,
        commune_id=None,
    )


def _check(kind: str, result: CheckResult) -> InvoiceCheck:
    return InvoiceCheck(kind=kind, rule=result.rule, ok=result.ok, message=result.message)


def _identity_checks(data: InvoiceData, supplier: Supplier | None) -> list[CheckResult]:
    """Unknown seller or buyer: warnings for the accountant to decide, never a refusal."""
    results = [
        CheckResult("VENDEUR", True, f"Vendeur reconnu : {supplier.name} (SIRET {supplier.siret}).")
        if supplier
        else CheckResult(
            "VENDEUR",
            False,
            f"Vendeur « {data.seller_name} » inconnu des fournisseurs"
            + (f" (SIRET {data.seller_siret})." if data.seller_siret else " : aucun SIRET sur la facture."),
        )
    ]
    buyer = None
    if data.buyer_siret:
        buyer = db.session.scalar(
            select(Organisation).where(
                (Organisation.siret == data.buyer_siret) | (Organisation.siren == data.buyer_siret[:9])
            )
        )
    if buyer is not None:
        results.append(CheckResult("ACHETEUR", True, f"Acheteur reconnu : {buyer.name}."))
    else:
        results.append(
            CheckResult(
                "ACHETEUR",
                False,
                f"Acheteur « {data.buyer_name} » : ni le coordonnateur ni une commune membre"
                + (f" (SIRET {data.buyer_siret})." if data.buyer_siret else " (aucun SIRET sur la facture)."),
            )
        )
    return results


# --- matching against orders and contracts --------------------------------------------------


@dataclass(frozen=True)
class MatchReport:
    matched: int
    unmatched: int
    mismatches: int


def match_invoice(actor: Actor, invoice_id: int) -> MatchReport:
    """Tie each line to an order line (by order number, else by item ref and commune) and check
    its price against the contract and its quantity against what was ordered and delivered."""
    invoice = _invoice_for_update(actor, invoice_id)
    if invoice.status not in (InvoiceStatus.IMPORTED, InvoiceStatus.CHECKED, InvoiceStatus.DISPUTED):
        raise ServiceError(f"La facture est {invoice.status.label} : le rapprochement ne peut plus être refait.")
    for check in [c for c in invoice.checks if c.kind == "contract"]:
        db.session.delete(check)
    invoice.checks = [c for c in invoice.checks if c.kind != "contract"]
    db.session.flush()

    orders = {
        order.number: order
        for order in db.session.scalars(
            select(Order).where(
                Order.number.in_({line.order_reference for line in invoice.lines if line.order_reference})
            )
        )
    }
    matched = unmatched = mismatches = 0
    contracts = set()
    sign = Decimal(-1) if invoice.kind is InvoiceKind.CREDIT_NOTE else Decimal(1)
    for line in invoice.lines:
        order_line = _order_line_for(line, orders)
        if order_line is None:
            unmatched += 1
            line.order_line_id = None
            invoice.checks.append(
                InvoiceCheck(
                    kind="contract",
                    rule="COMMANDE",
                    ok=False,
                    invoice_line_id=line.id,
                    message=f"Ligne {line.line_id} ({line.description[:60]}) : aucune ligne de commande "
                    "correspondante ; elle sera répartie par clé entre les communes.",
                )
            )
            continue
        matched += 1
        order = order_line.order
        contracts.add(order.contract_id)
        line.order_line_id, line.commune_id, line.item_id = order_line.id, order.commune_id, order_line.item_id
        line.account = db.session.scalar(select(CatalogItem.account).where(CatalogItem.id == order_line.item_id))
        price = order_line.unit_price
        if line.unit_price != price:
            mismatches += 1
            invoice.checks.append(
                InvoiceCheck(
                    kind="contract",
                    rule="PRIX",
                    ok=False,
                    invoice_line_id=line.id,
                    message=f"Ligne {line.line_id} : prix unitaire facturé {euros(line.unit_price)} ≠ prix du "
                    f"marché {euros(price)} (commande {order.number}).",
                )
            )
        delivered = db.session.scalar(
            select(func.coalesce(func.sum(Delivery.quantity), 0)).where(Delivery.order_line_id == order_line.id)
        )
        invoiced_before = db.session.scalar(
            select(func.coalesce(func.sum(InvoiceLine.quantity), 0)).where(
                InvoiceLine.order_line_id == order_line.id, InvoiceLine.invoice_id != invoice.id
            )
        )
        quantity = sign * line.quantity
        if Decimal(invoiced_before) + quantity > Decimal(order_line.quantity):
            mismatches += 1
            invoice.checks.append(
                InvoiceCheck(
                    kind="contract",
                    rule="QUANTITE",
                    ok=False,
                    invoice_line_id=line.id,
                    message=f"Ligne {line.line_id} : {quantity} facturé(s) en plus de {invoiced_before} déjà "
                    f"facturé(s), pour {order_line.quantity} commandé(s) (commande {order.number}).",
                )
            )
        elif Decimal(invoiced_before) + quantity > Decimal(delivered):
            mismatches += 1
            invoice.checks.append(
                InvoiceCheck(
                    kind="contract",
                    rule="SERVICE-FAIT",
                    ok=False,
                    invoice_line_id=line.id,
                    message=f"Ligne {line.line_id} : {quantity} facturé(s), {delivered} livré(s) "
                    f"seulement selon le service fait (commande {order.number}).",
                )
            )
    if len(contracts) == 1:
        invoice.contract_id = contracts.pop()
    invoice.status = InvoiceStatus.DISPUTED if _open_disputes(invoice) else InvoiceStatus.CHECKED
    audit.record(
        actor.user_id,
        "invoice.match",
        "invoice",
        invoice.id,
        after={"matched": matched, "unmatched": unmatched, "mismatches": mismatches},
    )
    db.session.commit()
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
    check = db.session.get(InvoiceCheck, check_id)
    if check is None or check.ok:
        raise NotFound("Contrôle introuvable.")
    invoice = _invoice_for_update(actor, check.invoice_id)
    if invoice.status in (InvoiceStatus.SPLIT, InvoiceStatus.RECOVERED, InvoiceStatus.SETTLED):
        raise ServiceError("La facture est déjà répartie : ses contrôles ne changent plus.")
    if not comment.strip():
        raise ServiceError("Un commentaire est obligatoire pour accepter un écart ou ouvrir un litige.")
    before = check.resolution
    check.resolution, check.resolution_comment = resolution, comment.strip()
    check.resolved_by_id, check.resolved_at = actor.user_id, utcnow()
    invoice.status = InvoiceStatus.DISPUTED if _open_disputes(invoice) else InvoiceStatus.CHECKED
    audit.record(
        actor.user_id,
        f"invoice_check.{resolution.value}",
        "invoice_check",
        check.id,
        before={"resolution": before},
        after={"resolution": resolution, "comment": comment.strip()},
    )
    db.session.commit()
    return check


def _open_disputes(invoice: Invoice) -> bool:
    return any(c.kind == "contract" and c.resolution is CheckResolution.DISPUTED for c in invoice.checks)


def blocking_checks(invoice: Invoice) -> list[InvoiceCheck]:
    """Contract mismatches neither accepted nor disputed: they must be dealt with before the split.
    Unmatched lines (COMMANDE) do not block: they are shared by a key."""
    return [
        c
        for c in invoice.checks
        if c.kind == "contract" and not c.ok and c.rule != "COMMANDE" and c.resolution is not CheckResolution.ACCEPTED
    ]


def _invoice_for_update(actor: Actor, invoice_id: int) -> Invoice:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    invoice = db.session.scalar(select(Invoice).where(Invoice.id == invoice_id).with_for_update())
    if invoice is None:
        raise NotFound("Facture introuvable.")
    return invoice
