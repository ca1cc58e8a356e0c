"""Invoice use cases: import (all formats, checked before anything is written) and matching
against the contracts and orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from groupement.catalog.models import CatalogItem
from groupement.contracts.models import Contract, Delivery, Order, OrderLine
from groupement.contracts.orders import orders_in_scope
from groupement.core import audit, transaction
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.formatting import euros
from groupement.core.money import to_cents
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.allocation import AllocationKey, CommuneInfo, InvoiceSplit, SplitLine
from groupement.invoices.allocation import split_invoice as allocate
from groupement.invoices.einvoice import parse_invoice
from groupement.invoices.models import (
    Allocation,
    AllocationLine,
    AllocationVat,
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceCheck,
    InvoiceLine,
    InvoiceVat,
    Payment,
    RecoveryTitle,
)
from groupement.invoices.rules import CheckResult, InvoiceData, InvoiceRefused, check_invoice
from groupement.invoices.states import (
    CheckResolution,
    InvoiceKind,
    InvoiceStatus,
    InvoiceTransitionRefused,
    check_invoice_transition,
    recovery_account,
)
from groupement.organisations import scope
from groupement.organisations.models import Organisation
from groupement.tenders.models import Supplier

# EN 16931 has no rule on a line's own arithmetic; PEPPOL's R120 is reported, never blocking
# (real invoices write returns as a positive quantity with a negative net, for instance).
WARNING_RULES = frozenset({"PEPPOL-EN16931-R120"})
KIND_OF_TYPE = {"380": InvoiceKind.INVOICE, "381": InvoiceKind.CREDIT_NOTE, "384": InvoiceKind.CORRECTIVE}
ACCOUNTING_ROLES = frozenset({Role.ACCOUNTANT, Role.COORDINATOR, Role.ADMIN})


def _advance(action: str, current: InvoiceStatus, target: InvoiceStatus) -> InvoiceStatus:
    """The invoice's next state if its transition table allows it, else a refusal (ServiceError)."""
    try:
        return check_invoice_transition(action, current, target)
    except InvoiceTransitionRefused as refused:
        raise ServiceError(str(refused)) from refused


class InvoiceRejected(ServiceError):
    def __init__(self, file_name: str, reasons: list[str]):
        self.file_name = file_name
        self.reasons = reasons
        super().__init__(f"Facture « {file_name} » refusée : rien n'a été enregistré.")


