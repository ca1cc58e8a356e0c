from flask import Blueprint, render_template

from groupement.core.access import OrganisationKind
from groupement.core.files.xlsx import INTEGER_FORMAT, Column, table_bytes
from groupement.organisations.queries import (
    OrganisationFilters,
    organisation_detail,
    organisations_overview,
    organisations_page,
)
from groupement.web.access import current_actor, roles_required
from groupement.web.downloads import xlsx_response
from groupement.web.query import choice_arg, kept_args, text_arg

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.route("")
@roles_required()
def index():
    filters, args = _filters()
    return render_template(
        "organisations/index.html", page=organisations_page(current_actor(), filters), filters=filters, args=args
    )


def _filters() -> tuple[OrganisationFilters, dict]:
    kind = choice_arg("type", [k.value for k in OrganisationKind])
    filters = OrganisationFilters(search=text_arg("q"), kind=OrganisationKind(kind) if kind else None)
    return filters, kept_args(q=filters.search, type=kind)


@bp.route("/export.xlsx")
@roles_required()
def export():
    overview = organisations_overview(current_actor(), _filters()[0])
    columns = [
        Column("Organisation", 40),
        Column("Type", 14),
        Column("Code INSEE", 11),
        Column("SIREN", 12),
        Column("Population", 12, INTEGER_FORMAT),
        Column("Familles du groupement", 50),
        Column("Adhésion signée le", 14),
    ]
    rows = (
        (
            row.organisation.name,
            "Coordonnateur" if row.membership is None else "Commune",
            row.organisation.insee_code,
            row.organisation.siren,
            row.organisation.population,
            ", ".join(f.label for f in sorted(row.membership.families)) if row.membership else "",
            row.membership.signed_on if row.membership else None,
        )
        for row in overview
    )
    return xlsx_response(table_bytes("Organisations", columns, rows), "organisations.xlsx")


@bp.route("/<int:organisation_id>")
@roles_required()
def show(organisation_id: int):
    return render_template("organisations/show.html", detail=organisation_detail(current_actor(), organisation_id))
