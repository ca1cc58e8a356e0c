"""The purchasing officer's lots pages over HTTP: aggregate, move, split, merge, rename, set the
parameters, exclude, publish (which freezes), and download every tender file."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from groupement.campaigns.rules import SubmissionStatus
from groupement.core.access import Role, system_actor
from groupement.core.files.xlsx import XLSX_MIMETYPE
from groupement.core.jobs_runner import run_pending_jobs
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import Lot, LotLine
from groupement.lots.queries import CommuneShareRow
from groupement.lots.rules import LotStatus
from groupement.lots.web.routes import commune_bars
from tests import factories
from tests.conftest import csrf_token_of


def post_form(client, page: str, action: str, **data):
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def followed(client, response) -> str:
    """The page a POST answers with: a form refused is shown again (422, its errors beside its
    fields); an accepted POST or a service's refusal redirects, with its flashes."""
    if response.status_code == 422:
        return response.get_data(as_text=True)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.location).get_data(as_text=True)


def lots_of(app, campaign_id: int) -> dict[int, tuple[str, LotStatus, list[str]]]:
    """number -> (title, status, refs of the lines)."""
    with app.app_context():
        lots = db.session.scalars(select(Lot).where(Lot.campaign_id == campaign_id).order_by(Lot.number)).all()
        return {lot.number: (lot.title, lot.status, [line.ref for line in lot.lines]) for lot in lots}


def line_id(app, campaign_id: int, ref: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(LotLine.id).where(LotLine.campaign_id == campaign_id, LotLine.ref.startswith(ref))
        )


def lot_id(app, campaign_id: int, number: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Lot.id).where(Lot.campaign_id == campaign_id, Lot.number == number))


# --- aggregation --------------------------------------------------------------------------------


def test_the_board_offers_aggregation_once_closed_and_the_lots_once_aggregated(client_as, world):
    client = client_as("coordinator")
    aggregated = client.get(f"/campagnes/{world.ids['lots_campaign']}").get_data(as_text=True)
    assert "Voir les lots" in aggregated
    assert f'href="/campagnes/{world.ids["lots_campaign"]}/lots"' in aggregated
    assert "Agréger les besoins validés" not in aggregated

    board = f"/campagnes/{world.ids['campaign']}"
    assert "Agréger les besoins validés" not in client.get(board).get_data(as_text=True)  # still open
    followed(client, post_form(client, board, f"{board}/cloturer", confirm="y"))
    closed = client.get(board).get_data(as_text=True)
    assert "Agréger les besoins validés" in closed
    assert f'action="/campagnes/{world.ids["campaign"]}/agreger"' in closed

    refused = followed(client, post_form(client, board, f"{board}/agreger"))
    assert "Cochez la case pour confirmer l&#39;agrégation." in refused
    nothing = followed(client, post_form(client, board, f"{board}/agreger", confirm="y"))
    assert "Aucun besoin validé dans cette campagne : rien à agréger." in nothing


def test_the_accountant_sees_the_lots_link_but_not_the_aggregation_form(client_as, world):
    page = client_as("accountant").get(f"/campagnes/{world.ids['lots_campaign']}").get_data(as_text=True)
    assert "Voir les lots" in page
    assert "/agreger" not in page


def test_aggregating_again_replaces_the_draft_lots_and_opens_the_lots_page(client_as, world, app):
    client = client_as("coordinator")
    campaign_id = world.ids["lots_campaign"]
    board = f"/campagnes/{campaign_id}"
    response = post_form(client, board, f"{board}/agreger", confirm="y")
    assert response.status_code == 303 and "/travaux/" in response.location  # a background job
    assert run_pending_jobs(app) >= 1
    page = client.get(response.location).get_data(as_text=True)
    assert "Besoins validés agrégés : 3 lots, 4 lignes, 2 communes." in page
    assert f'href="/campagnes/{campaign_id}/lots">Voir le résultat' in page
    assert [title for title, _, _ in lots_of(app, campaign_id).values()] == [
        "Postes de travail, écrans et accessoires",
        "Impression et numérisation",
        "Papier et enveloppes",
    ]


def test_aggregation_is_refused_in_french_while_the_campaign_is_open_and_unknown_campaigns_are_not_found(
    client_as, world
):
    client = client_as("coordinator")
    board = f"/campagnes/{world.ids['campaign']}"
    page = followed(client, post_form(client, board, f"{board}/agreger", confirm="y"))
    assert "La campagne est encore ouverte" in page
    assert post_form(client, board, "/campagnes/999999/agreger", confirm="y").status_code == 404


