"""Scope of the supplier space (DESIGN.md §3.4): a supplier's user reaches its own supplier
record and, through it, its contracts, their prices, the orders addressed to it and the
invoices it sent; nothing else (404). The coordinator's side reaches the supplier accounts of
its own supplier records (tenders/scope.py).

A supplier's user belongs to the coordinator that keeps the record (user.organisation_id), is
linked to the record by SupplierUser, and has Role.SUPPLIER: the three must agree.
"""

from __future__ import annotations

from sqlalchemy import Select, false, select

from groupement.contracts.models import Contract, Delivery, Order, OrderLine
from groupement.core.access import SUPPLIER_ROLES, Actor
from groupement.core.errors import NotFound
from groupement.extensions import db
from groupement.invoices.models import Invoice, InvoiceCheck
from groupement.organisations.user_models import User
from groupement.suppliers.models import SupplierUser
from groupement.tenders import scope as supplier_scope
from groupement.tenders.models import Supplier


def supplier_id_of(actor: Actor) -> int | None:
    """The supplier record of a supplier's user; None for everyone else."""
    if actor.role not in SUPPLIER_ROLES or actor.user_id is None:
        return None
    return db.session.scalar(
        select(Supplier.id)
        .join(SupplierUser, SupplierUser.supplier_id == Supplier.id)
        .where(SupplierUser.user_id == actor.user_id, Supplier.coordinator_id == actor.organisation_id)
    )


def own_supplier(actor: Actor) -> Supplier:
    supplier_id = supplier_id_of(actor)
    if supplier_id is None:
        raise NotFound("Espace fournisseur introuvable.")
    return db.session.get(Supplier, supplier_id)


def contracts(actor: Actor) -> Select:
    """The supplier's contracts (it holds them); nothing for anyone else."""
    supplier_id = supplier_id_of(actor)
    statement = select(Contract)
    return statement.where(false()) if supplier_id is None else statement.where(Contract.supplier_id == supplier_id)


def orders(actor: Actor) -> Select:
    """The orders addressed to the supplier: those under its contracts."""
    reached = contracts(actor).with_only_columns(Contract.id)
    return select(Order).where(Order.contract_id.in_(reached))


def order_lines(actor: Actor) -> Select:
    return select(OrderLine).where(OrderLine.order_id.in_(orders(actor).with_only_columns(Order.id)))


def deliveries(actor: Actor) -> Select:
    return select(Delivery).where(Delivery.order_line_id.in_(order_lines(actor).with_only_columns(OrderLine.id)))


def invoices(actor: Actor) -> Select:
    """The invoices the coordinator received from this supplier (its record), as it sees them."""
    supplier_id = supplier_id_of(actor)
    statement = select(Invoice)
    if supplier_id is None:
        return statement.where(false())
    return statement.where(Invoice.supplier_id == supplier_id, Invoice.coordinator_id == actor.organisation_id)


def invoice_checks(actor: Actor) -> Select:
    """The checks of the supplier's invoices (a dispute's reasons)."""
    return select(InvoiceCheck).where(InvoiceCheck.invoice_id.in_(invoices(actor).with_only_columns(Invoice.id)))


def get_contract(actor: Actor, contract_id: int) -> Contract:
    contract = db.session.scalar(contracts(actor).where(Contract.id == contract_id))
    if contract is None:
        raise NotFound("Marché introuvable.")
    return contract


def get_order(actor: Actor, order_id: int, lock: bool = False) -> Order:
    statement = orders(actor).where(Order.id == order_id)
    order = db.session.scalar(statement.with_for_update() if lock else statement)
    if order is None:
        raise NotFound("Bon de commande introuvable.")
    return order


def get_order_line(actor: Actor, order_line_id: int, lock: bool = False) -> OrderLine:
    statement = order_lines(actor).where(OrderLine.id == order_line_id)
    line = db.session.scalar(statement.with_for_update() if lock else statement)
    if line is None:
        raise NotFound("Ligne de commande introuvable.")
    return line


# --- the coordinator's side: the accounts of its supplier records ------------------------------


def accounts(actor: Actor, supplier_id: int) -> Select:
    """The users of one supplier record of the actor's coordinator (NotFound otherwise)."""
    supplier = supplier_scope.get_supplier(actor, supplier_id)
    return (
        select(User)
        .join(SupplierUser, SupplierUser.user_id == User.id)
        .where(SupplierUser.supplier_id == supplier.id, User.organisation_id == supplier.coordinator_id)
    )


def supplier_users_of(supplier_id: int) -> Select:
    """The active users of a supplier record (for its notifications: the caller holds the record)."""
    return (
        select(User)
        .join(SupplierUser, SupplierUser.user_id == User.id)
        .join(Supplier, Supplier.id == SupplierUser.supplier_id)
        .where(
            SupplierUser.supplier_id == supplier_id,
            User.active.is_(True),
            User.organisation_id == Supplier.coordinator_id,
        )
    )


def user_by_email(email: str) -> User | None:
    """Whether an address already has an account (any organisation: addresses are unique)."""
    return db.session.scalar(select(User).where(User.email == email))
