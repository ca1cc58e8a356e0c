"""The invoice spreadsheet template of the actor's coordinator: its communes (INSEE code, name,
Chorus Pro service code) in the « Communes » sheet that the INSEE column's validation lists."""

from __future__ import annotations

from groupement.core.access import Actor
from groupement.core.errors import NotFound
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.einvoice.spreadsheet_template import TemplateCommune, invoice_template
from groupement.invoices.scope import ACCOUNTING_ROLES
from groupement.organisations import scope
from groupement.organisations.models import Organisation


def template_for(actor: Actor) -> bytes:
    if actor.role not in ACCOUNTING_ROLES:
        raise NotFound("Modèle introuvable.")
    coordinator = db.session.scalar(scope.organisations(actor).where(Organisation.id == actor.organisation_id))
    communes = [
        TemplateCommune(c.insee_code or "", c.name, c.chorus_service_code or "")
        for c in invoice_scope.member_communes(actor)
    ]
    return invoice_template(communes, coordinator.name if coordinator else "")
