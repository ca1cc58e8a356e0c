"""Invoices over HTTP: the board (filters, totals, export), the upload and its refusals, matching
against the world's order, accepting or disputing a mismatch, the split, the statements, the
recovery titles and their export, payments and the ledgers; commune users reach only their own.

The world's invoice is the UBL sample (F124212, 273,00 € HT, 308,03 € TTC), split equally between
communes A and B (154,02 € and 154,01 € TTC), its titles issued. Commune A's order (BC-…-0001):
2 laptops at 764,10 € and 3 screens at 116,10 €, nothing delivered yet."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from groupement.catalog.models import CatalogItem
from groupement.contracts.models import Order
from groupement.core.audit_log import AuditEvent
from groupement.core.formatting import date_fr
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.invoices.models import Invoice, InvoiceCheck, InvoiceLine, Payment, RecoveryTitle
from groupement.organisations.models import Organisation
from groupement.tenders.models import Supplier
from tests.conftest import csrf_token_of

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"


def token(client, page: str = "/factures") -> str:
    return csrf_token_of(client.get(page).get_data(as_text=True))


def followed(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return client.get(response.location).get_data(as_text=True)


def flat(html: str) -> str:
    return " ".join(html.replace("\u202f", " ").replace("\xa0", " ").split())


def text_of(response) -> str:
    """The page's text, tags removed, spaces normalised."""
    return flat(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def upload(client, name: str, content: bytes):
    return client.post(
        "/factures/import",
        data={"csrf_token": token(client), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def invoice_id(app, number: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Invoice.id).where(Invoice.number == number))


def order_invoice_csv(app, world) -> bytes:
    """Commune A's order invoiced: laptops at the contract price, screens 3,90 € too dear, and a
    delivery charge tied to no order (shared by a key)."""
    with app.app_context():
        order = db.session.get(Order, world.ids["order_a"])
        siret = db.session.get(Supplier, world.ids["supplier"]).siret
        laptop = db.session.get(CatalogItem, world.ids["item"]).ref
        screen = db.session.scalar(select(CatalogItem.ref).where(CatalogItem.ref == "INF-ECRAN"))
        insee = db.session.get(Organisation, world.ids["commune_a"]).insee_code
        number = order.number
    head = "numero_facture;date_facture;fournisseur_siret;numero_commande;code_insee;ref_article;designation;"
    rows = [
        head + "quantite;prix_unitaire_ht;taux_tva",
        f"FA-2026-117;15/06/2026;{siret};{number};{insee};{laptop};Ordinateur portable;2;764,10;20",
        f"FA-2026-117;15/06/2026;{siret};{number};{insee};INF-ECRAN;Écran 24 pouces;3;120,00;20",
        f"FA-2026-117;15/06/2026;{siret};LIVRAISON;{insee};PORT;Frais de livraison groupée;1;30,00;20",
    ]
    assert screen == "INF-ECRAN"
    return ("\n".join(rows) + "\n").encode("utf-8")


# --- the board ----------------------------------------------------------------------------------


def test_the_board_lists_the_invoices_with_totals_filters_and_an_excel_export(client_as, world):
    client = client_as("accountant")
    page = flat(client.get("/factures").get_data(as_text=True))
    assert "F124212" in page and "Au bon moulin" in page
    assert "273,00 €" in page and "308,03 €" in page
    assert '<span class="tile-figure">1</span> titres émis' in page  # the tile of the status
    assert " style=" not in page

    assert "F124212" not in client.get("/factures?statut=imported").get_data(as_text=True).split("<tbody>")[-1]
    assert "F124212" in client.get("/factures?statut=recovered&q=moulin").get_data(as_text=True)
    assert "Aucune facture ne correspond" in client.get("/factures?q=inexistant").get_data(as_text=True)

    export = client.get("/factures/export.xlsx?statut=recovered")
    assert export.status_code == 200
    assert export.headers["Content-Disposition"] == 'attachment; filename="factures.xlsx"'
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[1][0] == "F124212" and rows[1][4] == "titres émis"
    assert rows[2][0] == "Total (1 facture)" and Decimal(str(rows[2][7])) == Decimal("308.03")


def test_the_navigation_offers_factures_to_accounting_and_mes_factures_to_communes(client_as, world):
    assert ">Factures</a>" in client_as("coordinator").get("/").get_data(as_text=True)
    home = client_as("agent_a").get("/").get_data(as_text=True)
    assert ">Mes factures</a>" in home and ">Factures</a>" not in home


# --- upload -------------------------------------------------------------------------------------


def test_an_uploaded_sample_is_imported_and_opens_on_its_page_with_each_check(app, client_as, world):
    client = client_as("accountant")
    response = upload(client, "cii.xml", (SAMPLES / "cii_en16931_example1.xml").read_bytes())
    page = flat(followed(client, response))
    assert "Facture n° 12115118 de De Koksmaat importée : 250,33 € TTC, 20 ligne(s)." in page
    assert "TVA 6 % sur 183,23 €" in page and "TVA 21 % sur 46,37 €" in page
    assert "BR-CO-10" in page and "BR-CO-15" in page and "conforme" in page
    assert "VENDEUR" in page and "bloquante" in page
    assert 'action="/factures/{}/rapprocher"'.format(invoice_id(app, "12115118")) in page


def test_a_refused_file_lists_every_reason_and_leaves_nothing(app, client_as, world):
    client = client_as("accountant")
    before = (count(app, Invoice), count(app, InvoiceLine), count(app, AuditEvent))
    content = (SAMPLES / "ubl21_en16931_fr.xml").read_text(encoding="utf-8")
    altered = content.replace(">135.00</cbc:LineExtensionAmount>", ">135.01</cbc:LineExtensionAmount>", 1)
    response = upload(client, "altere.xml", altered.encode())
    assert response.status_code == 422
    page = flat(response.get_data(as_text=True))
    assert "Fichier « altere.xml » refusé : rien n'a été enregistré." in page
    reasons = re.findall(r'<ul class="errors refusal-reasons">(.*?)</ul>', response.get_data(as_text=True), re.S)
    assert reasons and reasons[0].count("<li>") >= 1 and "BR-CO-10" in reasons[0]
    assert (count(app, Invoice), count(app, InvoiceLine), count(app, AuditEvent)) == before

    duplicate = upload(client, "encore.xml", content.encode())
    assert duplicate.status_code == 422
    assert "est un doublon : la facture n° F124212 a déjà été importée." in flat(duplicate.get_data(as_text=True))
    empty = client.post("/factures/import", data={"csrf_token": token(client)})
    assert empty.status_code == 422
    assert "Choisissez le fichier de la facture à importer." in empty.get_data(as_text=True)
    assert count(app, Invoice) == before[0]


# --- match, resolve, split, statements, titles, payments ----------------------------------------------


def test_the_accountant_matches_resolves_splits_issues_titles_and_records_a_payment(app, client_as, world):
    client = client_as("accountant")
    page = followed(client, upload(client, "fa-117.csv", order_invoice_csv(app, world)))
    invoice = invoice_id(app, "FA-2026-117")
    assert "Rapprocher" in page

    matched = flat(followed(client, client.post(f"/factures/{invoice}/rapprocher", data={"csrf_token": token(client)})))
    assert "2 ligne(s) rattachée(s) à une commande, 1 sans commande" in matched
    assert "prix unitaire facturé 120,00 € ≠ prix du marché 116,10 €" in matched
    assert "Commune A" in matched and "en litige" not in matched
    html = client.get(f"/factures/{invoice}").get_data(as_text=True)
    checks = [int(i) for i in re.findall(r'action="/factures/controles/(\d+)"', html)]
    # No buyer on the file, the price of the screens, both lines beyond the certified service fait,
    # the delivery charge tied to no order, and its « LIVRAISON » quoted as an order reference that
    # is none of ours (the Chorus Pro references' check).
    with app.app_context():
        rules = sorted(db.session.get(InvoiceCheck, c).rule for c in checks)
    assert rules == ["ACHETEUR", "COMMANDE", "PRIX", "REFERENCES", "SERVICE-FAIT", "SERVICE-FAIT"]
    assert "bloquent la répartition" in html and f'action="/factures/{invoice}/repartir"' not in html
    with app.app_context():
        service_fait = {
            c.id for c in db.session.scalars(select(InvoiceCheck).where(InvoiceCheck.rule == "SERVICE-FAIT"))
        }
    assert len(service_fait) == 2

    # A dispute blocks; no comment, no decision.
    refused = client.post(f"/factures/controles/{checks[0]}", data={"csrf_token": token(client), "dispute": "y"})
    assert refused.status_code == 422  # the page again, the error beside the comment
    assert "Un commentaire est obligatoire" in refused.get_data(as_text=True)
    disputed = client.post(
        f"/factures/controles/{checks[0]}",
        data={"csrf_token": token(client), "comment": "Prix contesté auprès du titulaire", "dispute": "y"},
    )
    assert "litige ouvert" in followed(client, disputed)
    assert "en litige" in client.get("/factures?statut=disputed").get_data(as_text=True)
    for check in checks:
        decision = {"csrf_token": token(client), "comment": "Avoir promis ; livraison constatée", "accept": "y"}
        if check in service_fait:  # the coordinator's reasoned decision, not the accountant's
            assert client.post(f"/factures/controles/{check}", data=decision).status_code == 403
            coordinator = client_as("coordinator")
            decision["csrf_token"] = token(coordinator)
            assert "accepté" in followed(coordinator, coordinator.post(f"/factures/controles/{check}", data=decision))
        else:
            assert "accepté" in followed(client, client.post(f"/factures/controles/{check}", data=decision))
    page = client.get(f"/factures/{invoice}").get_data(as_text=True)
    assert f'action="/factures/{invoice}/repartir"' in page
    for label in ("Au prorata du montant HT", "À parts égales", "Pourcentages saisis"):
        assert label in page

    with app.app_context():
        codes = {
            o.id: o.insee_code
            for o in db.session.scalars(select(Organisation).where(Organisation.insee_code.isnot(None)))
        }
    a, b = codes[world.ids["commune_a"]], codes[world.ids["commune_b"]]
    # Manual percentages must add up to 100 %.
    wrong = client.post(
        f"/factures/{invoice}/repartir",
        data={
            "csrf_token": token(client),
            "key": "manual",
            "communes": [a, b],
            f"pourcentage_{a}": "60",
            f"pourcentage_{b}": "30",
        },
    )
    assert "totalisent 90" in followed(client, wrong)
    split = client.post(
        f"/factures/{invoice}/repartir",
        data={
            "csrf_token": token(client),
            "key": "manual",
            "communes": [a, b],
            f"pourcentage_{a}": "60",
            f"pourcentage_{b}": "40",
        },
    )
    page = flat(followed(client, split))
    # A: 1 528,20 + 360,00 + 18,00 = 1 906,20 HT; B: 12,00 HT; VAT 20 % of 1 918,20 = 383,64.
    assert "Facture répartie pourcentages saisis : 2 301,84 € TTC entre 2 commune(s)." in page
    assert "1 906,20 €" in page and "12,00 €" in page and "2 301,84 €" in page
    statement_a = f"/factures/{invoice}/communes/{world.ids['commune_a']}"
    assert f'href="{statement_a}/etat.xlsx"' in page and f'href="{statement_a}/etat.pdf"' in page

    due = paris_today() + timedelta(days=30)
    issued = client.post(f"/factures/{invoice}/titres", data={"csrf_token": token(client), "due_date": due.isoformat()})
    page = flat(followed(client, issued))
    assert f"2 titre(s) de recettes émis pour 2 301,84 €, échéance le {date_fr(due)}." in page
    with app.app_context():
        title = db.session.scalar(
            select(RecoveryTitle).where(
                RecoveryTitle.invoice_id == invoice, RecoveryTitle.commune_id == world.ids["commune_a"]
            )
        )
        title_id, title_number, amount = title.id, title.number, title.amount_ttc
    assert amount == Decimal("2287.44") and title_number in page
    paid = client.post(
        f"/factures/titres/{title_id}/encaissement",
        data={"csrf_token": token(client), "paid_on": "2026-07-01", "amount": "1 000,00", "reference": "Mandat 42"},
    )
    assert f"Encaissement de 1 000,00 € enregistré sur le titre {title_number}." in flat(followed(client, paid))
    too_much = client.post(
        f"/factures/titres/{title_id}/encaissement",
        data={"csrf_token": token(client), "paid_on": "2026-07-02", "amount": "5000"},
    )
    assert "dépasse le reste dû de 1 287,44 €" in flat(followed(client, too_much))
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Payment.title_id == title_id)) == 1

    ledger = flat(client.get(f"/communes/{world.ids['commune_a']}/grand-livre").get_data(as_text=True))
    assert "Grand livre — Commune A" in ledger and "FA-2026-117" in ledger and "F124212" in ledger
    assert "1 287,44 €" in ledger  # what A still owes on this invoice
    assert "Mandat 42" in ledger


