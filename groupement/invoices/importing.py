"""Importing a supplier invoice (every format, checked before anything is written) for the
actor's coordinator, with its identity checks (seller among the coordinator's suppliers, buyer
among the organisations it reaches)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
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
from groupement.invoices.delivery_sites import MemberCommune, delivery_commune, describe
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
from groupement.invoices.prepayment_rules import Prepayment, PrepaymentMatch, match_prepayments
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
    delivery_checks = _delivery_communes(actor, invoice.lines, lines)
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
    prepayments = _prepayment_match(actor, data, seller_key, sign)
    # A line beyond R120's slack is an anomaly of the document itself, kept with the identity checks
    # (which re-matching leaves alone) so that it blocks the split until accepted.
    line_anomalies = [r for r in results if not r.ok and r.rule == LINE_RULE]
    invoice.checks = (
        [_check(CheckKind.ARITHMETIC, r) for r in results if r not in line_anomalies]
        + [_check(CheckKind.ARITHMETIC, r) for r in header_checks]
        + [_check(CheckKind.IDENTITY, r) for r in delivery_checks]
        + [
            _check(CheckKind.IDENTITY, r)
            for r in line_anomalies
            + _identity_checks(actor, data, supplier)
            + [_near_duplicate_check(near)]
            + _prepayment_check(prepayments, data, sign)
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
    if prepayments is not None and prepayments.ok:
        db.session.execute(
            update(Invoice)
            .where(Invoice.id.in_([p.id for p in prepayments.matched]))
            .values(deducted_by_id=invoice.id)
            .execution_options(synchronize_session="fetch")
        )
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
        }
        | ({"prepaid": invoice.prepaid, "prepayments": [p.number for p in prepayments.matched]} if prepayments else {}),
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


def _delivery_communes(actor: Actor, stored: list[InvoiceLine], read) -> list[CheckResult]:
    """Each line delivered to a member commune's site (CTC-FR) goes to that commune in the split;
    an information check says which lines went where, and which sites named no member commune."""
    sites = [(line, data.delivery) for line, data in zip(stored, read, strict=True) if data.delivery]
    if not sites:
        return []
    members = [
        MemberCommune(c.id, c.name, c.siren, c.siret, c.postcode, c.city) for c in invoice_scope.member_communes(actor)
    ]
    given, unknown = [], []
    for line, site in sites:
        commune = delivery_commune(site, members)
        if commune is None:
            unknown.append(f"ligne {line.line_id} ({describe(site)})")
        else:
            line.commune_id = commune.id
            given.append(f"ligne {line.line_id} : {commune.name}")
    message = "Lieux de livraison par ligne (CTC-FR) : " + (
        "; ".join(given[:20]) + (" …" if len(given) > 20 else "") if given else "aucun ne désigne une commune membre"
    )
    if unknown:
        message += f". Lieu(x) sans commune membre reconnue, réparti(s) par clé : {'; '.join(unknown[:10])}" + (
            " …" if len(unknown) > 10 else ""
        )
    return [CheckResult("LIVRAISON", True, message + ".")]


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


def _prepayment_match(actor: Actor, data: InvoiceData, seller_key: str, sign: Decimal) -> PrepaymentMatch | None:
    """A final invoice deducting prepayments (BT-113): the supplier's prepayment invoices (386)
    not deducted yet by another invoice still standing, matched to the deducted amount
    (prepayment_rules). None when nothing is deducted."""
    if not data.prepaid:
        return None
    rejected = select(Invoice.id).where(Invoice.status == InvoiceStatus.REJECTED)
    earlier = db.session.scalars(
        invoice_scope.invoices(actor)
        .where(
            Invoice.seller_key == seller_key,
            Invoice.kind == InvoiceKind.PREPAYMENT,
            Invoice.status != InvoiceStatus.REJECTED,
            Invoice.deducted_by_id.is_(None) | Invoice.deducted_by_id.in_(rejected),
        )
        .order_by(Invoice.issue_date, Invoice.id)
    )
    candidates = [Prepayment(i.id, i.number, i.issue_date, i.total_ttc, i.order_reference) for i in earlier]
    return match_prepayments(sign * data.prepaid, data.order_reference, candidates)


def _prepayment_check(match: PrepaymentMatch | None, data: InvoiceData, sign: Decimal) -> list[CheckResult]:
    if match is None:
        return []
    due = f"net à payer {euros(sign * data.payable)}"
    if match.ok:
        return [
            CheckResult(
                "ACOMPTE",
                True,
                f"{match.reason[0].upper()}{match.reason[1:]} ; {due}. Les titres de recettes de cette facture "
                "ne portent que la part de chaque commune dans le net à payer (l'acompte a été titré avec sa facture).",
            )
        ]
    return [
        CheckResult(
            "ACOMPTE",
            False,
            f"{match.reason[0].upper()}{match.reason[1:]} ; {due}. Les titres ne porteront que le net à payer : "
            "importez la facture d'acompte, ou acceptez avec un commentaire si l'acompte a été réglé "
            "hors de l'application.",
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
