"""The contract's life page (coordinator side): renewals, amendments, price revision. The
coordinator acts; accountant and admin read. Another coordinator's contract is not found."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from groupement.contracts.amendment_rules import Ground
from groupement.contracts.amendments import add_amendment
from groupement.contracts.awards import editable_contract
from groupement.contracts.life_page import life_page
from groupement.contracts.renewals import decide_renewal, set_renewal_terms
from groupement.contracts.revisions import (
    compute_revisions,
    import_index_values,
    prices_in_force,
    record_index_value,
    set_formula,
)
from groupement.contracts.web import bp
from groupement.contracts.web.life_forms import (
    AmendmentForm,
    EmptyForm,
    FormulaForm,
    IndexImportForm,
    IndexValueForm,
    RenewalDecisionForm,
    RenewalTermsForm,
)
from groupement.contracts.web.routes import unit_euros
from groupement.core import transaction
from groupement.core.access import COORDINATOR_SIDE_ROLES, Role
from groupement.core.errors import ImportRejected
from groupement.core.files.upload_guard import MAX_UPLOAD_BYTES
from groupement.core.formatting import date_fr, euros
from groupement.core.timeutil import paris_today
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt


@bp.route("/contrats/<int:contract_id>/vie")
@roles_required(*COORDINATOR_SIDE_ROLES)
def life(contract_id: int):
    return _life_page(contract_id)


def _life_page(contract_id: int, status: int = 200, **refused):
    """The contract's life page; `refused` holds a posted form that was not valid (terms_form,
    decision_form, amendment_form, formula_form, index_form, import_form), shown again with its
    errors beside its fields: a 422, nothing written."""
    today = paris_today()
    page = life_page(current_actor(), contract_id, today)
    contract = page.contract
    terms = refused.get("terms_form") or RenewalTermsForm(
        formdata=None,
        data={
            "renewal_count": contract.renewal_count,
            "renewal_months": contract.renewal_months,
            "notice_months": contract.notice_months,
        },
    )
    decision = refused.get("decision_form") or RenewalDecisionForm(
        formdata=None, data={"period": page.renewals.next.period if page.renewals.next else 1}
    )
    formula = page.formula
    formula_form = refused.get("formula_form") or FormulaForm(
        formdata=None,
        data={
            "fixed_part": formula.fixed_part if formula else None,
            "index_code": formula.terms[0].index_code if formula and formula.terms else "",
            "weight": formula.terms[0].weight if formula and formula.terms else None,
            "base_month": formula.base_month if formula else contract.start_date.replace(day=1),
            "period_months": formula.period_months if formula else 12,
        },
    )
    return render_template(
        "contracts/life.html",
        page=page,
        contract=contract,
        today=today,
        unit_euros=unit_euros,
        terms_form=terms,
        decision_form=decision,
        amendment_form=refused.get("amendment_form")
        or AmendmentForm(formdata=None, data={"notified_on": today, "ground": Ground.DE_MINIMIS.value}),
        formula_form=formula_form,
        index_form=refused.get("index_form") or IndexValueForm(formdata=None, data={"month": today.replace(day=1)}),
        import_form=refused.get("import_form") or IndexImportForm(formdata=None),
        compute_form=EmptyForm(formdata=None),
    ), status


def _back(contract_id: int, anchor: str):
    return redirect(url_for("contracts.life", contract_id=contract_id, _anchor=anchor))


@bp.route("/contrats/<int:contract_id>/reconduction/clause", methods=["POST"])
@roles_required(Role.COORDINATOR)
def renewal_terms(contract_id: int):
    editable_contract(current_actor(), contract_id)
    form = RenewalTermsForm()
    if not form.validate_on_submit():
        return _life_page(contract_id, 422, terms_form=form)
    else:
        done = attempt(
            lambda: set_renewal_terms(
                current_actor(), contract_id, form.renewal_count.data, form.renewal_months.data, form.notice_months.data
            )
        )
        if done is not None:
            flash("Clause de reconduction enregistrée.", "success")
    return _back(contract_id, "reconductions")


@bp.route("/contrats/<int:contract_id>/reconduction", methods=["POST"])
@roles_required(Role.COORDINATOR)
def renewal_decision(contract_id: int):
    editable_contract(current_actor(), contract_id)
    form = RenewalDecisionForm()
    if not form.validate_on_submit():
        return _life_page(contract_id, 422, decision_form=form)
    else:
        renew = form.decision.data == "renew"
        row = attempt(lambda: decide_renewal(current_actor(), contract_id, form.period.data, renew))
        if row is not None:
            what = "reconduit" if renew else "non reconduit"
            flash(f"Marché {what} (période n° {row.period}) : fin d'exécution le {date_fr(row.new_end)}.", "success")
    return _back(contract_id, "reconductions")


@bp.route("/contrats/<int:contract_id>/avenants", methods=["POST"])
@roles_required(Role.COORDINATOR)
def amendment(contract_id: int):
    editable_contract(current_actor(), contract_id)
    form = AmendmentForm()
    if not form.validate_on_submit():
        return _life_page(contract_id, 422, amendment_form=form)
    else:
        row = attempt(
            lambda: add_amendment(
                current_actor(),
                contract_id,
                form.amount_ht.data,
                Ground(form.ground.data),
                form.notified_on.data,
                form.object_change.data or "",
                form.justification.data or "",
            )
        )
        if row is not None:
            flash(
                f"Avenant n° {row.sequence} enregistré : nouveau montant maximum {euros(row.maximum_after)} HT.",
                "success",
            )
    return _back(contract_id, "avenants")


@bp.route("/contrats/<int:contract_id>/revision/formule", methods=["POST"])
@roles_required(Role.COORDINATOR)
def revision_formula(contract_id: int):
    editable_contract(current_actor(), contract_id)
    form = FormulaForm()
    if not form.validate_on_submit():
        return _life_page(contract_id, 422, formula_form=form)
    else:
        terms = [(form.index_code.data, form.weight.data)]
        if form.index_code_2.data:
            if form.weight_2.data is None:
                flash("Poids du second indice attendu.", "error")
                return _back(contract_id, "revision")
            terms.append((form.index_code_2.data, form.weight_2.data))
        row = attempt(
            lambda: set_formula(
                current_actor(), contract_id, form.fixed_part.data, terms, form.base_month.data, form.period_months.data
            )
        )
        if row is not None:
            flash("Formule de révision enregistrée : le marché est à prix révisables.", "success")
    return _back(contract_id, "revision")


@bp.route("/contrats/<int:contract_id>/revision/indices", methods=["POST"])
@roles_required(Role.COORDINATOR)
def index_value(contract_id: int):
    editable_contract(current_actor(), contract_id)
    form = IndexValueForm()
    if not form.validate_on_submit():
        return _life_page(contract_id, 422, index_form=form)
    else:
        row = attempt(
            lambda: record_index_value(
                current_actor(), contract_id, form.index_code.data, form.month.data, form.value.data
            )
        )
        if row is not None:
            flash(f"Indice {row.index_code} de {row.month:%m/%Y} enregistré.", "success")
    return _back(contract_id, "revision")


@bp.route("/contrats/<int:contract_id>/revision/indices/import", methods=["POST"])
@roles_required(Role.COORDINATOR)
def index_import(contract_id: int):
    editable_contract(current_actor(), contract_id)
    form = IndexImportForm()
    if not form.validate_on_submit():
        return _life_page(contract_id, 422, import_form=form)
    upload = form.file.data
    content = upload.read(MAX_UPLOAD_BYTES + 1)
    try:
        count = import_index_values(current_actor(), contract_id, content, upload.filename or "indices.csv")
    except ImportRejected as rejected:
        transaction.discard()
        flash(str(rejected) + " " + " ; ".join(str(issue) for issue in rejected.issues[:20]), "error")
        return _back(contract_id, "revision")
    flash(f"{count} valeur{'s' if count > 1 else ''} d'indice importée{'s' if count > 1 else ''}.", "success")
    return _back(contract_id, "revision")


@bp.route("/contrats/<int:contract_id>/revision/calcul", methods=["POST"])
@roles_required(Role.COORDINATOR)
def compute_revision(contract_id: int):
    editable_contract(current_actor(), contract_id)
    if not EmptyForm().validate_on_submit():
        flash("Formulaire expiré : recommencez.", "error")
        return _back(contract_id, "revision")
    result = attempt(lambda: compute_revisions(current_actor(), contract_id))
    if result is not None:
        for revision in result.computed:
            coefficient = str(revision.coefficient).replace(".", ",")
            flash(
                f"Révision n° {revision.number} calculée : coefficient {coefficient}, "
                f"prix révisés à partir du {date_fr(revision.applies_from)}.",
                "success",
            )
        if result.missing:
            flash("Révision impossible, indices non saisis : " + " ; ".join(result.missing) + ".", "warning")
        elif not result.computed:
            flash("Aucune révision à calculer aujourd'hui.", "info")
    return _back(contract_id, "revision")


@bp.app_template_global()
def prices_in_force_today(contract):
    """For the order form: the unit prices in force today (revised ones included) and why not."""
    return prices_in_force(contract, paris_today())