# --- the lots page ------------------------------------------------------------------------------


def test_the_lots_page_shows_the_summary_the_chart_the_annexes_and_the_tender_files(client_as, world):
    campaign_id = world.ids["lots_campaign"]
    page = client_as("coordinator").get(f"/campagnes/{campaign_id}/lots").get_data(as_text=True)
    for title in ("Postes de travail, écrans et accessoires", "Impression et numérisation", "Papier et enveloppes"):
        assert title in page
    # Laptop 10 × 850 + screen 6 × 129.50 = 9 277,00 € a year; paper 150 × 4.20 = 630,00 €.
    assert "9\u202f277,00\xa0€" in page
    assert "630,00\xa0€" in page
    assert "Sans publicité ni mise en concurrence préalables (art. R2122-8)" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars"' in page
    assert "1. Postes de travail, écrans et accessoires : 9\u202f277,00\xa0€" in page  # chart description
    assert f'action="/campagnes/{campaign_id}/dossier"' in page
    assert f'href="/campagnes/{campaign_id}/lots.xlsx"' in page
    assert f'href="/campagnes/{campaign_id}/annexes/{world.ids["commune_a"]}.xlsx">Annexe de Commune A' in page
    assert f'href="/campagnes/{campaign_id}/annexes/{world.ids["commune_b"]}.xlsx">Annexe de Commune B' in page
    assert page.count('name="line_ids"') == 4
    assert 'form="deplacer-lignes"' in page
    assert " style=" not in page  # the CSP forbids inline styles


def test_the_accountant_reads_the_lots_without_any_editing_form(client_as, world):
    page = client_as("accountant").get(f"/campagnes/{world.ids['lots_campaign']}/lots").get_data(as_text=True)
    assert "Postes de travail, écrans et accessoires" in page
    assert 'name="line_ids"' not in page
    assert "/lots/deplacer" not in page and "/lots/fusionner" not in page
    assert f'action="/campagnes/{world.ids["lots_campaign"]}/dossier"' in page
    lot = client_as("accountant").get(f"/lots/{world.ids['lot']}").get_data(as_text=True)
    assert "Procédure conseillée" in lot and "recapitulatif.xlsx" in lot
    for action in ("/renommer", "/parametres", "/publier", "/exclure"):
        assert action not in lot, action


def test_a_line_moves_to_another_lot_then_a_split_creates_a_new_lot(client_as, world, app):
    client = client_as("coordinator")
    campaign_id = world.ids["lots_campaign"]
    index = f"/campagnes/{campaign_id}/lots"
    screen = line_id(app, campaign_id, "INF-ECRAN")

    moved = followed(
        client, post_form(client, index, f"{index}/deplacer", line_ids=[str(screen)], target=str(world.ids["lot_2"]))
    )
    assert "1 ligne déplacée vers le lot n° 2 « Impression et numérisation »." in moved
    lots = lots_of(app, campaign_id)
    assert lots[1][2] == [next(ref for ref in lots[1][2] if ref.startswith("INF-TEST"))]
    assert lots[2][2] == ["INF-IMPR", "INF-ECRAN"]

    printer = line_id(app, campaign_id, "INF-IMPR")
    split = followed(
        client,
        post_form(
            client, index, f"{index}/deplacer", line_ids=[str(printer)], target="nouveau", new_title="Imprimantes"
        ),
    )
    assert "Nouveau lot n° 4 « Imprimantes » créé : 1 ligne déplacée." in split
    lots = lots_of(app, campaign_id)
    assert (lots[4][0], lots[4][2]) == ("Imprimantes", ["INF-IMPR"])
    assert lots[2][2] == ["INF-ECRAN"]


def test_moving_lines_is_refused_with_french_messages(client_as, world, app):
    client = client_as("coordinator")
    campaign_id = world.ids["lots_campaign"]
    index = f"/campagnes/{campaign_id}/lots"
    screen = str(line_id(app, campaign_id, "INF-ECRAN"))
    before = lots_of(app, campaign_id)

    none = followed(client, post_form(client, index, f"{index}/deplacer", target=str(world.ids["lot_2"])))
    assert "Cochez au moins une ligne à déplacer." in none
    untitled = followed(client, post_form(client, index, f"{index}/deplacer", line_ids=[screen], target="nouveau"))
    assert "Donnez un intitulé au nouveau lot." in untitled
    nowhere = followed(client, post_form(client, index, f"{index}/deplacer", line_ids=[screen]))
    assert "Choisissez le lot de destination." in nowhere
    mixed = followed(
        client, post_form(client, index, f"{index}/deplacer", line_ids=[screen], target=str(world.ids["lot_3"]))
    )
    assert "Le lot n° 3 ne porte que sur la famille « Fournitures de bureau »." in mixed
    assert lots_of(app, campaign_id) == before


