"""The Excel round trip on a real database: export, preview (writes only the PendingUpload),
confirm (applies, audits, refuses a concurrent change), cancel; scope and deadline."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from groupement.campaigns.grid import NeedEntry, NeedsConflict, save_needs
from groupement.campaigns.models import NeedLine, PendingUpload, Submission
from groupement.campaigns.needs_sheet import SHEET_TITLE
from groupement.campaigns.needs_upload import (
    NoChanges,
    cancel_upload,
    confirm_upload,
    export_needs,
    pending_preview,
    preview_upload,
)
from groupement.campaigns.needs_xlsx_reader import read_needs_workbook
from groupement.campaigns.rules import NeedValue
from groupement.campaigns.workflow import line_history
from groupement.core.access import Role
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import Forbidden, ImportRejected, NotFound, ServiceError
from groupement.organisations.families import Family


@dataclass
class Setting:
    campaign: object
    items: dict
    agent: object
    colleague: object
    signatory: object
    coordinator: object
    agent_b: object
    commune_a: object
    commune_b: object


@pytest.fixture
def setting(database, make) -> Setting:
    """Commune A joined informatique and fournitures (not véhicules) and has saved 3 lines."""
    capi = make.coordinator()
    commune_a = make.organisation(name="Crachier")
    commune_b = make.organisation(name="Four")
    group = make.groupement(capi)
    make.membership(group, commune_a, families=frozenset({Family.INFORMATIQUE, Family.FOURNITURES}))
    make.membership(group, commune_b)
    items = {
        "pc": make.item(ref="INF-PC", designation="Ordinateur portable"),
        "ecran": make.item(ref="INF-ECRAN", designation="Écran 24 pouces"),
        "ramette": make.item(ref="FOU-RAM", designation="Ramette A4", family=Family.FOURNITURES),
        "stylo": make.item(ref="FOU-STY", designation="Stylo bille", family=Family.FOURNITURES),
        "auto": make.item(ref="VEH-AUTO", designation="Citadine électrique", family=Family.VEHICULES),
    }
    outside = make.item(ref="INF-HORS", designation="Serveur (hors campagne)")
    campaign = make.campaign(group, list(items.values()))
    items["outside"] = outside
    agent = make.user(Role.AGENT, commune_a, name="Léa Agent")
    make.submission(campaign, commune_a, {items["pc"]: 3, items["ramette"]: 5, items["stylo"]: 2}, updated_by=agent)
    database.session.commit()
    return Setting(
        campaign=campaign,
        items=items,
        agent=agent,
        colleague=make.user(Role.AGENT, commune_a, name="Marc Collègue"),
        signatory=make.user(Role.SIGNATORY, commune_a),
        coordinator=make.user(Role.COORDINATOR, capi),
        agent_b=make.user(Role.AGENT, commune_b),
        commune_a=commune_a,
        commune_b=commune_b,
    )


def filled(content: bytes, quantities: dict[str, object], extra_rows: list[tuple[str, object]] = ()) -> bytes:
    """The downloaded workbook with quantities typed by ref, and rows appended below the table."""
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook[SHEET_TITLE]
    header = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Référence")
    titles = [cell.value for cell in sheet[header]]
    ref_col, qty_col = titles.index("Référence") + 1, titles.index("Quantité") + 1
    last = header
    for row in range(header + 1, sheet.max_row + 1):
        ref = sheet.cell(row=row, column=ref_col).value
        if ref in quantities:
            sheet.cell(row=row, column=qty_col).value = quantities[ref]
        last = row if ref else last
    for offset, (ref, quantity) in enumerate(extra_rows, start=1):
        sheet.cell(row=last + offset, column=ref_col, value=ref)
        sheet.cell(row=last + offset, column=qty_col, value=quantity)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def needs_of(database, setting) -> dict[str, int]:
    return dict(
        database.session.execute(
            select(NeedLine.item_id, NeedLine.quantity)
            .join(Submission)
            .where(Submission.campaign_id == setting.campaign.id, Submission.commune_id == setting.commune_a.id)
        ).all()
    )


def count(database, model) -> int:
    return database.session.scalar(select(func.count()).select_from(model))


def exported(setting) -> bytes:
    return export_needs(setting.agent.actor, setting.campaign.id)[0]


# --- export ---------------------------------------------------------------------------------


def test_the_export_is_the_commune_grid_prefilled_with_its_families_only(setting):
    content, name = export_needs(setting.agent.actor, setting.campaign.id)
    values, issues = read_needs_workbook(content, name)
    assert issues == []
    assert values == {
        "FOU-RAM": NeedValue(5),
        "FOU-STY": NeedValue(2),
        "INF-ECRAN": NeedValue(0),
        "INF-PC": NeedValue(3),
    }
    assert name.startswith("besoins-crachier-") and name.endswith(".xlsx") and name.isascii()


def test_the_signatory_and_the_coordinator_may_download_but_the_accountant_may_not(setting, make):
    assert export_needs(setting.signatory.actor, setting.campaign.id)[1].startswith("besoins-crachier")
    coordinator_file, name = export_needs(setting.coordinator.actor, setting.campaign.id, setting.commune_b.id)
    assert name.startswith("besoins-four-") and "VEH-AUTO" in read_needs_workbook(coordinator_file, name)[0]
    with pytest.raises(NotFound):
        export_needs(setting.coordinator.actor, setting.campaign.id)  # which commune?
    accountant = make.user(Role.ACCOUNTANT, setting.coordinator.organisation)
    with pytest.raises(Forbidden):
        export_needs(accountant.actor, setting.campaign.id, setting.commune_a.id)


# --- preview --------------------------------------------------------------------------------


def test_a_preview_computes_the_diff_and_writes_only_the_pending_upload(database, setting):
    before_needs, before_events = needs_of(database, setting), count(database, AuditEvent)
    content = filled(exported(setting), {"INF-PC": 4, "INF-ECRAN": 6, "FOU-RAM": None})
    pending = preview_upload(setting.agent.actor, setting.campaign.id, "C:\\Users\\lea\\besoins.xlsx", content)

    assert pending.file_name == "besoins.xlsx"
    items = setting.items
    assert sorted(pending.changes, key=lambda c: c["ref"]) == [
        {"item_id": items["ramette"].id, "ref": "FOU-RAM", "quantity": 0, "comment": "", "version": 1},
        {"item_id": items["ecran"].id, "ref": "INF-ECRAN", "quantity": 6, "comment": "", "version": 0},
        {"item_id": items["pc"].id, "ref": "INF-PC", "quantity": 4, "comment": "", "version": 1},
    ]
    assert needs_of(database, setting) == before_needs
    assert count(database, AuditEvent) == before_events
    assert count(database, PendingUpload) == 1

    again, diff, lines = pending_preview(setting.agent.actor, setting.campaign.id, pending.id)
    assert again.id == pending.id
    assert diff.summary() == "1 ligne modifiée, 1 ajoutée, 1 remise à zéro"
    assert diff.modified == {"INF-PC": (NeedValue(3), NeedValue(4))}
    assert lines["INF-ECRAN"].item.designation == "Écran 24 pouces"


def test_a_file_with_any_error_is_rejected_whole_and_nothing_is_kept(database, setting):
    content = filled(exported(setting), {"INF-PC": 4, "INF-ECRAN": -2, "FOU-STY": "=1+1"})
    with pytest.raises(ImportRejected) as rejected:
        preview_upload(setting.agent.actor, setting.campaign.id, "besoins.xlsx", content)
    assert [(i.column, i.reason) for i in rejected.value.issues] == [  # in the file's order: the grid's
        ("Quantité", "quantité négative (-2)"),
        ("Quantité", "formule interdite : saisissez directement la valeur"),
    ]
    assert all(i.file == "besoins.xlsx" and i.row for i in rejected.value.issues)
    assert count(database, PendingUpload) == 0


def test_refs_of_a_family_not_joined_unknown_or_outside_the_campaign_are_rejected_with_their_rows(database, setting):
    content = filled(exported(setting), {}, [("VEH-AUTO", 1), ("INF-HORS", 2), ("XXX-999", 3)])
    with pytest.raises(ImportRejected) as rejected:
        preview_upload(setting.agent.actor, setting.campaign.id, "besoins.xlsx", content)
    issues = rejected.value.issues
    assert [i.column for i in issues] == ["Référence"] * 3
    assert [i.row for i in issues] == sorted(i.row for i in issues) and len({i.row for i in issues}) == 3
    assert [i.reason for i in issues] == [
        "l'article « VEH-AUTO » relève de la famille « Véhicules », à laquelle votre commune n'a pas adhéré",
        "l'article « INF-HORS » ne fait pas partie de cette campagne",
        "référence « XXX-999 » inconnue du catalogue",
    ]
    assert count(database, PendingUpload) == 0


@pytest.mark.parametrize(
    "content",
    [b"", "Référence;Quantité\nINF-PC;3\n".encode(), b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, b"PK\x03\x04broken"],
    ids=["vide", "csv renommé", "image", "zip corrompu"],
)
def test_a_file_that_is_not_a_workbook_is_rejected_with_one_message(database, setting, content):
    with pytest.raises(ImportRejected) as rejected:
        preview_upload(setting.agent.actor, setting.campaign.id, "besoins.xlsx", content)
    assert len(rejected.value.issues) == 1 and rejected.value.issues[0].file == "besoins.xlsx"
    assert count(database, PendingUpload) == 0


def test_a_file_that_changes_nothing_is_not_kept(database, setting):
    with pytest.raises(NoChanges):
        preview_upload(setting.agent.actor, setting.campaign.id, "besoins.xlsx", exported(setting))
    assert count(database, PendingUpload) == 0


def test_upload_after_the_deadline_is_refused_and_nothing_is_kept(database, setting):
    content = filled(exported(setting), {"INF-PC": 9})
    late = setting.campaign.closes_at + timedelta(minutes=1)
    with pytest.raises(ServiceError, match="date limite est passée"):
        preview_upload(setting.agent.actor, setting.campaign.id, "besoins.xlsx", content, now=late)
    assert count(database, PendingUpload) == 0


def test_confirming_after_the_deadline_writes_nothing_and_keeps_the_pending_upload(database, setting):
    pending = preview_upload(
        setting.agent.actor, setting.campaign.id, "b.xlsx", filled(exported(setting), {"INF-PC": 9})
    )
    late = setting.campaign.closes_at + timedelta(minutes=1)
    with pytest.raises(ServiceError, match="date limite est passée"):
        confirm_upload(setting.agent.actor, setting.campaign.id, pending.id, now=late)
    assert needs_of(database, setting)[setting.items["pc"].id] == 3
    assert database.session.get(PendingUpload, pending.id) is not None
    assert database.session.scalar(select(AuditEvent).where(AuditEvent.action == "needs.import")) is None


def test_only_an_agent_uploads_confirms_or_cancels(setting):
    content = filled(exported(setting), {"INF-PC": 4})
    for actor in (setting.signatory.actor, setting.coordinator.actor):
        with pytest.raises(Forbidden):
            preview_upload(actor, setting.campaign.id, "besoins.xlsx", content)
    pending = preview_upload(setting.agent.actor, setting.campaign.id, "besoins.xlsx", content)
    for call in (confirm_upload, cancel_upload, pending_preview):
        with pytest.raises(Forbidden):
            call(setting.signatory.actor, setting.campaign.id, pending.id)


def test_a_new_preview_replaces_the_agents_earlier_unconfirmed_one(database, setting):
    preview_upload(setting.agent.actor, setting.campaign.id, "v1.xlsx", filled(exported(setting), {"INF-PC": 4}))
    preview_upload(setting.agent.actor, setting.campaign.id, "v2.xlsx", filled(exported(setting), {"INF-PC": 5}))
    remaining = database.session.scalars(select(PendingUpload)).all()
    assert [(p.file_name, p.changes[0]["quantity"]) for p in remaining] == [("v2.xlsx", 5)]


def test_a_first_upload_starts_the_communes_draft_answer(database, setting):
    content = filled(export_needs(setting.agent_b.actor, setting.campaign.id)[0], {"VEH-AUTO": 2})
    pending = preview_upload(setting.agent_b.actor, setting.campaign.id, "four.xlsx", content)
    assert confirm_upload(setting.agent_b.actor, setting.campaign.id, pending.id) == 1
    line = database.session.scalars(select(NeedLine).where(NeedLine.item_id == setting.items["auto"].id)).one()
    assert (line.quantity, line.submission.commune_id) == (2, setting.commune_b.id)


# --- confirm and cancel ---------------------------------------------------------------------


def test_confirm_applies_the_changes_audits_them_and_removes_the_pending_upload(database, setting):
    content = filled(exported(setting), {"INF-PC": 4, "INF-ECRAN": 6, "FOU-RAM": 0})
    pending = preview_upload(setting.agent.actor, setting.campaign.id, "besoins.xlsx", content)

    assert confirm_upload(setting.agent.actor, setting.campaign.id, pending.id) == 3
    items = setting.items
    assert needs_of(database, setting) == {
        items["pc"].id: 4,
        items["ecran"].id: 6,
        items["ramette"].id: 0,
        items["stylo"].id: 2,
    }
    assert count(database, PendingUpload) == 0
    # One audit event for the whole file, each changed line in it with its value before and after.
    actions = database.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["needs.import"]
    event = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "needs.import")).one()
    assert event.actor_id == setting.agent.id and event.after["file"] == "besoins.xlsx" and event.after["lines"] == 3
    changes = {change["ref"]: (change["before"], change["quantity"]) for change in event.after["changes"]}
    assert changes == {"INF-PC": (3, 4), "INF-ECRAN": (None, 6), "FOU-RAM": (5, 0)}


def test_a_line_history_shows_the_import_that_changed_it_with_who_and_the_values(database, setting):
    pending = preview_upload(
        setting.agent.actor, setting.campaign.id, "besoins.xlsx", filled(exported(setting), {"INF-PC": 7})
    )
    confirm_upload(setting.agent.actor, setting.campaign.id, pending.id)

    _, changes = line_history(setting.agent.actor, setting.campaign.id, setting.items["pc"].id)
    assert [(change.by, change.before, change.after) for change in changes][0] == ("Léa Agent", 3, 7)


def test_confirm_after_someone_changed_a_line_is_a_conflict_and_writes_nothing(database, setting):
    content = filled(exported(setting), {"INF-PC": 4, "INF-ECRAN": 6})
    pending = preview_upload(setting.agent.actor, setting.campaign.id, "besoins.xlsx", content)
    # A colleague changes the PC line in the grid after the preview.
    save_needs(setting.colleague.actor, setting.campaign.id, [NeedEntry(setting.items["pc"].id, 10, "", 1)])
    events = count(database, AuditEvent)

    with pytest.raises(NeedsConflict) as conflict:
        confirm_upload(setting.agent.actor, setting.campaign.id, pending.id)
    assert [(c.ref, c.their_quantity, c.by) for c in conflict.value.conflicts] == [("INF-PC", 10, "Marc Collègue")]
    assert needs_of(database, setting)[setting.items["pc"].id] == 10
    assert setting.items["ecran"].id not in needs_of(database, setting)
    assert count(database, AuditEvent) == events
    assert database.session.get(PendingUpload, pending.id) is not None  # still there: the page can explain

    _, _, lines = pending_preview(setting.agent.actor, setting.campaign.id, pending.id)
    assert lines["INF-PC"].version == 2  # the preview page flags the line changed since


def test_a_pending_upload_is_confirmed_once_only(database, setting):
    pending = preview_upload(
        setting.agent.actor, setting.campaign.id, "b.xlsx", filled(exported(setting), {"INF-PC": 4})
    )
    confirm_upload(setting.agent.actor, setting.campaign.id, pending.id)
    with pytest.raises(NotFound):
        confirm_upload(setting.agent.actor, setting.campaign.id, pending.id)
    assert database.session.scalar(select(func.count()).where(AuditEvent.action == "needs.import")) == 1


def test_cancel_drops_the_pending_upload_and_leaves_the_needs_as_they_were(database, setting):
    before = needs_of(database, setting)
    pending = preview_upload(
        setting.agent.actor, setting.campaign.id, "b.xlsx", filled(exported(setting), {"INF-PC": 4})
    )
    cancel_upload(setting.agent.actor, setting.campaign.id, pending.id)
    assert count(database, PendingUpload) == 0
    assert needs_of(database, setting) == before


def test_another_communes_upload_id_is_not_found(database, setting):
    pending = preview_upload(
        setting.agent.actor, setting.campaign.id, "b.xlsx", filled(exported(setting), {"INF-PC": 4})
    )
    for call in (pending_preview, confirm_upload, cancel_upload):
        with pytest.raises(NotFound):
            call(setting.agent_b.actor, setting.campaign.id, pending.id)
    assert database.session.get(PendingUpload, pending.id) is not None
    assert needs_of(database, setting)[setting.items["pc"].id] == 3
