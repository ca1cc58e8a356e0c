"""Scope by construction (DESIGN.md §3.4): organisation data is queried only through scoped helpers.

Walks every module under groupement/ and fails when a model that carries organisation data is
read with `db.session.get(Model, …)` or `select(Model)` outside the scope modules and the
modules allowed below. Known offenders in code not yet moved to scoped queries are listed in
KNOWN_UNSCOPED with their reason: the list may only shrink (a new offender fails, and so does a
listed one that was fixed, so that it is struck off).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "groupement"
SCOPED_MODELS = frozenset(
    {
        "Supplier",
        "Invoice",
        "InvoiceCheck",
        "InvoiceBatch",
        "RecoveryTitle",
        "Payment",
        "Allocation",
        "Order",
        "OrderLine",
        "Contract",
        "Offer",
        "Lot",
        "LotLine",
        "Campaign",
        "NeedLine",
        "Submission",
        "PendingUpload",
        "ReceivedNeedsFile",
        "Organisation",
        "Membership",
        "Groupement",
        "User",
    }
)
# Where scope becomes SQL, where the schema is defined, and what works on the whole database.
ALLOWED = frozenset(
    {
        "organisations/scope.py",
        "campaigns/scope.py",
        "tenders/scope.py",
        "contracts/scope.py",
        "invoices/scope.py",
        "suppliers/scope.py",
        "core/backup.py",
        "demo/dataset.py",
    }
)
ALLOWED_SUFFIXES = ("models.py",)
# (module, model): one line of reason each. Strike a line off when its module is fixed.
KNOWN_UNSCOPED: dict[tuple[str, str], str] = {
    (
        "campaigns/board.py",
        "Groupement",
    ): "board reads after scope.get_campaign, not yet through scoped selects",
    (
        "campaigns/board.py",
        "Membership",
    ): "board reads after scope.get_campaign, not yet through scoped selects",
    (
        "campaigns/board.py",
        "Organisation",
    ): "board reads after scope.get_campaign, not yet through scoped selects",
    (
        "campaigns/board.py",
        "Submission",
    ): "board reads after scope.get_campaign, not yet through scoped selects",
    (
        "campaigns/campaigns.py",
        "Campaign",
    ): "the needs grid loads rows by id after its campaign check",
    (
        "campaigns/campaigns.py",
        "Groupement",
    ): "the needs grid loads rows by id after its campaign check",
    ("campaigns/grid.py", "NeedLine"): "the needs grid loads rows by id after its campaign check",
    ("campaigns/grid.py", "Submission"): "the needs grid loads rows by id after its campaign check",
    ("campaigns/grid_page.py", "Submission"): "the needs grid loads rows by id after its campaign check",
    (
        "campaigns/needs_upload.py",
        "PendingUpload",
    ): "pending uploads looked up by id, checked afterwards",
    (
        "campaigns/needs_upload.py",
        "Submission",
    ): "pending uploads looked up by id, checked afterwards",
    (
        "campaigns/participation.py",
        "Campaign",
    ): "the needs grid loads rows by id after its campaign check",
    (
        "campaigns/participation.py",
        "Membership",
    ): "the needs grid loads rows by id after its campaign check",
    (
        "campaigns/participation.py",
        "Submission",
    ): "the needs grid loads rows by id after its campaign check",
    ("campaigns/reminders.py", "Submission"): "job over every campaign (reminders), acting for no one yet",
    (
        "campaigns/reminders.py",
        "Campaign",
    ): "periodic job over every open campaign (automatic reminders), acting for no one yet",
    ("campaigns/workflow.py", "NeedLine"): "the needs grid loads rows by id after its campaign check",
    ("contracts/award_queries.py", "Contract"): "lots/offers/contracts by id after _scoped_lot",
    ("contracts/award_lots.py", "Lot"): "lots/offers/contracts by id after scoped_lot",
    ("contracts/award_lots.py", "Offer"): "lots/offers/contracts by id after scoped_lot",
    ("contracts/rejections.py", "Offer"): "lots/offers/contracts by id after scoped_lot",
    ("contracts/decp.py", "Contract"): "open data export over all contracts (decp_document(actor=None))",
    ("contracts/decp.py", "LotLine"): "open data export over all contracts (decp_document(actor=None))",
    (
        "contracts/consumption.py",
        "Contract",
    ): "its own orders_in_scope/_contracts_in_scope, to move into scope.py",
    (
        "contracts/consumption.py",
        "Membership",
    ): "its own orders_in_scope/_contracts_in_scope, to move into scope.py",
    (
        "contracts/order_queries.py",
        "Order",
    ): "its own orders_in_scope/_contracts_in_scope, to move into scope.py",
    (
        "contracts/order_queries.py",
        "OrderLine",
    ): "its own orders_in_scope/_contracts_in_scope, to move into scope.py",
    (
        "contracts/consumption.py",
        "Organisation",
    ): "its own orders_in_scope/_contracts_in_scope, to move into scope.py",
    ("dashboard/queries.py", "Groupement"): "dashboard: home counters, not yet through scope",
    ("dashboard/queries.py", "Membership"): "dashboard: home counters, not yet through scope",
    ("dashboard/queries.py", "Organisation"): "dashboard: home counters, not yet through scope",
    ("lots/edits.py", "Lot"): "loaded by id, then its campaign checked in scope (NotFound) before any use",
    ("lots/edits.py", "LotLine"): "loaded by id, then its campaign checked in scope (NotFound) before any use",
    ("lots/queries.py", "Lot"): "loaded by id, then its campaign checked in scope (NotFound) before any use",
    ("lots/page.py", "Lot"): "the lots of a campaign already given by scope.get_campaign (as lots/queries.py)",
    ("lots/lot_page.py", "Lot"): "loaded by id, then its campaign checked in scope (NotFound) before any use",
    (
        "organisations/commands.py",
        "Organisation",
    ): "CLI: picks the coordinator to act for (acting_for), before any actor exists",
    ("organisations/queries.py", "Membership"): "memberships listing",
    ("organisations/users.py", "Organisation"): "users admin: organisations and users by id, admin scope to add",
    ("organisations/users.py", "User"): "users admin: organisations and users by id, admin scope to add",
    ("savings/report.py", "Campaign"): "campaign and lots by id after the campaign check",
    ("savings/report.py", "Lot"): "campaign and lots by id after the campaign check",
    ("tenders/exports.py", "Campaign"): "lots and campaign by id for the tender files",
    ("tenders/exports.py", "Lot"): "lots and campaign by id for the tender files",
    ("tenders/offer_criteria.py", "Offer"): "tenders helper (other owner): lots and offers by id",
    ("tenders/offer_lots.py", "Lot"): "tenders helper (other owner): lots and offers by id",
    ("tenders/offer_queries.py", "Offer"): "tenders helper (other owner): lots and offers by id",
    ("tenders/offers.py", "Offer"): "tenders helper (other owner): lots and offers by id",
}


def _model_of(call: ast.Call) -> str | None:
    """`db.session.get(Model, ...)` or `select(Model)` (a whole entity, not columns): its name."""
    function = call.func
    is_get = (
        isinstance(function, ast.Attribute)
        and function.attr == "get"
        and isinstance(function.value, ast.Attribute)
        and function.value.attr == "session"
    )
    is_select = isinstance(function, ast.Name) and function.id == "select"
    if (is_get or is_select) and call.args and isinstance(call.args[0], ast.Name):
        return call.args[0].id
    return None


def offenders() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module in ALLOWED or module.endswith(ALLOWED_SUFFIXES):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and (model := _model_of(node)) in SCOPED_MODELS:
                found.add((module, model))
    return found


def test_no_new_query_bypasses_scope():
    new = offenders() - set(KNOWN_UNSCOPED)
    assert new == set(), "requête hors des requêtes de périmètre (organisations/scope.py)"


def test_the_known_offenders_list_only_shrinks():
    fixed = set(KNOWN_UNSCOPED) - offenders()
    assert fixed == set(), "retirez de KNOWN_UNSCOPED ce qui passe désormais par le périmètre"