def test_two_lots_merge_and_the_following_lots_are_renumbered(client_as, world, app):
    client = client_as("coordinator")
    campaign_id = world.ids["lots_campaign"]
    index = f"/campagnes/{campaign_id}/lots"

    same = followed(
        client,
        post_form(client, index, f"{index}/fusionner", source_lot_id=world.ids["lot"], target_lot_id=world.ids["lot"]),
    )
    assert "Choisissez deux lots différents." in same
    missing = followed(client, post_form(client, index, f"{index}/fusionner", source_lot_id=world.ids["lot"]))
    assert "Choisissez le lot qui le reçoit." in missing

    merged = followed(
        client,
        post_form(
            client, index, f"{index}/fusionner", source_lot_id=world.ids["lot_2"], target_lot_id=world.ids["lot"]
        ),
    )
    assert "Lots fusionnés dans le lot n° 1 « Postes de travail, écrans et accessoires » (3 lignes)" in merged
    lots = lots_of(app, campaign_id)
    assert [title for title, _, _ in lots.values()] == [
        "Postes de travail, écrans et accessoires",
        "Papier et enveloppes",
    ]
    assert lots[1][2][-1] == "INF-IMPR"


# --- one lot ------------------------------------------------------------------------------------


def test_the_lot_page_explains_the_advice_and_shows_each_communes_share(client_as, world):
    lot = world.ids["lot"]
    page = client_as("coordinator").get(f"/lots/{lot}").get_data(as_text=True)
    assert "Lot 1 — Postes de travail, écrans et accessoires" in page
    assert "Montant estimé total des fournitures homogènes" in page  # the advice, sentence by sentence
    assert "art. R2121-1 et R2121-6 à R2121-8" in page
    assert '<details class="line-shares">' in page
    assert "Commune A : 6" in page  # screen: only A
    # Laptop 4 × 850 + screen 6 × 129.50 = 4 177,00 € for A; laptop 6 × 850 = 5 100,00 € for B.
    assert page.index("5\u202f100,00\xa0€") < page.index("4\u202f177,00\xa0€")  # largest first
    assert "Montant estimé HT annuel par commune — lot n° 1" in page
    for export in ("dqe.xlsx", "bpu.xlsx", "recapitulatif.xlsx"):
        assert f'href="/lots/{lot}/{export}"' in page
    assert f'action="/lots/{lot}/publier"' in page
    assert " style=" not in page


def test_renaming_a_lot_requires_a_title(client_as, world, app):
    client = client_as("coordinator")
    show = f"/lots/{world.ids['lot']}"
    assert "L&#39;intitulé du lot est obligatoire." in followed(client, post_form(client, show, f"{show}/renommer"))
    page = followed(client, post_form(client, show, f"{show}/renommer", title="  Ordinateurs et écrans "))
    assert "Lot n° 1 renommé « Ordinateurs et écrans »." in page
    assert lots_of(app, world.ids["lots_campaign"])[1][0] == "Ordinateurs et écrans"