def test_a_statement_downloads_as_xlsx_and_pdf_for_its_commune_only(client_as, world):
    invoice, a, b = world.ids["invoice"], world.ids["commune_a"], world.ids["commune_b"]
    agent = client_as("agent_a")
    page = flat(agent.get(f"/factures/{invoice}/communes/{a}").get_data(as_text=True))
    assert "État de répartition — Commune A" in page and "à parts égales" in page
    assert "136,50 €" in page and "Mes factures" in page
    workbook = agent.get(f"/factures/{invoice}/communes/{a}/etat.xlsx")
    assert workbook.status_code == 200 and workbook.mimetype.endswith("spreadsheetml.sheet")
    assert re.match(
        r'attachment; filename="etat-repartition-f124212-\d{5}\.xlsx"', workbook.headers["Content-Disposition"]
    )
    rows = list(load_workbook(io.BytesIO(workbook.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "État de répartition — facture n° F124212 — Commune A"
    pdf = agent.get(f"/factures/{invoice}/communes/{a}/etat.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and pdf.mimetype == "application/pdf"
    for path in (f"/factures/{invoice}/communes/{b}", f"/factures/{invoice}/communes/{b}/etat.xlsx"):
        assert agent.get(path).status_code == 404
        assert client_as("signatory_a").get(path).status_code == 404
    assert client_as("agent_b").get(f"/factures/{invoice}/communes/{b}/etat.pdf").status_code == 200


def test_commune_users_see_their_own_ledger_only(client_as, world):
    page = flat(client_as("agent_a").get("/ma-commune/factures").get_data(as_text=True))
    assert "Mes factures — Commune A" in page and "F124212" in page and "154,02 €" in page
    assert "Commune B" not in page
    assert client_as("agent_a").get(f"/communes/{world.ids['commune_b']}/grand-livre").status_code == 403
    page_b = flat(client_as("agent_b").get("/ma-commune/factures").get_data(as_text=True))
    assert "Mes factures — Commune B" in page_b and "154,01 €" in page_b


def test_the_titles_export_for_the_accounting_software_in_csv_and_excel(client_as, world):
    client = client_as("accountant")
    response = client.get("/factures/titres.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["numero_titre", "nature", "titre_annule", "siren_commune"]
    columns = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert sorted(row["montant_ttc"] for row in columns) == ["154,01", "154,02"]
    assert {row["reference_facture"] for row in columns} == {"F124212"}
    assert all(re.fullmatch(r"TR-\d{4}-\d{5}", row["numero_titre"]) for row in columns)
    assert all(re.fullmatch(r"\d{9}", row["siren_commune"]) for row in columns)
    assert all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", row["date_echeance"]) for row in columns)
    workbook = client.get(f"/factures/titres.xlsx?facture={world.ids['invoice']}")
    sheet = list(load_workbook(io.BytesIO(workbook.data)).active.iter_rows(values_only=True))
    assert sheet[0][0] == "N° de titre" and len(sheet) == 3
    assert {row[1] for row in sheet[1:]} == {"Commune A", "Commune B"}


def test_the_contract_reconciliation_page_shows_ordered_delivered_invoiced_and_paid(app, client_as, world):
    client = client_as("coordinator")
    page = text_of(client.get(f"/factures/contrats/{world.ids['contract']}"))
    assert "Rapprochement de l'accord-cadre" in page and "Informatique Dauphiné" in page
    assert "1 880,00 € commandé HT" in page
    assert "Aucune facture rapprochée de ce marché" in page

    followed(client, upload(client, "fa-117.csv", order_invoice_csv(app, world)))
    invoice = invoice_id(app, "FA-2026-117")
    followed(client, client.post(f"/factures/{invoice}/rapprocher", data={"csrf_token": token(client)}))
    text = text_of(client.get(f"/factures/contrats/{world.ids['contract']}"))
    assert "1 880,00 € commandé HT" in text and "0,00 € livré HT" in text
    assert "1 918,20 € facturé HT" in text and "0,00 € encaissé TTC" in text
    assert "FA-2026-117" in text and "Aucune facture rapprochée" not in text

    accountant = client_as("accountant")
    rejected = accountant.post(
        f"/factures/{invoice}/rejeter", data={"csrf_token": token(accountant), "reason": "Prix faux"}
    )
    assert "rejetée" in followed(accountant, rejected)
    assert "0,00 € facturé HT" in text_of(client.get(f"/factures/contrats/{world.ids['contract']}"))


# --- issue 12: the home counts, anomalies first, rejection, service fait, the trace ---------------------------


def test_the_accountants_home_counts_the_invoices(app, client_as, world):
    client = client_as("accountant")
    for name in ("cii_en16931_example1.xml", "facturx_en16931_fr.pdf"):
        followed(client, upload(client, name, (SAMPLES / name).read_bytes()))
    content = order_invoice_csv(app, world)
    followed(client, upload(client, "fa-117.csv", content))
    followed(client, upload(client, "fa-118.csv", content.replace(b"FA-2026-117", b"FA-2026-118")))
    page = text_of(client.get("/"))
    assert "Factures des fournisseurs 5 factures" in page and "dont 4 à contrôler ou à répartir." in page
    assert "4 importées" in page and "1 titrée" in page
    assert "apparaîtront ici" not in page
    assert "5 factures" in text_of(client_as("coordinator").get("/"))


def test_the_invoice_page_shows_the_blocking_anomalies_first_then_the_passing_checks(app, client_as, world):
    client = client_as("accountant")
    followed(client, upload(client, "facturx.pdf", (SAMPLES / "facturx_en16931_fr.pdf").read_bytes()))
    invoice = invoice_id(app, "F20260023")
    followed(client, client.post(f"/factures/{invoice}/rapprocher", data={"csrf_token": token(client)}))
    html = client.get(f"/factures/{invoice}").get_data(as_text=True)
    anomalies, passing = html.index('id="anomalies-titre"'), html.index('id="conformes-titre"')
    assert anomalies < html.index("Vendeur « LE FOURNISSEUR » inconnu") < passing
    assert anomalies < html.index("Acheteur « LE CLIENT »") < passing
    assert passing < html.index("BR-CO-15 : le total TTC est égal")
    # seller, buyer, the order reference (BT-13) none of ours, three lines without an order
    assert html.count('class="resolve-form"') == 6 and f'action="/factures/{invoice}/rejeter"' in html
    assert f'action="/factures/{invoice}/repartir"' not in html


def test_a_rejected_invoice_shows_its_reason_and_offers_no_split(app, client_as, world):
    client = client_as("accountant")
    followed(client, upload(client, "facturx.pdf", (SAMPLES / "facturx_en16931_fr.pdf").read_bytes()))
    invoice = invoice_id(app, "F20260023")
    empty = client.post(f"/factures/{invoice}/rejeter", data={"csrf_token": token(client), "reason": ""})
    assert empty.status_code == 422 and "Le motif du rejet est obligatoire." in empty.get_data(as_text=True)
    rejected = client.post(
        f"/factures/{invoice}/rejeter", data={"csrf_token": token(client), "reason": "Adressée à LE CLIENT"}
    )
    page = text_of_html(followed(client, rejected))
    assert "Facture n° F20260023 rejetée : elle ne sera ni répartie ni titrée." in page
    assert "Facture rejetée le" in page and "Motif : Adressée à LE CLIENT" in page
    assert "rejetée" in text_of(client.get("/factures?statut=rejected"))
    html = client.get(f"/factures/{invoice}").get_data(as_text=True)
    assert "/repartir" not in html and "/rejeter" not in html and 'class="resolve-form"' not in html
    split = client.post(f"/factures/{invoice}/repartir", data={"csrf_token": token(client), "key": "equal"})
    assert "rejetée : elle ne peut pas être répartie" in followed(client, split)


def text_of_html(html: str) -> str:
    return flat(re.sub(r"<[^>]+>", " ", html))


def delivered(app, world) -> int:
    """Commune A received one screen of its order (order line A): its service fait awaits."""
    from groupement.contracts.orders import record_delivery
    from groupement.core.access import Actor, Role
    from groupement.core.timeutil import paris_today
    from groupement.organisations.user_models import User

    with app.app_context():
        agent = db.session.scalar(
            select(User).where(User.organisation_id == world.ids["commune_a"], User.role == Role.AGENT)
        )
        delivery = record_delivery(
            Actor(agent.id, Role.AGENT, world.ids["commune_a"]), world.ids["order_line_a"], paris_today(), 1
        )
        db.session.commit()
        return delivery.id


def test_the_commune_certifies_its_delivery_on_its_service_fait_page(app, client_as, world):
    delivery = delivered(app, world)
    agent = client_as("agent_a")
    assert "1 livraison en attente de votre certification" in text_of(agent.get("/"))
    page = text_of(agent.get("/ma-commune/service-fait"))
    assert "1 livraison en attente de certification." in page and "Certifier le service fait" in page
    certified = agent.post(f"/ma-commune/service-fait/{delivery}", data={"csrf_token": token(agent, "/")})
    page = text_of_html(followed(agent, certified))
    assert "Service fait certifié : 1 livré(s) le" in page and "0 livraison en attente" in page
    assert "certifié le" in page
    assert "Aucune livraison enregistrée" in text_of(client_as("agent_b").get("/ma-commune/service-fait"))
    other = client_as("agent_b")
    assert other.post(f"/ma-commune/service-fait/{delivery}", data={"csrf_token": token(other, "/")}).status_code == 404


def test_the_split_page_traces_each_euro_to_its_order_delivery_and_contract_price(app, client_as, world):
    delivery = delivered(app, world)
    agent = client_as("agent_a")
    agent.post(f"/ma-commune/service-fait/{delivery}", data={"csrf_token": token(agent, "/")})
    with app.app_context():
        order = db.session.get(Order, world.ids["order_a"])
        screen = order.lines[0]
        ref, number, price = screen.contract_price.lot_line.ref, order.number, screen.unit_price
        siret = db.session.get(Supplier, world.ids["supplier"]).siret
        buyer = db.session.get(Organisation, world.ids["capi"]).siret
        insee = db.session.get(Organisation, world.ids["commune_a"]).insee_code
    head = "numero_facture;date_facture;fournisseur_siret;acheteur_siret;numero_commande;code_insee;ref_article;"
    rows = [
        head + "designation;quantite;prix_unitaire_ht;taux_tva",
        f"FA-2026-200;15/06/2026;{siret};{buyer};{number};{insee};{ref};Écran;1;{price};20",
    ]
    client = client_as("accountant")
    uploaded = upload(client, "fa-200.csv", ("\n".join(rows) + "\n").encode())
    assert uploaded.status_code == 302, re.findall(
        r'refusal-reasons">(.*?)</ul>', uploaded.get_data(as_text=True), re.S
    )
    invoice = invoice_id(app, "FA-2026-200")
    matched = client.post(f"/factures/{invoice}/rapprocher", data={"csrf_token": token(client)})
    assert "0 écart(s) avec le marché" in followed(client, matched)
    split = client.post(f"/factures/{invoice}/repartir", data={"csrf_token": token(client), "key": "amount"})
    page = text_of_html(followed(client, split))
    assert "D'où vient chaque euro" in page
    trace = page[page.index("D'où vient chaque euro") :]
    assert f"Commune A L1 Écran {number} 3 1 1 1" in trace
    assert "116,10 € + éco-participation 0,50 €" in trace
