from flask import Blueprint, current_app, render_template, request

from groupement.catalog.items import catalog_rows, search_catalog
from groupement.catalog.web.forms import CatalogFilterForm
from groupement.core.files.xlsx import EURO_FORMAT, UNIT_PRICE_FORMAT, Column, table_bytes
from groupement.web.access import roles_required
from groupement.web.downloads import xlsx_response
from groupement.web.query import int_arg

MAX_PAGE = 100_000  # beyond any catalogue: the offset stays a small integer
bp = Blueprint("catalog", __name__, url_prefix="/catalogue")

EXPORT_COLUMNS = [
    Column("Référence", 20),
    Column("Désignation", 60),
    Column("Famille", 16),
    Column("Code CPV", 13),
    Column("Unité", 12),
    Column("Prix unitaire HT estimé", 16, UNIT_PRICE_FORMAT),
    Column("Taux de TVA (%)", 10, "0.00"),
    Column("Éco-participation HT", 14, EURO_FORMAT),
    Column("Compte M57", 10),
]


def _filters() -> CatalogFilterForm:
    form = CatalogFilterForm(request.args)
    if not form.validate():
        form = CatalogFilterForm(formdata=None)
    return form


@bp.route("")
@roles_required()
def index():
    form = _filters()
    page = int_arg("page", 1, maximum=MAX_PAGE)
    pagination = search_catalog(form.q.data or "", form.family, page, current_app.config["PAGE_SIZE"])
    return render_template("catalog/index.html", form=form, pagination=pagination)


@bp.route("/export.xlsx")
@roles_required()
def export():
    form = _filters()
    rows = (
        (
            i.ref,
            i.designation,
            i.family.label,
            i.cpv_code,
            i.unit,
            i.unit_price_ht,
            i.vat_rate,
            i.eco_participation,
            i.account,
        )
        for i in catalog_rows(form.q.data or "", form.family)
    )
    return xlsx_response(table_bytes("Catalogue", EXPORT_COLUMNS, rows), "catalogue.xlsx")