def test_lot_parameters_are_typed_the_french_way_and_checked(client_as, world, app):
    client = client_as("coordinator")
    show = f"/lots/{world.ids['lot']}"
    action = f"{show}/parametres"
    page = followed(
        client,
        post_form(
            client,
            show,
            action,
            duration_months="36",
            margin_percent="12,5",
            maximum_amount="250 000",
            launch_date="2026-09-01",
        ),
    )
    assert "Paramètres du lot n° 1 enregistrés ; montant maximum fixé." in page
    assert "250\u202f000,00\xa0€" in page
    assert "01/09/2026" in page
    assert 'value="12,5"' in page and 'value="250000"' in page  # the form shows them back the French way
    with app.app_context():
        lot = db.session.get(Lot, world.ids["lot"])
        values = (lot.duration_months, lot.margin_percent, lot.maximum_amount, lot.launch_date)
    assert values == (36, Decimal("12.50"), Decimal("250000.00"), date(2026, 9, 1))

    refusals = {
        "La durée d&#39;un accord-cadre est de 1 à 48 mois (art. R2162-4).": {"duration_months": "60"},
        "Nombre attendu, par exemple 12,5.": {"margin_percent": "douze"},
        "La marge doit être comprise entre 0 et 100 %.": {"margin_percent": "150"},
        "Le montant maximum doit être positif.": {"maximum_amount": "-5"},
        "Date attendue (jj/mm/aaaa).": {"launch_date": "31/02/2026"},
    }
    valid = {"duration_months": "36", "margin_percent": "12,5", "maximum_amount": "", "launch_date": ""}
    for message, wrong in refusals.items():
        assert message in followed(client, post_form(client, show, action, **{**valid, **wrong})), message
    with app.app_context():
        assert db.session.get(Lot, world.ids["lot"]).maximum_amount == Decimal("250000.00")  # nothing saved

    page = followed(client, post_form(client, show, action, **valid))
    assert "montant maximum calculé (estimation × (1 + marge))" in page
    with app.app_context():
        lot = db.session.get(Lot, world.ids["lot"])
        assert (lot.maximum_amount, lot.launch_date) == (None, None)


def test_a_line_is_excluded_with_a_reason_and_brought_back(client_as, world, app):
    client = client_as("coordinator")
    lot = world.ids["lot"]
    show = f"/lots/{lot}"
    line = world.ids["lot_line"]  # the screen, asked by A only

    refused = followed(client, post_form(client, show, f"/lignes/{line}/exclure", lot_id=lot))
    assert "Le motif d&#39;exclusion est obligatoire." in refused
    response = post_form(client, show, f"/lignes/{line}/exclure", lot_id=lot, reason="Achat déjà couvert par l'UGAP")
    assert response.location.endswith(f"/lots/{lot}")
    page = followed(client, response)
    assert "Ligne INF-ECRAN exclue du lot (motif : Achat déjà couvert par l&#39;UGAP)." in page
    assert "Motif : Achat déjà couvert par l&#39;UGAP" in page
    assert "5\u202f100,00\xa0€" in page and "4\u202f177,00\xa0€" not in page  # A: laptops only now
    with app.app_context():
        assert db.session.get(LotLine, line).excluded_reason == "Achat déjà couvert par l'UGAP"

    back = followed(client, post_form(client, show, f"/lignes/{line}/reintegrer", lot_id=lot))
    assert "Ligne INF-ECRAN réintégrée dans le lot." in back
    with app.app_context():
        assert db.session.get(LotLine, line).excluded_reason is None


def test_publishing_needs_a_confirmation_then_freezes_the_lot(client_as, world, app):
    client = client_as("coordinator")
    lot = world.ids["lot"]
    show = f"/lots/{lot}"
    campaign_id = world.ids["lots_campaign"]

    refused = followed(client, post_form(client, show, f"{show}/publier"))
    assert "Cochez la case pour confirmer la publication." in refused
    page = followed(client, post_form(client, show, f"{show}/publier", confirm="y"))
    assert "Lot n° 1 publié le " in page
    assert "sont figés" in page
    assert f'action="{show}/renommer"' not in page and f'action="{show}/parametres"' not in page
    assert "/exclure" not in page and f'action="{show}/publier"' not in page
    with app.app_context():
        frozen = db.session.get(Lot, lot)
        assert frozen.status is LotStatus.PUBLISHED
        assert frozen.maximum_amount == Decimal("44530.00")  # 9 277 × 4 years × 1.2 = 44 529,60, rounded up

    frozen_message = "Le lot n° 1 est publié : il ne peut plus être modifié."
    assert frozen_message in followed(client, post_form(client, show, f"{show}/renommer", title="Autre"))
    assert frozen_message in followed(
        client, post_form(client, show, f"/lignes/{world.ids['lot_line']}/exclure", lot_id=lot, reason="Non")
    )
    index = f"/campagnes/{campaign_id}/lots"
    assert frozen_message in followed(
        client,
        post_form(client, index, f"{index}/deplacer", line_ids=[world.ids["lot_line"]], target=world.ids["lot_2"]),
    )
    listing = client.get(index).get_data(as_text=True)
    assert listing.count('name="line_ids"') == 2  # only the draft lots' lines can be ticked
    assert "publié" in listing
    assert lots_of(app, campaign_id)[1][0] == "Postes de travail, écrans et accessoires"


# --- tender files -------------------------------------------------------------------------------


