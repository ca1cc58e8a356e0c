"""The supplier form's « Remplir depuis le SIRET » button: a POST that re-renders the form with
the name and address of the SIRENE data, nothing written (no JavaScript needed)."""

from __future__ import annotations

from flask import abort, flash, request

from groupement.core.identifiers import InvalidIdentifier
from groupement.tenders.sirene import SireneUnavailable, SiretNotFound, lookup_siret
from groupement.tenders.web.forms import SupplierForm

FILL_BUTTON = "remplir_siret"


def fill_requested() -> bool:
    return request.method == "POST" and FILL_BUTTON in request.form


def fill_from_siret(form: SupplierForm) -> None:
    """Fills name, address, postcode and city from the SIRET typed; a French message beside the
    SIRET when it cannot be one, above the form when the data cannot be read."""
    form.validate()
    if form.csrf_token.errors:
        abort(400)
    for field in form:  # the form is not finished: only what the lookup says is shown
        field.errors = []
    try:
        found = lookup_siret(form.siret.data or "")
    except InvalidIdentifier as error:
        form.siret.errors = [str(error)]
        return
    except SiretNotFound as error:
        form.siret.errors = [str(error)]
        return
    except SireneUnavailable as error:
        flash(str(error), "warning")
        return
    form.siret.data = found.siret
    form.name.data = found.name
    form.address.data = found.address
    form.postcode.data = found.postcode
    form.city.data = found.city
    flash(
        "Raison sociale et adresse remplies depuis le répertoire SIRENE : vérifiez-les, complétez le contact, "
        "puis enregistrez.",
        "info",
    )
