"""Suppliers (bidders and contract holders): created and kept up to date by the coordinator.
Suppliers have no login; accountant and admin may read them, commune users may not."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from groupement.core import audit
from groupement.core.access import COMMUNE_ROLES, Actor, Role
from groupement.core.errors import Forbidden, ServiceError
from groupement.core.formatting import name_key
from groupement.core.identifiers import InvalidIdentifier, clean_siret
from groupement.core.search import contains
from groupement.core.search_text import search_words
from groupement.extensions import db
from groupement.tenders import scope as supplier_scope
from groupement.tenders.models import Supplier
from groupement.web.pagination import paginate

FIELDS = ("name", "siret", "vat_number", "address", "postcode", "city", "contact_name", "contact_email", "phone")
MAX_LENGTHS = {
    "name": 200,
    "address": 300,
    "postcode": 10,
    "city": 120,
    "contact_name": 200,
    "contact_email": 254,
    "phone": 30,
}
LABELS = {
    "name": "La raison sociale",
    "address": "L'adresse",
    "postcode": "Le code postal",
    "city": "La commune",
    "contact_name": "Le nom du contact",
    "contact_email": "L'adresse électronique",
    "phone": "Le téléphone",
}


@dataclass(frozen=True)
class SupplierData:
    name: str
    siret: str
    vat_number: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    contact_name: str = ""
    contact_email: str = ""
    phone: str = ""


def list_suppliers(actor: Actor) -> list[Supplier]:
    _require_reader(actor)
    suppliers = db.session.scalars(supplier_scope.suppliers(actor)).all()
    return sorted(suppliers, key=lambda s: (name_key(s.name), s.id))


def suppliers_page(actor: Actor, search: str = "") -> Pagination:
    """One page of the suppliers in alphabetical order, filtered by words of their name or SIRET
    (web/pagination.py: the count and the page in SQL)."""
    _require_reader(actor)
    statement = supplier_scope.suppliers(actor)
    for word in search_words(search):  # accent- and case-blind on every database (core/search_text.py)
        statement = statement.where(contains(Supplier.search_key, word))
    return paginate(statement.order_by(func.lower(Supplier.name), Supplier.id))


def get_supplier(actor: Actor, supplier_id: int) -> Supplier:
    _require_reader(actor)
    return supplier_scope.get_supplier(actor, supplier_id)


def create_supplier(actor: Actor, data: SupplierData) -> Supplier:
    _require_coordinator(actor)
    values = _clean(actor, data, None)
    supplier = Supplier(coordinator_id=actor.organisation_id, **values)
    db.session.add(supplier)
    db.session.flush()
    audit.record(actor.user_id, "supplier.create", "supplier", supplier.id, after=values)
    return supplier


def update_supplier(actor: Actor, supplier_id: int, data: SupplierData) -> Supplier:
    _require_coordinator(actor)
    supplier = get_supplier(actor, supplier_id)
    values = _clean(actor, data, supplier.id)
    before = {name: getattr(supplier, name) for name in FIELDS}
    changed = {name: value for name, value in values.items() if before[name] != value}
    if changed:
        for name, value in changed.items():
            setattr(supplier, name, value)
        audit.record(
            actor.user_id,
            "supplier.update",
            "supplier",
            supplier.id,
            before={name: before[name] for name in changed},
            after=changed,
        )
    return supplier


def _clean(actor: Actor, data: SupplierData, supplier_id: int | None) -> dict[str, str]:
    values = {name: " ".join(str(value or "").split()) for name, value in asdict(data).items()}
    if not values["name"]:
        raise ServiceError("La raison sociale du fournisseur est obligatoire.")
    for name, length in MAX_LENGTHS.items():
        if len(values[name]) > length:
            raise ServiceError(f"{LABELS[name]} compte {length} caractères au plus.")
    try:
        values["siret"] = clean_siret(values["siret"])
    except InvalidIdentifier as error:
        raise ServiceError(str(error)) from error
    if values["vat_number"]:
        values["vat_number"] = _clean_vat(values["vat_number"], values["siret"])
    values["contact_email"] = values["contact_email"].lower()
    same_siret = db.session.scalar(
        supplier_scope.suppliers(actor).where(Supplier.siret == values["siret"], Supplier.id != (supplier_id or 0))
    )
    if same_siret is not None:
        raise ServiceError(f"Le fournisseur « {same_siret.name} » porte déjà le SIRET {values['siret']}.")
    return values  # two establishments of one company (same name, two SIRET) may both bid


def _clean_vat(value: str, siret: str) -> str:
    try:
        number = eu_vat.compact(value)
        eu_vat.validate(number)
    except ValidationError as error:
        raise ServiceError(
            f"Numéro de TVA intracommunautaire invalide « {value} » : préfixe du pays (FR…) puis le numéro, "
            "clé comprise."
        ) from error
    if number.startswith("FR") and number[-9:] != siret[:9]:
        raise ServiceError(
            f"Le numéro de TVA {number} ne correspond pas au SIREN {siret[:9]} du SIRET : vérifiez l'un ou l'autre."
        )
    return number


def _require_reader(actor: Actor) -> None:
    if actor.role in COMMUNE_ROLES:
        raise Forbidden("Les fournisseurs sont gérés par le coordonnateur.")


def _require_coordinator(actor: Actor) -> None:
    if actor.role is not Role.COORDINATOR:
        raise Forbidden("Seul le coordonnateur crée ou modifie un fournisseur.")
