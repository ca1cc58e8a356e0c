"""Splitting an invoice among the member communes of its coordinator's groupements, to the cent."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from groupement.core import audit, transaction
from groupement.core.access import Actor
from groupement.core.errors import ServiceError
from groupement.core.formatting import euros
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.allocation import AllocationKey, CommuneInfo, InvoiceSplit, SplitLine
from groupement.invoices.allocation import split_invoice as allocate
from groupement.invoices.matching import split_blockers
from groupement.invoices.models import (
    Allocation,
    AllocationLine,
    AllocationVat,
)
from groupement.invoices.scope import advance, invoice_for_update
from groupement.invoices.states import (
    InvoiceStatus,
)

# --- split back to the communes --------------------------------------------------------------


BEFORE_SPLIT = frozenset({InvoiceStatus.IMPORTED, InvoiceStatus.CHECKED, InvoiceStatus.DISPUTED})


class SplitBlocked(ServiceError):
    """Anomalies (or a missing match) stop the split; `reasons` are French sentences, one each."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__(
            f"La facture ne peut pas être répartie : {len(reasons)} point(s) à traiter (accepter l'anomalie avec "
            "un commentaire, ou rejeter la facture) : " + " ; ".join(reasons[:3]) + (" ; …" if len(reasons) > 3 else "")
        )


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
    invoice = invoice_for_update(actor, invoice_id)
    # Before the split, what stops it is said first (not matched, anomalies); afterwards, the state.
    if invoice.status in BEFORE_SPLIT and (reasons := split_blockers(invoice)):
        raise SplitBlocked(reasons)
    advance("split", invoice.status, InvoiceStatus.SPLIT)
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
    expected_vat = {}
    for row in invoice.vat:
        expected_vat[row.rate] = expected_vat.get(row.rate, Decimal(0)) + row.amount
    result = allocate(  # an AllocationError is a ServiceError: the user reads its French reason
        lines,
        [CommuneInfo(c.insee_code, c.name, c.population or 0) for c in involved],
        key,
        shared_among=[code for code in shared if code],
        manual_percents=manual_percents,
        declared_vat=expected_vat,  # the VAT the invoice declares (its rounding accepted by BR-S-09)
    )
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
    # Each euro of a line tied to an order keeps its order line and the contract price it was checked against.
    traces = {
        f"L{line.position}": {
            "order_line_id": line.order_line_id,
            "contract_price_id": line.order_line.contract_price_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
        }
        for line in invoice.lines
        if line.order_line is not None
    }
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
                **traces.get(line_key, {}),
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
    invoice.status = advance("split", invoice.status, InvoiceStatus.SPLIT)
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