def import_invoice(actor: Actor, file_name: str, content: bytes) -> Invoice:
    """Parse, check the arithmetic, refuse duplicates, then write the invoice for the actor's
    coordinator (the command line acts as its system actor). A credit note is stored with
    negative amounts."""
    if actor.role not in ACCOUNTING_ROLES:
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
        select(func.count()).select_from(
            invoice_scope.invoices(actor)
            .where(Invoice.seller_key == seller_key, Invoice.number == data.number)
            .subquery()
        )
    ):
        raise InvoiceRejected(
            file_name, [f"La facture n° {data.number} de {data.seller_name} a déjà été importée (doublon)."]
        )

    sign = Decimal(-1) if data.type_code == "381" else Decimal(1)
    supplier = (
        db.session.scalar(scope.suppliers(actor).where(Supplier.siret == data.seller_siret))
        if data.seller_siret
        else None
    )
    invoice = Invoice(
        coordinator_id=actor.organisation_id,
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
        imported_by_id=actor.user_id,
    )
    invoice.lines = [_line(position, line, sign) for position, line in enumerate(data.lines, start=1)]
    catalog = {
        item.ref: item
        for item in db.session.scalars(
            select(CatalogItem).where(CatalogItem.ref.in_({line.item_ref for line in invoice.lines if line.item_ref}))
        )
    }
    for line in invoice.lines:
        if item := catalog.get(line.item_ref or ""):
            line.item_id, line.account = item.id, item.account
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
        _check("identity", r) for r in _identity_checks(actor, data, supplier)
    ]
    try:
        # A concurrent import of the same invoice: the unique constraint refuses the second one,
        # and only this attempt is undone.
        with transaction.savepoint():
            db.session.add(invoice)
            db.session.flush()
    except IntegrityError:
        raise InvoiceRejected(file_name, [f"La facture n° {data.number} a déjà été importée (doublon)."]) from None
    audit.record(
        actor.user_id,
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


def _identity_checks(actor: Actor, data: InvoiceData, supplier: Supplier | None) -> list[CheckResult]:
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
            scope.organisations(actor).where(
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
    _advance("match", invoice.status, InvoiceStatus.CHECKED)
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
    invoice.status = _advance("match", invoice.status, _checked_or_disputed(invoice))
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
    invoice = _invoice_for_update(actor, check.invoice_id)
    _advance("resolve", invoice.status, InvoiceStatus.CHECKED)
    if not comment.strip():
        raise ServiceError("Un commentaire est obligatoire pour accepter un écart ou ouvrir un litige.")
    before = check.resolution
    check.resolution, check.resolution_comment = resolution, comment.strip()
    check.resolved_by_id, check.resolved_at = actor.user_id, utcnow()
    invoice.status = _advance("resolve", invoice.status, _checked_or_disputed(invoice))
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


def _invoice_for_update(actor: Actor, invoice_id: int) -> Invoice:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    return invoice_scope.get_invoice(actor, invoice_id, for_update=True)


# --- split back to the communes --------------------------------------------------------------


def split_invoice(
    actor: Actor,
    invoice_id: int,
    key: AllocationKey,
    communes: list[str] | None = None,
    manual_percents: dict[str, Decimal] | None = None,
) -> InvoiceSplit:
    """Share the invoice among the communes to the cent and record each commune's allocation.

    Lines tied to an order go to its commune; the others, and document charges and allowances,
    are shared among `communes` (INSEE codes; None: every member commune) by the key.
    """
    invoice = _invoice_for_update(actor, invoice_id)
    _advance("split", invoice.status, InvoiceStatus.SPLIT)
    if blocking := blocking_checks(invoice):
        raise ServiceError(
            f"{len(blocking)} écart(s) avec le marché à traiter avant la répartition (accepter ou contester) : "
            + " ; ".join(c.message for c in blocking[:3])
        )
    members = invoice_scope.member_communes(actor)
    by_id = {c.id: c for c in members}
    shared = communes if communes is not None else [c.insee_code for c in members]
    unknown = sorted(set(shared) - {c.insee_code for c in members})
    if unknown:
        raise ServiceError(f"Code(s) INSEE inconnu(s) parmi les communes membres : {', '.join(unknown)}.")
    lines = [
        SplitLine(
            key=f"L{line.position}",
            net_amount=line.net_amount,
            vat_rate=line.vat_rate,
            quantity=line.quantity,
            commune=by_id[line.commune_id].insee_code if line.commune_id in by_id else None,
            account=line.account,
        )
        for line in invoice.lines
    ] + [
        SplitLine(key=f"R{index}", net_amount=ac.amount, vat_rate=ac.vat_rate, quantity=Decimal(0), commune=None)
        for index, ac in enumerate(invoice.allowances_charges, start=1)
    ]
    tied = {line.commune for line in lines if line.commune}
    involved = [c for c in members if c.insee_code in tied or c.insee_code in shared]
    try:
        result = allocate(
            lines,
            [CommuneInfo(c.insee_code, c.name, c.population or 0) for c in involved],
            key,
            shared_among=[code for code in shared if code],
            manual_percents=manual_percents,
        )
    except ValueError as error:
        raise ServiceError(str(error)) from error
    expected_vat = {}
    for row in invoice.vat:
        expected_vat[row.rate] = expected_vat.get(row.rate, Decimal(0)) + row.amount
    if (result.total_ht, result.total_ttc) != (invoice.total_ht, invoice.total_ttc) or any(
        result.vat.get(rate, Decimal(0)) != amount for rate, amount in expected_vat.items()
    ):
        raise ServiceError(
            "La répartition ne retrouve pas les totaux de la facture "
            f"(HT {euros(result.total_ht)} pour {euros(invoice.total_ht)}, TTC {euros(result.total_ttc)} pour "
            f"{euros(invoice.total_ttc)}) : vérifiez les arrondis déclarés par le fournisseur."
        )
    descriptions = {f"L{line.position}": line.description for line in invoice.lines} | {
        f"R{index}": ac.reason or ("Frais" if ac.is_charge else "Remise")
        for index, ac in enumerate(invoice.allowances_charges, start=1)
    }
    accounts = {line.key: line.account for line in lines}
    rates = {line.key: line.vat_rate for line in lines}
    commune_ids = {c.insee_code: c.id for c in involved}
    new_allocations = []
    for share in result.communes:
        if not share.ht and not share.total_vat:
            continue
        allocation = Allocation(
            invoice_id=invoice.id,
            commune_id=commune_ids[share.insee],
            allocation_key=key.value,
            ht=share.ht,
            vat=share.total_vat,
            ttc=share.ttc,
            created_by_id=actor.user_id,
        )
        bases: dict[Decimal, Decimal] = {}
        for line_key, amount in share.lines.items():
            bases[rates[line_key]] = bases.get(rates[line_key], Decimal(0)) + amount
        allocation.vat_lines = [
            AllocationVat(rate=rate, base=bases.get(rate, Decimal(0)), amount=amount)
            for rate, amount in share.vat.items()
            if amount or bases.get(rate)
        ]
        allocation.lines = [
            AllocationLine(
                line_key=line_key,
                description=descriptions[line_key][:500],
                account=accounts[line_key],
                vat_rate=rates[line_key],
                ht=amount,
            )
            for line_key, amount in share.lines.items()
            if amount
        ]
        new_allocations.append(allocation)
    before = invoice.status
    try:
        # A concurrent split of the same invoice: unique (invoice, commune) refuses the second.
        with transaction.savepoint():
            db.session.add_all(new_allocations)
            db.session.flush()
    except IntegrityError:
        raise ServiceError("Cette facture vient d'être répartie par quelqu'un d'autre.") from None
    invoice.status = _advance("split", invoice.status, InvoiceStatus.SPLIT)
    audit.record(
        actor.user_id,
        "invoice.split",
        "invoice",
        invoice.id,
        before={"status": before},
        after={
            "status": invoice.status,
            "key": key.value,
            "communes": {s.insee: {"ht": s.ht, "ttc": s.ttc} for s in result.communes if s.ht or s.total_vat},
        },
    )
    return result


# --- recovery titles, payments, ledger ---------------------------------------------------------


def issue_recovery_titles(actor: Actor, invoice_id: int, due_date: date) -> list[RecoveryTitle]:
    """One titre de recettes per commune for its TTC share (no VAT on the re-invoice between
    public bodies: the coordinator recovers the TTC, domain-facts §7)."""
    invoice = _invoice_for_update(actor, invoice_id)
    _advance("issue_titles", invoice.status, InvoiceStatus.RECOVERED)
    allocations = db.session.scalars(
        invoice_scope.allocations(actor).where(Allocation.invoice_id == invoice.id).order_by(Allocation.commune_id)
    ).all()
    year = invoice.issue_date.year
    last = db.session.scalar(
        select(func.count()).select_from(RecoveryTitle).where(RecoveryTitle.number.like(f"TR-{year}-%"))
    )
    titles = []
    for sequence, allocation in enumerate(allocations, start=last + 1):
        main_line = max(allocation.lines, key=lambda line: abs(line.ht)) if allocation.lines else None
        account = recovery_account(main_line.account if main_line else None)
        title = RecoveryTitle(
            number=f"TR-{year}-{sequence:05d}",
            invoice_id=invoice.id,
            commune_id=allocation.commune_id,
            object=f"Remboursement de la facture {invoice.number} de {invoice.seller_name} "
            f"({invoice.kind.label}, groupement de commandes)"[:300],
            amount_ttc=allocation.ttc,
            account=account,
            due_date=due_date,
            issued_by_id=actor.user_id,
        )
        db.session.add(title)
        titles.append(title)
    invoice.status = _advance("issue_titles", invoice.status, InvoiceStatus.RECOVERED)
    db.session.flush()
    audit.record(
        actor.user_id,
        "invoice.titles",
        "invoice",
        invoice.id,
        after={"titles": [t.number for t in titles], "total": sum(t.amount_ttc for t in titles)},
    )
    return titles


def record_payment(actor: Actor, title_id: int, paid_on: date, amount: Decimal, reference: str = "") -> Payment:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    title = invoice_scope.get_title(actor, title_id)
    amount = to_cents(amount)
    paid = sum((p.amount for p in title.payments), Decimal(0))
    if amount == 0 or abs(paid + amount) > abs(title.amount_ttc) or (amount < 0) != (title.amount_ttc < 0):
        raise ServiceError(
            f"Montant invalide : reste à encaisser {euros(title.amount_ttc - paid)} sur le titre {title.number}."
        )
    payment = Payment(paid_on=paid_on, amount=amount, reference=reference.strip()[:100], recorded_by_id=actor.user_id)
    title.payments.append(payment)  # through the relationship, so the settlement check below sees it
    db.session.flush()
    invoice = title.invoice
    titles = db.session.scalars(invoice_scope.titles(actor).where(RecoveryTitle.invoice_id == invoice.id)).all()
    if all(sum((p.amount for p in t.payments), Decimal(0)) == t.amount_ttc for t in titles):
        invoice.status = _advance("settle", invoice.status, InvoiceStatus.SETTLED)
    audit.record(
        actor.user_id,
        "payment.record",
        "recovery_title",
        title.id,
        after={"amount": amount, "paid_on": paid_on, "reference": payment.reference},
    )
    return payment


def list_invoices(actor: Actor, status: InvoiceStatus | None = None, search: str = "") -> list[Invoice]:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    statement = invoice_scope.invoices(actor).order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    if status is not None:
        statement = statement.where(Invoice.status == status)
    for word in search.split():
        pattern = f"%{word.lower()}%"
        statement = statement.where(
            func.lower(Invoice.number).like(pattern) | func.lower(Invoice.seller_name).like(pattern)
        )
    return list(db.session.scalars(statement))


def invoice_detail(actor: Actor, invoice_id: int) -> Invoice:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    return invoice_scope.get_invoice(actor, invoice_id)


@dataclass(frozen=True)
class Statement:
    invoice: Invoice
    commune: Organisation
    allocation: Allocation
    lines: list[AllocationLine]
    key_label: str


def commune_statement(actor: Actor, invoice_id: int, commune_id: int) -> Statement:
    """A commune's état de répartition: its own commune only, for commune users."""
    allocation = db.session.scalar(
        invoice_scope.allocations(actor).where(Allocation.invoice_id == invoice_id, Allocation.commune_id == commune_id)
    )
    if allocation is None:
        raise NotFound("État de répartition introuvable.")
    return Statement(
        allocation.invoice,
        allocation.commune,
        allocation,
        sorted(allocation.lines, key=lambda line: line.line_key),
        AllocationKey(allocation.allocation_key).label,
    )


@dataclass(frozen=True)
class LedgerRow:
    invoice_id: int
    invoice_number: str
    invoice_date: date
    supplier: str
    ttc_allocated: Decimal
    titled: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.titled - self.paid


@dataclass(frozen=True)
class Ledger:
    commune: Organisation
    rows: list[LedgerRow]

    @property
    def totals(self) -> dict[str, Decimal]:
        return {
            name: sum((getattr(row, name) for row in self.rows), Decimal(0))
            for name in ("ttc_allocated", "titled", "paid", "outstanding")
        }


def commune_ledger(actor: Actor, commune_id: int) -> Ledger:
    """Invoiced, titled, paid and outstanding for one commune, invoice by invoice."""
    try:
        commune = invoice_scope.get_commune(actor, commune_id)
    except NotFound:
        raise NotFound("Commune introuvable.") from None
    reached = invoice_scope.invoices(actor).with_only_columns(Invoice.id)
    titled = (
        select(RecoveryTitle.invoice_id, RecoveryTitle.amount_ttc, RecoveryTitle.id)
        .where(RecoveryTitle.commune_id == commune_id)
        .subquery()
    )
    paid = select(Payment.title_id, func.sum(Payment.amount).label("paid")).group_by(Payment.title_id).subquery()
    rows = db.session.execute(
        select(
            Invoice.id,
            Invoice.number,
            Invoice.issue_date,
            Invoice.seller_name,
            Allocation.ttc,
            titled.c.amount_ttc,
            paid.c.paid,
        )
        .join(Allocation, Allocation.invoice_id == Invoice.id)
        .outerjoin(titled, titled.c.invoice_id == Invoice.id)
        .outerjoin(paid, paid.c.title_id == titled.c.id)
        .where(Allocation.commune_id == commune_id, Invoice.id.in_(reached))
        .order_by(Invoice.issue_date, Invoice.id)
    ).all()
    return Ledger(
        commune,
        [
            LedgerRow(i, number, issued, seller, ttc, title or Decimal(0), Decimal(str(p)) if p else Decimal(0))
            for i, number, issued, seller, ttc, title, p in rows
        ],
    )


@dataclass(frozen=True)
class ContractReconciliation:
    contract: Contract
    ordered: Decimal
    delivered: Decimal
    invoiced: Decimal
    paid: Decimal


def contract_reconciliation(actor: Actor, contract_id: int) -> ContractReconciliation:
    """Ordered vs delivered vs invoiced vs paid, HT except paid (TTC recovered from the communes)."""
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    contract = db.session.scalar(scope.contracts(actor).where(Contract.id == contract_id))
    if contract is None:
        raise NotFound("Marché introuvable.")
    reached = invoice_scope.invoices(actor).with_only_columns(Invoice.id)
    ordered_lines = db.session.execute(
        select(OrderLine.id, OrderLine.amount_ht, OrderLine.quantity, OrderLine.unit_price, OrderLine.eco_participation)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.contract_id == contract.id)
    ).all()
    delivered_qty = dict(
        db.session.execute(
            select(Delivery.order_line_id, func.sum(Delivery.quantity))
            .where(Delivery.order_line_id.in_([row.id for row in ordered_lines]))
            .group_by(Delivery.order_line_id)
        ).all()
    )
    invoiced = db.session.scalars(
        select(Invoice.total_ht).where(Invoice.contract_id == contract.id, Invoice.id.in_(reached))
    ).all()
    paid = db.session.scalars(
        select(Payment.amount)
        .join(RecoveryTitle, RecoveryTitle.id == Payment.title_id)
        .join(Invoice, Invoice.id == RecoveryTitle.invoice_id)
        .where(Invoice.contract_id == contract.id, Invoice.id.in_(reached))
    ).all()
    return ContractReconciliation(
        contract,
        ordered=sum((row.amount_ht for row in ordered_lines), Decimal(0)),
        delivered=sum(
            (
                to_cents(delivered_qty.get(row.id, 0) * (row.unit_price + row.eco_participation))
                for row in ordered_lines
            ),
            Decimal(0),
        ),
        invoiced=sum(invoiced, Decimal(0)),
        paid=sum(paid, Decimal(0)),
    )