def test_every_export_is_an_xlsx_file_with_a_name(client_as, world):
    client = client_as("accountant")
    lot, campaign_id = world.ids["lot"], world.ids["lots_campaign"]
    for path in (
        f"/lots/{lot}/dqe.xlsx",
        f"/lots/{lot}/bpu.xlsx",
        f"/lots/{lot}/recapitulatif.xlsx",
        f"/campagnes/{campaign_id}/lots.xlsx",
        f"/campagnes/{campaign_id}/annexes/{world.ids['commune_b']}.xlsx",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == XLSX_MIMETYPE, path
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="') and disposition.endswith('.xlsx"'), path
        assert load_workbook(io.BytesIO(response.data)).sheetnames, path


def test_the_tender_zip_holds_the_lots_workbooks_and_the_annexes(app, client_as, world):
    client = client_as("coordinator")
    lots_page = f"/campagnes/{world.ids['lots_campaign']}/lots"
    started = post_form(client, lots_page, f"/campagnes/{world.ids['lots_campaign']}/dossier")
    assert started.status_code == 303 and "/travaux/" in started.location
    assert run_pending_jobs(app) >= 1
    job_page = client.get(started.location).get_data(as_text=True)
    assert "Terminé" in job_page and "/resultat" in job_page
    response = client.get(started.location + "/resultat")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].endswith('.zip"')
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert all(name.endswith(".xlsx") for name in names)
    assert sum(name.endswith("/DQE.xlsx") for name in names) == 3
    assert sum(name.startswith("annexes-communes/") for name in names) == 2


def test_a_campaign_without_lots_sends_back_to_its_lots_page_with_a_message(client_as, world):
    client = client_as("coordinator")
    response = post_form(client, "/", f"/campagnes/{world.ids['campaign']}/dossier")
    page = followed(client, response)
    assert "Cette campagne n&#39;a pas encore de lots : agrégez-la d&#39;abord." in page
    assert "Aucun lot pour cette campagne" in page


# --- scope and helpers --------------------------------------------------------------------------


def test_the_lots_of_another_coordinators_groupement_are_not_found(client_as, world, app):
    with app.app_context():
        other = factories.coordinator(name="Autre EPCI", siren=factories.valid_siren(990), siret=None)
        commune = factories.organisation(name="Commune C")
        group = factories.groupement(other)
        factories.membership(group, commune)
        item = factories.item()
        now = utcnow()
        campaign = factories.campaign(
            group, [item], opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1)
        )
        factories.submission(campaign, commune, {item: 2}, status=SubmissionStatus.VALIDATED)
        factories.user(Role.COORDINATOR, other)
        db.session.commit()
        aggregate_campaign(system_actor(campaign.groupement.coordinator_id), campaign.id)
        db.session.commit()  # the CLI command's unit of work
        foreign_campaign = campaign.id
        foreign_lot = db.session.scalar(select(Lot.id).where(Lot.campaign_id == campaign.id))
        foreign_line = db.session.scalar(select(LotLine.id).where(LotLine.campaign_id == campaign.id))
    client = client_as("coordinator")
    for path in (
        f"/lots/{foreign_lot}",
        f"/lots/{foreign_lot}/dqe.xlsx",
        f"/campagnes/{foreign_campaign}/lots",
    ):
        assert client.get(path).status_code == 404, path
    assert post_form(client, "/", f"/campagnes/{foreign_campaign}/dossier").status_code == 404
    show = f"/lots/{world.ids['lot']}"
    assert post_form(client, show, f"/lots/{foreign_lot}/renommer", title="Pris").status_code == 404
    assert post_form(client, show, f"/lots/{foreign_lot}/publier", confirm="y").status_code == 404
    assert post_form(client, show, f"/lignes/{foreign_line}/exclure", reason="Non").status_code == 404
    assert lots_of(app, foreign_campaign)[1][1] is LotStatus.DRAFT


def test_the_commune_chart_keeps_the_ten_largest_and_gathers_the_others():
    rows = [CommuneShareRow(n, f"Commune {n:02d}", None, 1, Decimal(100 - n)) for n in range(12)]
    bars = commune_bars(rows)
    assert len(bars) == 11
    assert bars[0] == ("Commune 00", Decimal(100))
    assert bars[9] == ("Commune 09", Decimal(91))
    assert bars[10] == ("Autres communes (2)", Decimal(90 + 89))
    assert commune_bars(rows[:10]) == [(row.name, row.amount) for row in rows[:10]]
