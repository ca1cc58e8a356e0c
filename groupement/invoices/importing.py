"""Importing a supplier invoice (every format, checked before anything is written) for the
actor's coordinator, with its identity checks (seller among the coordinator's suppliers, buyer
among the organisations it reaches)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from groupement.catalog.models import CatalogItem
from groupement.core import audit, transaction
from groupement.core.access import Actor
from groupement.core.archive import archive
from groupement.core.errors import Forbidden, ServiceError
from groupement.core.formatting import date_fr, euros
from groupement.core.money import to_unit_price
from groupement.extensions import db
from groupement.invoices import invoice_file
from groupement.invoices import scope as invoice_scope
from groupement.invoices.einvoice import parse_invoice
from groupement.invoices.einvoice.official_rules import check_file
from groupement.invoices.header_only import header_lines
from groupement.invoices.models import (
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceCheck,
    InvoiceLine,
    InvoiceVat,
)
from groupement.invoices.official_findings import record as record_official_check
from groupement.invoices.rules import (
    LINE_RULE,
    CheckResult,
    InvoiceData,
    InvoiceRefused,
    check_invoice,
    normalise_invoice_number,
)
from groupement.invoices.scope import ACCOUNTING_ROLES
from groupement.invoices.states import (
    CheckKind,
    InvoiceKind,
    InvoiceStatus,
)
from groupement.organisations import scope
from groupement.organisations.models import Organisation
from groupement.tenders import scope as supplier_scope
from groupement.tenders.models import Supplier

# EN 16931 has no rule on a line's own arithmetic, so the official validator never refuses a file
# for it: PEPPOL's R120 does not refuse the import, but a line beyond its 0,02 € slack is an
# anomaly that blocks the split until the accountant accepts it with a comment or rejects the invoice.
WARNING_RULES = frozenset({LINE_RULE})


class InvoiceRejected(ServiceError):
    def __init__(self, file_name: str, reasons: list[str]):
        self.file_name = file_name
        self.reasons = reasons
        super().__init__(f"Facture « {file_name} » refusée : rien n'a été enregistré.")


class InvoiceDuplicate(InvoiceRejected):
    """The invoice was already imported (same seller, same number once normalised): a batch's
    report says « doublon » rather than « refusée »."""


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
    try:
        lines, vat_rows, header_checks = header_lines(data, file_name)
    except InvoiceRefused as refused:
        raise InvoiceRejected(file_name, list(refused.reasons)) from refused
    seller_key = data.seller_siret or data.seller_name.strip().upper()
    number_key = normalise_invoice_number(data.number)
    supplier = (
        db.session.scalar(supplier_scope.suppliers(actor).where(Supplier.siret == data.seller_siret))
        if data.seller_siret
        else None
    )
    # The name the file gives, else the supplier record's (a spreadsheet may give only the SIRET).
    seller_name = data.seller_name.strip() or (supplier.name if supplier else "")
    seller = seller_name or seller_key
    same = db.session.scalar(
        invoice_scope.invoices(actor).where(Invoice.seller_key == seller_key, Invoice.number_key == number_key)
    )
    if same is not None:
        raise InvoiceDuplicate(file_name, [_duplicate_reason(data.number, same.number, seller)])

    document = data.document_type
    sign = document.sign
    near = list(
        db.session.scalars(
            invoice_scope.invoices(actor)
            .where(
                Invoice.seller_key == seller_key,
                Invoice.issue_date == data.issue_date,
                Invoice.total_ttc == sign * data.tax_inclusive,
            )
            .order_by(Invoice.id)
        )
    )
    invoice = Invoice(
        coordinator_id=actor.organisation_id,
        number=data.number,
        number_key=number_key,
        kind=document.kind,
        type_code=data.type_code,
        status=InvoiceStatus.IMPORTED,
        issue_date=data.issue_date,
        due_date=data.due_date,
        currency=data.currency,
        seller_key=seller_key,
        seller_name=seller_name[:200],
        seller_siret=data.seller_siret,
        seller_vat=data.seller_vat,
        buyer_name=data.buyer_name,
        buyer_siret=data.buyer_siret,
        order_reference=data.order_reference[:60] if data.order_reference else None,
        buyer_reference=data.buyer_reference[:100] if data.buyer_reference else None,
        supplier_id=supplier.id if supplier else None,
        source_format=data.source_format,
        file_name=file_name[:255],
        total_ht=sign * data.tax_exclusive,
        total_vat=sign * data.tax_total,
        total_ttc=sign * data.tax_inclusive,
        profile=data.profile,
        prepaid=sign * data.prepaid,
        imported_by_id=actor.user_id,
    )
    # Only the lines that count (a GROUP subtotal or an INFORMATION sub-line is never split twice).
    invoice.lines = [_line(position, line, sign) for position, line in enumerate(lines, start=1)]
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
        for v in vat_rows
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
    # A line beyond R120's slack is an anomaly of the document itself, kept with the identity checks
    # (which re-matching leaves alone) so that it blocks the split until accepted.
    line_anomalies = [r for r in results if not r.ok and r.rule == LINE_RULE]
    invoice.checks = (
        [_check(CheckKind.ARITHMETIC, r) for r in results if r not in line_anomalies]
        + [_check(CheckKind.ARITHMETIC, r) for r in header_checks]
        + [
            _check(CheckKind.IDENTITY, r)
            for r in line_anomalies
            + _identity_checks(actor, data, supplier)
            + [_near_duplicate_check(near)]
            + _prepayment_checks(actor, data, seller_key, sign)
        ]
    )
    try:
        # A concurrent import of the same invoice: the unique constraint refuses the second one,
        # and only this attempt is undone.
        with transaction.savepoint():
            db.session.add(invoice)
            db.session.flush()
    except IntegrityError:
        raise InvoiceDuplicate(file_name, [_duplicate_reason(data.number, data.number, seller)]) from None
    if content.startswith(b"%PDF-") or b"%PDF-" in content[:1024]:
        # The PDF is the legal invoice (always for a header-only profile): kept, byte for byte.
        archive(
            actor_id=actor.user_id,
            coordinator_id=actor.organisation_id,
            object_type=invoice_file.OBJECT_TYPE,
            object_id=invoice.id,
            kind=invoice_file.KIND,
            title=f"{invoice.kind.label.capitalize()} n° {invoice.number} (PDF du fournisseur)"[:200],
            file_name=file_name[:200],
            content=content,
        )
    # The official EN 16931 rules (CEN / Factur-X schematron): stored, fatal findings block the split.
    record_official_check(invoice.id, check_file(content, file_name))
    audit.record(
        actor.user_id,
        "invoice.import",
        "invoice",
        invoice.id,
        after={
            "number": invoice.number,
            "kind": invoice.kind,
            "seller": invoice.supplier_name,
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
        # A net price may carry more decimals than the column (EN 16931 allows it): rounded here, once.
        unit_price=to_unit_price(line.unit_price),
        net_amount=sign * line.net_amount,
        vat_category=line.vat_category,
        vat_rate=line.vat_rate,
        order_reference=line.order_ref[:60] if line.order_ref else None,
        commune_id=None,
    )


def _check(kind: str, result: CheckResult) -> InvoiceCheck:
    return InvoiceCheck(kind=kind, rule=result.rule, ok=result.ok, message=result.message)


def _duplicate_reason(number: str, stored: str, seller: str) -> str:
    same = f"la facture n° {stored}" if stored == number else f"la facture n° {stored} (même numéro une fois normalisé)"
    return f"La facture n° {number} de « {seller} » est un doublon : {same} a déjà été importée."


def _near_duplicate_check(near: list[Invoice]) -> CheckResult:
    """Same supplier, same date, same total TTC, another number: perhaps the same invoice sent twice."""
    if not near:
        return CheckResult("DOUBLON", True, "Aucune autre facture du fournisseur au même montant et à la même date.")
    numbers = ", ".join(f"n° {invoice.number}" for invoice in near)
    return CheckResult(
        "DOUBLON",
        False,
        f"Doublon possible : même fournisseur, même date ({date_fr(near[0].issue_date)}) et même total TTC "
        f"({euros(near[0].total_ttc)}) que la facture {numbers}.",
    )


def _prepayment_checks(actor: Actor, data: InvoiceData, seller_key: str, sign: Decimal) -> list[CheckResult]:
    """A final invoice deducting prepayments (BT-113): its TTC is split and titled whole, so the
    prepayment invoices (386) already titled must be set against it. Until the recovery deducts
    them itself, an anomaly names them (or their absence), to accept with a comment."""
    if not data.prepaid:
        return []
    earlier = list(
        db.session.scalars(
            invoice_scope.invoices(actor)
            .where(Invoice.seller_key == seller_key, Invoice.kind == InvoiceKind.PREPAYMENT)
            .order_by(Invoice.issue_date, Invoice.id)
        )
    )
    found = (
        "facture(s) d'acompte de ce fournisseur : "
        + ", ".join(f"n° {i.number} du {date_fr(i.issue_date)} ({euros(i.total_ttc)})" for i in earlier[:5])
        if earlier
        else "aucune facture d'acompte de ce fournisseur n'a été importée"
    )
    return [
        CheckResult(
            "ACOMPTE",
            False,
            f"Acomptes déduits (BT-113) : {euros(sign * data.prepaid)} ; net à payer {euros(sign * data.payable)}. "
            f"Le total TTC est réparti et titré en entier : vérifiez que les acomptes déjà titrés aux communes "
            f"sont déduits de leurs titres ({found}).",
        )
    ]


def _identity_checks(actor: Actor, data: InvoiceData, supplier: Supplier | None) -> list[CheckResult]:
    """Unknown seller or buyer: anomalies that block the split until the accountant accepts them
    with a comment, or rejects the invoice (matching.blocking_checks)."""
    results = [
        CheckResult("VENDEUR", True, f"Vendeur reconnu : {supplier.name} (SIRET {supplier.siret}).")
        if supplier
        else CheckResult(
            "VENDEUR",
            False,
            f"Vendeur « {data.seller_name.strip() or data.seller_siret or '?'} » inconnu des fournisseurs"
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
