"""Every route of the url_map × every principal, with the status each must get.

A route added without a line in RULES fails test_every_route_has_a_rule: access is decided
when the route is written, not discovered later.
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token_of
from tests.e2e.conftest import OTHER_PRINCIPALS, PRINCIPALS

COMMUNE_USERS = {"agent_a", "agent_b", "signatory_a"}
COORDINATION = {"coordinator", "accountant", "admin"}
EVERYONE = COMMUNE_USERS | COORDINATION
# A supplier's user (issue 17): its own supplier space, its account, nothing of the buyers' pages.
SUPPLIERS = {"supplier_a"}
LOGIN = "login"  # anonymous visitors are sent to the login page


def statuses(allowed: set[str], ok: int = 200, **special: int) -> dict[str, int | str]:
    expected: dict[str, int | str] = {"anonymous": LOGIN}
    for principal in EVERYONE | SUPPLIERS:
        expected[principal] = ok if principal in allowed else 403
    expected.update(special)
    return expected


# (endpoint, method): (path builder from world ids, expected status per principal). The matrix posts
# a CSRF token only: an action form refused shows its page again with its errors (422), one a
# service refuses (or that asks nothing) redirects (302).
RULES = {
    ("auth.login", "GET"): (lambda ids: "/connexion", {"anonymous": 200, **{p: 302 for p in EVERYONE | SUPPLIERS}}),
    ("auth.logout", "POST"): (lambda ids: "/deconnexion", statuses(EVERYONE | SUPPLIERS, ok=302)),
    ("auth.password", "GET"): (lambda ids: "/compte/mot-de-passe", statuses(EVERYONE | SUPPLIERS)),
    ("auth.forgotten", "GET"): (
        lambda ids: "/mot-de-passe-oublie",
        {"anonymous": 200, **{p: 200 for p in EVERYONE | SUPPLIERS}},
    ),
    ("auth.reset", "GET"): (
        lambda ids: "/reinitialisation/faux",
        {"anonymous": 302, **{p: 302 for p in EVERYONE | SUPPLIERS}},
    ),
    ("dashboard.home", "GET"): (lambda ids: "/", statuses(EVERYONE | SUPPLIERS)),
    # The supplier space (issue 17): the supplier's user only; the coordinator's side reads the
    # accounts of its supplier records and the coordinator invites; agents shop.
    ("suppliers.home", "GET"): (lambda ids: "/espace-fournisseur", statuses(SUPPLIERS)),
    ("suppliers.orders_index", "GET"): (lambda ids: "/espace-fournisseur/commandes", statuses(SUPPLIERS)),
    ("suppliers.order", "GET"): (lambda ids: f"/espace-fournisseur/commandes/{ids['order_a']}", statuses(SUPPLIERS)),
    ("suppliers.contracts", "GET"): (lambda ids: "/espace-fournisseur/marches", statuses(SUPPLIERS)),
    ("suppliers.contract", "GET"): (
        lambda ids: f"/espace-fournisseur/marches/{ids['contract']}",
        statuses(SUPPLIERS),
    ),
    ("suppliers.invoices", "GET"): (lambda ids: "/espace-fournisseur/factures", statuses(SUPPLIERS)),
    ("suppliers.accounts", "GET"): (lambda ids: f"/fournisseurs/{ids['supplier']}/comptes", statuses(COORDINATION)),
    ("shop.index", "GET"): (lambda ids: "/boutique?q=ordinateur", statuses({"agent_a", "agent_b"})),
    ("shop.basket", "GET"): (lambda ids: "/boutique/panier", statuses({"agent_a", "agent_b"})),
    ("catalog.index", "GET"): (lambda ids: "/catalogue", statuses(EVERYONE)),
    ("catalog.export", "GET"): (lambda ids: "/catalogue/export.xlsx", statuses(EVERYONE)),
    ("organisations.index", "GET"): (lambda ids: "/organisations", statuses(EVERYONE)),
    ("organisations.export", "GET"): (lambda ids: "/organisations/export.xlsx", statuses(EVERYONE)),
    ("organisations.show", "GET"): (
        lambda ids: f"/organisations/{ids['commune_a']}",
        statuses(EVERYONE, agent_b=404),
    ),
    # Document settings: the coordinator's letterhead, the communes' Chorus Pro codes (not the accountant's).
    ("settings.show", "GET"): (lambda ids: "/parametres", statuses(EVERYONE - {"accountant"})),
    ("settings.letterhead", "POST"): (lambda ids: "/parametres/en-tete", statuses({"coordinator", "admin"}, ok=302)),
    ("settings.chorus", "POST"): (lambda ids: "/parametres/chorus", statuses(EVERYONE - {"accountant"}, ok=422)),
    ("campaigns.index", "GET"): (lambda ids: "/campagnes", statuses(EVERYONE)),
    # The coordinator's side: the coordinator acts; accountant and admin (same organisation) may read.
    ("campaigns.new", "GET"): (lambda ids: "/campagnes/nouvelle", statuses({"coordinator"})),
    ("campaigns.board", "GET"): (lambda ids: f"/campagnes/{ids['campaign']}", statuses(COORDINATION)),
    ("campaigns.board_export", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/tableau.xlsx",
        statuses(COORDINATION),
    ),
    ("campaigns.commune_needs", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/communes/{ids['commune_a']}",
        statuses(COORDINATION),
    ),
    # Commune A's needs are not validated in this campaign: no document yet (404) for those who may see it.
    ("campaigns.commune_needs_pdf", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/communes/{ids['commune_a']}/etat-valide.pdf",
        statuses(COORDINATION, ok=404),
    ),
    # Lots: the coordinator builds them; accountant and admin read them and download the tender files.
    ("lots.index", "GET"): (lambda ids: f"/campagnes/{ids['lots_campaign']}/lots", statuses(COORDINATION)),
    ("lots.show", "GET"): (lambda ids: f"/lots/{ids['lot']}", statuses(COORDINATION)),
    ("lots.export_dqe", "GET"): (lambda ids: f"/lots/{ids['lot']}/dqe.xlsx", statuses(COORDINATION)),
    ("lots.export_bpu", "GET"): (lambda ids: f"/lots/{ids['lot']}/bpu.xlsx", statuses(COORDINATION)),
    ("lots.export_recap", "GET"): (lambda ids: f"/lots/{ids['lot']}/recapitulatif.xlsx", statuses(COORDINATION)),
    ("lots.export_all", "GET"): (lambda ids: f"/campagnes/{ids['lots_campaign']}/lots.xlsx", statuses(COORDINATION)),
    ("lots.export_annex", "GET"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/annexes/{ids['commune_a']}.xlsx",
        statuses(COORDINATION),
    ),
    ("needs.grid", "GET"): (lambda ids: f"/campagnes/{ids['campaign']}/besoins", statuses(COMMUNE_USERS)),
    # The confirmation step before submitting and the signatory's validation page: commune users.
    ("needs.submit_review", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/soumettre",
        statuses(COMMUNE_USERS),
    ),
    ("needs.validate_review", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/valider",
        statuses(COMMUNE_USERS),
    ),
    ("needs.history", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/historique/{ids['item']}",
        statuses(COMMUNE_USERS, agent_b=404),
    ),
    # Excel round trip: commune users download their own commune's file (agent_b gets B's, the
    # ?commune= argument is the coordinator's); only agents import; A's checked upload is A's.
    ("needs.export_xlsx", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/export.xlsx?commune={ids['commune_a']}",
        statuses({"agent_a", "agent_b", "signatory_a", "coordinator"}),
    ),
    ("needs.upload", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/import",
        statuses({"agent_a", "agent_b"}),
    ),
    ("needs.preview", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/import/{ids['upload_a']}",
        statuses({"agent_a", "agent_b"}, agent_b=404),
    ),
    # Open data (DECP): the coordinator publishes; accountant and admin read and download.
    ("opendata.index", "GET"): (lambda ids: "/donnees-essentielles", statuses(COORDINATION)),
    ("opendata.download", "POST"): (lambda ids: "/donnees-essentielles/decp", statuses(COORDINATION, ok=303)),
    # Orders: every role lists the orders it reaches (a commune its own) and the contracts; only
    # agents order (B is a member too); A's order is A's; consumption is the coordinator's side.
    ("orders.index", "GET"): (lambda ids: "/commandes", statuses(EVERYONE)),
    ("orders.contracts", "GET"): (lambda ids: "/commandes/marches", statuses(EVERYONE)),
    ("orders.new", "GET"): (lambda ids: f"/commandes/nouvelle/{ids['contract']}", statuses({"agent_a", "agent_b"})),
    ("orders.show", "GET"): (lambda ids: f"/commandes/{ids['order_a']}", statuses(EVERYONE, agent_b=404)),
    ("orders.pdf", "GET"): (lambda ids: f"/commandes/{ids['order_a']}/bon.pdf", statuses(EVERYONE, agent_b=404)),
    ("orders.consumption", "GET"): (
        lambda ids: f"/contrats/{ids['contract']}/consommation",
        statuses(COORDINATION),
    ),
    # Award and contracts: the coordinator decides, accountant and admin read the award page and the
    # savings; every role reads the contracts (a member commune orders under them).
    ("contracts.award_form", "GET"): (lambda ids: f"/lots/{ids['lot']}/attribution", statuses(COORDINATION)),
    ("contracts.index", "GET"): (lambda ids: "/contrats", statuses(EVERYONE)),
    ("contracts.show", "GET"): (lambda ids: f"/contrats/{ids['contract']}", statuses(EVERYONE)),
    ("contracts.export_prices", "GET"): (lambda ids: f"/contrats/{ids['contract']}/prix.xlsx", statuses(EVERYONE)),
    ("contracts.price_type", "POST"): (
        lambda ids: f"/contrats/{ids['contract']}/type-de-prix",
        statuses({"coordinator"}, ok=422),
    ),
    ("contracts.nature", "POST"): (
        lambda ids: f"/contrats/{ids['contract']}/nature",
        statuses({"coordinator"}, ok=422),
    ),
    # The contract's life (issue 17): the coordinator acts, accountant and admin read; the execution
    # report is every role's within scope (a commune sees its own line only).
    ("contracts.life", "GET"): (lambda ids: f"/contrats/{ids['contract']}/vie", statuses(COORDINATION)),
    ("contracts.execution_report", "GET"): (
        lambda ids: f"/contrats/{ids['contract']}/execution",
        statuses(EVERYONE),
    ),
    ("contracts.execution_report_xlsx", "GET"): (
        lambda ids: f"/contrats/{ids['contract']}/execution.xlsx",
        statuses(EVERYONE),
    ),
    ("contracts.renewal_terms", "POST"): (
        lambda ids: f"/contrats/{ids['contract']}/reconduction/clause",
        statuses({"coordinator"}, ok=422),
    ),
    ("contracts.renewal_decision", "POST"): (
        lambda ids: f"/contrats/{ids['contract']}/reconduction",
        statuses({"coordinator"}, ok=422),
    ),
    ("contracts.amendment", "POST"): (
        lambda ids: f"/contrats/{ids['contract']}/avenants",
        statuses({"coordinator"}, ok=422),
    ),
    ("contracts.revision_formula", "POST"): (
        lambda ids: f"/contrats/{ids['contract']}/revision/formule",
        statuses({"coordinator"}, ok=422),
    ),
    ("contracts.index_value", "POST"): (
        lambda ids: f"/contrats/{ids['contract']}/revision/indices",
        statuses({"coordinator"}, ok=422),
    ),
    ("contracts.index_import", "POST"): (
        lambda ids: f"/contrats/{ids['contract']}/revision/indices/import",
        statuses({"coordinator"}, ok=422),
    ),
    ("contracts.compute_revision", "POST"): (
        lambda ids: f"/contrats/{ids['contract']}/revision/calcul",
        statuses({"coordinator"}, ok=302),
    ),
    ("contracts.savings", "GET"): (
        lambda ids: f"/campagnes/{ids['contract_campaign']}/economies",
        statuses(COORDINATION),
    ),
    ("contracts.savings_export", "GET"): (
        lambda ids: f"/campagnes/{ids['contract_campaign']}/economies.xlsx",
        statuses(COORDINATION),
    ),
    # Suppliers, offers and their analysis: the coordinator records and scores; accountant and admin
    # read; commune users never see offers. The world's offer is on its awarded lot.
    ("offers.suppliers", "GET"): (lambda ids: "/fournisseurs", statuses(COORDINATION)),
    ("offers.new_supplier", "GET"): (lambda ids: "/fournisseurs/nouveau", statuses({"coordinator"})),
    ("offers.edit_supplier", "GET"): (
        lambda ids: f"/fournisseurs/{ids['supplier']}/modifier",
        statuses({"coordinator"}),
    ),
    ("offers.index", "GET"): (lambda ids: f"/lots/{ids['contract_lot']}/offres", statuses(COORDINATION)),
    ("offers.key_in", "GET"): (lambda ids: f"/lots/{ids['lot']}/offres/saisie", statuses({"coordinator"})),
    ("offers.show", "GET"): (lambda ids: f"/offres/{ids['offer']}", statuses(COORDINATION)),
    ("offers.analysis", "GET"): (lambda ids: f"/lots/{ids['contract_lot']}/analyse", statuses(COORDINATION)),
    ("offers.analysis_export", "GET"): (
        lambda ids: f"/lots/{ids['contract_lot']}/analyse.xlsx",
        statuses(COORDINATION),
    ),
    # The analysis report as PDF: edited and archived by the coordinator (the PDF comes back).
    ("offers.analysis_pdf", "POST"): (
        lambda ids: f"/lots/{ids['contract_lot']}/analyse.pdf",
        statuses({"coordinator"}),
    ),
    # Invoices: the accounting side (accountant, coordinator, admin) works on them; a commune's users
    # reach only their own commune's statements (A's statement: 404 for B) and their own ledger page.
    ("invoices.board", "GET"): (lambda ids: "/factures", statuses(COORDINATION)),
    ("invoices.board_export", "GET"): (lambda ids: "/factures/export.xlsx?statut=recovered", statuses(COORDINATION)),
    ("invoices.batches", "GET"): (lambda ids: "/factures/lots", statuses(COORDINATION)),
    ("invoices.batch_show", "GET"): (lambda ids: f"/factures/lots/{ids['invoice_batch']}", statuses(COORDINATION)),
    ("invoices.invoice_template", "GET"): (lambda ids: "/factures/modele.xlsx", statuses(COORDINATION)),
    ("invoices.show", "GET"): (lambda ids: f"/factures/{ids['invoice']}", statuses(COORDINATION)),
    # The supplier's PDF kept at import: the world's invoice came as UBL XML, so there is none (404 for
    # whoever may see invoices; the PDF itself is downloaded in tests/integration/test_invoice_kinds.py).
    ("invoices.invoice_pdf_file", "GET"): (
        lambda ids: f"/factures/{ids['invoice']}/facture.pdf",
        statuses(COORDINATION, ok=404),
    ),
    ("invoices.statement", "GET"): (
        lambda ids: f"/factures/{ids['invoice']}/communes/{ids['commune_a']}",
        statuses(EVERYONE, agent_b=404),
    ),
    ("invoices.statement_xlsx_file", "GET"): (
        lambda ids: f"/factures/{ids['invoice']}/communes/{ids['commune_a']}/etat.xlsx",
        statuses(EVERYONE, agent_b=404),
    ),
    ("invoices.statement_pdf_file", "GET"): (
        lambda ids: f"/factures/{ids['invoice']}/communes/{ids['commune_a']}/etat.pdf",
        statuses(EVERYONE, agent_b=404),
    ),
    ("invoices.titles", "GET"): (lambda ids: "/factures/titres", statuses(COORDINATION)),
    ("invoices.titles_export_csv", "GET"): (lambda ids: "/factures/titres.csv", statuses(COORDINATION)),
    # The confirmation of « émettre les titres de toutes les factures réparties » (a job).
    ("invoices.titles_batch", "GET"): (lambda ids: "/factures/titres/emission", statuses(COORDINATION)),
    ("invoices.titles_export_xlsx", "GET"): (
        lambda ids: f"/factures/titres.xlsx?facture={ids['invoice']}",
        statuses(COORDINATION),
    ),
    ("invoices.contract", "GET"): (lambda ids: f"/factures/contrats/{ids['contract']}", statuses(COORDINATION)),
    ("invoices.ledger", "GET"): (
        lambda ids: f"/communes/{ids['commune_a']}/grand-livre",
        statuses(COORDINATION),
    ),
    ("invoices.my_commune", "GET"): (lambda ids: "/ma-commune/factures", statuses(COMMUNE_USERS)),
    ("invoices.service_fait_list", "GET"): (lambda ids: "/ma-commune/service-fait", statuses(COMMUNE_USERS)),
    ("admin.users", "GET"): (lambda ids: "/admin/utilisateurs", statuses({"admin"})),
    ("admin.new_user", "GET"): (lambda ids: "/admin/utilisateurs/nouveau", statuses({"admin"})),
}
# POSTs that are also listed with a valid token and an empty form (the view's own answer).
POST_RULES = {
    ("auth.login", "POST"): (lambda ids: "/connexion", {"anonymous": 200, **{p: 302 for p in EVERYONE}}),
    # Commune steps answer a refused step with a message and a redirect (302), other roles 403.
    # Commune A's needs in the first campaign are not validated yet: no document (404), as for B.
    ("needs.validated_pdf", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/etat-valide.pdf",
        statuses(COMMUNE_USERS, agent_a=404, agent_b=404, signatory_a=404),
    ),
    ("needs.grid", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins",
        statuses({"agent_a", "agent_b"}, ok=302),
    ),
    ("needs.validate", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/valider",
        statuses(COMMUNE_USERS, ok=302),
    ),
    ("needs.send_back", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/renvoyer",
        statuses(COMMUNE_USERS, ok=302),
    ),
    ("needs.submit", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/soumettre",
        statuses(COMMUNE_USERS, ok=302),
    ),
    # Coordinator actions: open is refused with a message and a redirect (the campaign is already
    # open); close (not confirmed) and reopen (no reason) show the board again with the error beside
    # the field (422); remind reminds communes A and B. Other roles 403. The new campaign form comes
    # back with errors (422).
    ("campaigns.new", "POST"): (lambda ids: "/campagnes/nouvelle", statuses({"coordinator"}, ok=422)),
    ("campaigns.open", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/ouvrir",
        statuses({"coordinator"}, ok=302),
    ),
    ("campaigns.close", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/cloturer",
        statuses({"coordinator"}, ok=422),
    ),
    ("campaigns.remind", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/relancer",
        statuses({"coordinator"}, ok=302),
    ),
    ("campaigns.reopen", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/communes/{ids['commune_a']}/rouvrir",
        statuses({"coordinator"}, ok=422),
    ),
    # Lots: an empty form is refused with a message and a redirect (aggregate and publish: not
    # confirmed; move, merge: nothing chosen; rename, exclude: no title or reason; parameters:
    # no duration); include brings back a line that was not excluded. Other roles 403.
    ("lots.aggregate", "POST"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/agreger",
        statuses({"coordinator"}, ok=422),
    ),
    ("lots.move", "POST"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/lots/deplacer",
        statuses({"coordinator"}, ok=422),
    ),
    ("lots.merge", "POST"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/lots/fusionner",
        statuses({"coordinator"}, ok=422),
    ),
    ("lots.publish_selection", "POST"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/lots/publier",
        statuses({"coordinator"}, ok=422),
    ),
    ("lots.rename", "POST"): (lambda ids: f"/lots/{ids['lot']}/renommer", statuses({"coordinator"}, ok=422)),
    ("lots.parameters", "POST"): (lambda ids: f"/lots/{ids['lot']}/parametres", statuses({"coordinator"}, ok=422)),
    ("lots.open_data", "POST"): (
        lambda ids: f"/lots/{ids['lot']}/donnees-essentielles",
        statuses({"coordinator"}, ok=422),
    ),
    ("lots.publish", "POST"): (lambda ids: f"/lots/{ids['lot']}/publier", statuses({"coordinator"}, ok=422)),
    ("lots.exclude", "POST"): (lambda ids: f"/lignes/{ids['lot_line']}/exclure", statuses({"coordinator"}, ok=422)),
    # The tender dossier is a background job: the POST starts it and shows its page (303).
    ("lots.export_zip", "POST"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/dossier",
        statuses(COORDINATION, ok=303),
    ),
    # Jobs: « Mes travaux » for everyone; a job nobody may see is not found (tests/e2e/test_jobs.py).
    ("jobs.index", "GET"): (lambda ids: "/travaux", statuses(EVERYONE)),
    ("jobs.show", "GET"): (lambda ids: "/travaux/999999", statuses(EVERYONE, ok=404)),
    ("jobs.status", "GET"): (lambda ids: "/travaux/999999/etat.json", statuses(EVERYONE, ok=404)),
    ("jobs.download", "GET"): (lambda ids: "/travaux/999999/resultat", statuses(EVERYONE, ok=404)),
    ("jobs.retry", "POST"): (lambda ids: "/travaux/999999/relancer", statuses(EVERYONE, ok=404)),
    ("lots.include", "POST"): (
        lambda ids: f"/lignes/{ids['lot_line']}/reintegrer",
        statuses({"coordinator"}, ok=302),
    ),
    # Import: an empty form comes back with its error (200); confirm and cancel redirect to the grid.
    ("needs.upload", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/import",
        statuses({"agent_a", "agent_b"}),
    ),
    ("needs.confirm_upload", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/import/{ids['upload_a']}/confirmer",
        statuses({"agent_a", "agent_b"}, ok=302, agent_b=404),
    ),
    ("needs.cancel_upload", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/import/{ids['upload_a_spare']}/annuler",
        statuses({"agent_a", "agent_b"}, ok=302, agent_b=404),
    ),
    # Orders: an empty order form comes back with its errors (422); an empty delivery form is
    # refused with a message and a redirect to the order, for the users of A only.
    ("orders.new", "POST"): (
        lambda ids: f"/commandes/nouvelle/{ids['contract']}",
        statuses({"agent_a", "agent_b"}, ok=422),
    ),
    ("orders.deliver", "POST"): (
        lambda ids: f"/commandes/lignes/{ids['order_line_a']}/livraison",
        statuses(COMMUNE_USERS, ok=422, agent_b=404),
    ),
    # Award: an empty award form comes back with its errors (422); an empty "unsuccessful" form is
    # refused with a message and a redirect to the award page. Other roles 403.
    ("contracts.award", "POST"): (lambda ids: f"/lots/{ids['lot']}/attribution", statuses({"coordinator"}, ok=422)),
    ("contracts.unsuccessful", "POST"): (
        lambda ids: f"/lots/{ids['lot']}/infructueux",
        statuses({"coordinator"}, ok=422),
    ),
    # The rejection letters' sending: an empty form comes back with its errors (422); the
    # notification letter is edited once and downloaded (302 to the archived PDF); an archived
    # letter that does not exist is 404 for the coordinator's side, 403 for the communes.
    ("contracts.rejections_sent", "POST"): (
        lambda ids: f"/lots/{ids['lot']}/attribution/lettres-de-rejet",
        statuses({"coordinator"}, ok=422),
    ),
    ("contracts.notification", "POST"): (
        lambda ids: f"/lots/{ids['contract_lot']}/attribution/notification",
        statuses({"coordinator"}, ok=302),
    ),
    ("contracts.award_letter", "GET"): (
        lambda ids: f"/lots/{ids['contract_lot']}/attribution/documents/999999",
        statuses(COORDINATION, ok=404),
    ),
    # Offers: an empty supplier, import, key-in or score form comes back with its errors (422; the
    # score form: the lot is awarded, its scores no longer change); empty criteria are refused with
    # a message and a redirect. Other roles 403.
    ("offers.new_supplier", "POST"): (lambda ids: "/fournisseurs/nouveau", statuses({"coordinator"}, ok=422)),
    ("offers.edit_supplier", "POST"): (
        lambda ids: f"/fournisseurs/{ids['supplier']}/modifier",
        statuses({"coordinator"}, ok=422),
    ),
    ("offers.import_file", "POST"): (
        lambda ids: f"/lots/{ids['lot']}/offres/import",
        statuses({"coordinator"}, ok=422),
    ),
    ("offers.key_in", "POST"): (lambda ids: f"/lots/{ids['lot']}/offres/saisie", statuses({"coordinator"}, ok=422)),
    ("offers.criteria", "POST"): (lambda ids: f"/lots/{ids['lot']}/criteres", statuses({"coordinator"}, ok=422)),
    ("offers.score", "POST"): (lambda ids: f"/offres/{ids['offer']}/notes", statuses({"coordinator"}, ok=422)),
    # Invoices (the world's is split and its titles issued): an empty upload comes back with its error
    # (422); match and split are refused with a message and a redirect (the invoice is recovered);
    # an empty resolution, titles or payment form is refused with a message and a redirect.
    ("invoices.upload", "POST"): (lambda ids: "/factures/import", statuses(COORDINATION, ok=422)),
    ("invoices.batch_upload", "POST"): (lambda ids: "/factures/lots", statuses(COORDINATION, ok=422)),
    ("invoices.match", "POST"): (
        lambda ids: f"/factures/{ids['invoice']}/rapprocher",
        statuses(COORDINATION, ok=302),
    ),
    ("invoices.resolve", "POST"): (
        lambda ids: f"/factures/controles/{ids['invoice_check']}",
        statuses(COORDINATION, ok=422),
    ),
    ("invoices.split", "POST"): (
        lambda ids: f"/factures/{ids['invoice']}/repartir",
        statuses(COORDINATION, ok=302),
    ),
    # Reject: an empty reason is refused with a message and a redirect (the invoice is recovered anyway).
    ("invoices.reject", "POST"): (
        lambda ids: f"/factures/{ids['invoice']}/rejeter",
        statuses(COORDINATION, ok=422),
    ),
    # Service fait: the world has no delivery; a commune's users are told it is not found
    # (test_invoices_pages certifies a real one, and refuses it to another commune).
    ("invoices.certify", "POST"): (
        lambda ids: "/ma-commune/service-fait/999999",
        statuses(COMMUNE_USERS, ok=404),
    ),
    ("invoices.issue_titles", "POST"): (
        lambda ids: f"/factures/{ids['invoice']}/titres",
        statuses(COORDINATION, ok=422),
    ),
    ("invoices.record_payment", "POST"): (
        lambda ids: f"/factures/titres/{ids['title_a']}/encaissement",
        statuses(COORDINATION, ok=422),
    ),
    # The titles batch without its due date comes back with its error; every commune's statement of
    # the world's invoice in a zip starts a job (303 to its page).
    ("invoices.titles_batch_start", "POST"): (
        lambda ids: "/factures/titres/emission",
        statuses(COORDINATION, ok=422),
    ),
    ("invoices.statements_zip", "POST"): (
        lambda ids: f"/factures/{ids['invoice']}/etats",
        statuses(COORDINATION, ok=303),
    ),
    ("invoices.cancel_title", "POST"): (
        lambda ids: f"/factures/titres/{ids['title_a']}/annulation",
        statuses(COORDINATION, ok=422),
    ),
    ("admin.new_user", "POST"): (lambda ids: "/admin/utilisateurs/nouveau", statuses({"admin"})),
    ("auth.password", "POST"): (lambda ids: "/compte/mot-de-passe", statuses(EVERYONE | SUPPLIERS)),
    ("auth.forgotten", "POST"): (
        lambda ids: "/mot-de-passe-oublie",
        {"anonymous": 200, **{p: 200 for p in EVERYONE | SUPPLIERS}},
    ),
    ("auth.reset", "POST"): (
        lambda ids: "/reinitialisation/faux",
        {"anonymous": 302, **{p: 302 for p in EVERYONE | SUPPLIERS}},
    ),
    # The supplier space: an empty acknowledgment acknowledges (no date is required); an empty
    # delivery date or delivery is refused with a message; all redirect to the order.
    ("suppliers.acknowledge", "POST"): (
        lambda ids: f"/espace-fournisseur/commandes/{ids['order_a']}/accuse-reception",
        statuses(SUPPLIERS, ok=302),
    ),
    ("suppliers.plan", "POST"): (
        lambda ids: f"/espace-fournisseur/commandes/{ids['order_a']}/date-de-livraison",
        statuses(SUPPLIERS, ok=422),
    ),
    ("suppliers.declare", "POST"): (
        lambda ids: f"/espace-fournisseur/lignes/{ids['order_line_a']}/livraison",
        statuses(SUPPLIERS, ok=422),
    ),
    # An empty invitation comes back with its errors (422).
    ("suppliers.invite", "POST"): (
        lambda ids: f"/fournisseurs/{ids['supplier']}/comptes/inviter",
        statuses({"coordinator"}, ok=422),
    ),
    # The shop: empty forms come back with their errors (422); the world's basket line is agent A's
    # (404 for B).
    ("shop.add", "POST"): (lambda ids: "/boutique/panier/ajouter", statuses({"agent_a", "agent_b"}, ok=422)),
    ("shop.set_quantity", "POST"): (
        lambda ids: f"/boutique/panier/lignes/{ids['basket_line_a']}",
        statuses({"agent_a", "agent_b"}, ok=422, agent_b=404),
    ),
    ("shop.place", "POST"): (lambda ids: "/boutique/panier/commander", statuses({"agent_a", "agent_b"}, ok=422)),
    # An account that does not exist: the administrator gets 404, the others are refused first.
    ("admin.deactivate", "POST"): (lambda ids: "/admin/utilisateurs/999999/desactiver", statuses({"admin"}, ok=404)),
    ("admin.reactivate", "POST"): (lambda ids: "/admin/utilisateurs/999999/reactiver", statuses({"admin"}, ok=404)),
}
ALL_RULES = {**RULES, **POST_RULES}
# Object-level checks: ids of another commune are not found, whatever the route.
OUT_OF_SCOPE = {
    ("suppliers.order (inexistant)", "GET"): (lambda ids: "/espace-fournisseur/commandes/999999", {"supplier_a": 404}),
    ("suppliers.declare (ligne inexistante)", "POST"): (
        lambda ids: "/espace-fournisseur/lignes/999999/livraison",
        {"supplier_a": 404},
    ),
    ("suppliers.accounts (inexistant)", "GET"): (lambda ids: "/fournisseurs/999999/comptes", {"coordinator": 404}),
    ("shop.set_quantity (ligne inexistante)", "POST"): (lambda ids: "/boutique/panier/lignes/999999", {"agent_a": 404}),
    ("organisations.show", "GET"): (
        lambda ids: f"/organisations/{ids['commune_b']}",
        {"agent_a": 404, "signatory_a": 404, "agent_b": 200},
    ),
    ("organisations.show (coordinateur)", "GET"): (
        lambda ids: f"/organisations/{ids['capi']}",
        {"agent_a": 404, "coordinator": 200},
    ),
    ("needs.grid (campagne inexistante)", "GET"): (
        lambda ids: "/campagnes/999999/besoins",
        {"agent_a": 404, "signatory_a": 404},
    ),
    ("campaigns.board (campagne inexistante)", "GET"): (
        lambda ids: "/campagnes/999999",
        {"coordinator": 404, "accountant": 404, "admin": 404},
    ),
    ("campaigns.board_export (campagne inexistante)", "GET"): (
        lambda ids: "/campagnes/999999/tableau.xlsx",
        {"coordinator": 404},
    ),
    ("campaigns.commune_needs (non membre)", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/communes/{ids['capi']}",
        {"coordinator": 404, "admin": 404},
    ),
    ("needs.export_xlsx (commune non membre)", "GET"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/export.xlsx?commune={ids['capi']}",
        {"coordinator": 404},
    ),
    ("needs.export_xlsx (campagne inexistante)", "GET"): (
        lambda ids: "/campagnes/999999/besoins/export.xlsx",
        {"agent_a": 404, "signatory_a": 404},
    ),
    ("needs.preview (inexistant)", "GET"): (lambda ids: "/campagnes/999999/besoins/import/1", {"agent_a": 404}),
    ("needs.confirm_upload (import d'une autre commune)", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/besoins/import/{ids['upload_a_spare']}/confirmer",
        {"agent_b": 404},
    ),
    ("organisations.show (inexistant)", "GET"): (
        lambda ids: "/organisations/999999",
        {"coordinator": 404, "admin": 404},
    ),
    ("lots.index (campagne inexistante)", "GET"): (
        lambda ids: "/campagnes/999999/lots",
        {"coordinator": 404, "accountant": 404, "admin": 404},
    ),
    ("lots.show (lot inexistant)", "GET"): (lambda ids: "/lots/999999", {"coordinator": 404, "admin": 404}),
    ("lots.export_dqe (lot inexistant)", "GET"): (lambda ids: "/lots/999999/dqe.xlsx", {"coordinator": 404}),
    ("lots.export_bpu (lot inexistant)", "GET"): (lambda ids: "/lots/999999/bpu.xlsx", {"accountant": 404}),
    ("lots.export_recap (lot inexistant)", "GET"): (lambda ids: "/lots/999999/recapitulatif.xlsx", {"admin": 404}),
    ("lots.export_all (campagne inexistante)", "GET"): (
        lambda ids: "/campagnes/999999/lots.xlsx",
        {"coordinator": 404},
    ),
    ("lots.export_zip (campagne inexistante)", "POST"): (
        lambda ids: "/campagnes/999999/dossier",
        {"coordinator": 404},
    ),
    ("lots.export_annex (commune sans besoin dans les lots)", "GET"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/annexes/{ids['capi']}.xlsx",
        {"coordinator": 404, "accountant": 404},
    ),
    ("lots.include (ligne inexistante)", "POST"): (lambda ids: "/lignes/999999/reintegrer", {"coordinator": 404}),
    ("offers.edit_supplier (inexistant)", "GET"): (lambda ids: "/fournisseurs/999999/modifier", {"coordinator": 404}),
    ("offers.index (lot inexistant)", "GET"): (lambda ids: "/lots/999999/offres", {"coordinator": 404, "admin": 404}),
    ("offers.show (offre inexistante)", "GET"): (lambda ids: "/offres/999999", {"accountant": 404}),
    ("offers.analysis (lot inexistant)", "GET"): (lambda ids: "/lots/999999/analyse", {"coordinator": 404}),
    ("offers.score (offre inexistante)", "POST"): (lambda ids: "/offres/999999/notes", {"coordinator": 404}),
    ("offers.import_file (lot inexistant)", "POST"): (lambda ids: "/lots/999999/offres/import", {"coordinator": 404}),
    ("orders.show (inexistant)", "GET"): (lambda ids: "/commandes/999999", {"agent_a": 404, "coordinator": 404}),
    ("orders.pdf (inexistant)", "GET"): (lambda ids: "/commandes/999999/bon.pdf", {"accountant": 404}),
    ("orders.new (marché inexistant)", "GET"): (lambda ids: "/commandes/nouvelle/999999", {"agent_a": 404}),
    ("orders.consumption (marché inexistant)", "GET"): (
        lambda ids: "/contrats/999999/consommation",
        {"coordinator": 404, "admin": 404},
    ),
    ("contracts.show (inexistant)", "GET"): (lambda ids: "/contrats/999999", {"agent_a": 404, "coordinator": 404}),
    ("contracts.export_prices (inexistant)", "GET"): (lambda ids: "/contrats/999999/prix.xlsx", {"signatory_a": 404}),
    ("contracts.award_form (lot inexistant)", "GET"): (lambda ids: "/lots/999999/attribution", {"coordinator": 404}),
    ("contracts.award (lot inexistant)", "POST"): (lambda ids: "/lots/999999/attribution", {"coordinator": 404}),
    ("contracts.savings (campagne inexistante)", "GET"): (
        lambda ids: "/campagnes/999999/economies",
        {"coordinator": 404, "accountant": 404},
    ),
    ("orders.deliver (ligne inexistante)", "POST"): (
        lambda ids: "/commandes/lignes/999999/livraison",
        {"agent_a": 404, "signatory_a": 404},
    ),
    ("invoices.batch_show (lot inexistant)", "GET"): (
        lambda ids: "/factures/lots/999999",
        {"coordinator": 404, "accountant": 404, "admin": 404},
    ),
    ("invoices.statement (commune B)", "GET"): (
        lambda ids: f"/factures/{ids['invoice']}/communes/{ids['commune_b']}",
        {"agent_a": 404, "signatory_a": 404, "agent_b": 200, "accountant": 200},
    ),
    ("invoices.statement_pdf_file (commune B)", "GET"): (
        lambda ids: f"/factures/{ids['invoice']}/communes/{ids['commune_b']}/etat.pdf",
        {"agent_a": 404, "agent_b": 200},
    ),
    ("invoices.statement_xlsx_file (commune sans part)", "GET"): (
        lambda ids: f"/factures/{ids['invoice']}/communes/{ids['capi']}/etat.xlsx",
        {"coordinator": 404, "accountant": 404},
    ),
    ("invoices.show (inexistante)", "GET"): (lambda ids: "/factures/999999", {"accountant": 404, "admin": 404}),
    ("invoices.statement (facture inexistante)", "GET"): (
        lambda ids: f"/factures/999999/communes/{ids['commune_a']}",
        {"agent_a": 404, "accountant": 404},
    ),
    ("invoices.contract (inexistant)", "GET"): (lambda ids: "/factures/contrats/999999", {"accountant": 404}),
    ("invoices.ledger (inexistante)", "GET"): (lambda ids: "/communes/999999/grand-livre", {"coordinator": 404}),
    ("invoices.titles_export_csv (facture inexistante)", "GET"): (
        lambda ids: "/factures/titres.csv?facture=999999",
        {"accountant": 404},
    ),
    ("invoices.match (inexistante)", "POST"): (lambda ids: "/factures/999999/rapprocher", {"accountant": 404}),
    ("invoices.resolve (contrôle inexistant)", "POST"): (
        lambda ids: "/factures/controles/999999",
        {"accountant": 404},
    ),
    ("invoices.statements_zip (inexistante)", "POST"): (lambda ids: "/factures/999999/etats", {"accountant": 404}),
    ("invoices.record_payment (titre inexistant)", "POST"): (
        lambda ids: "/factures/titres/999999/encaissement",
        {"accountant": 404},
    ),
    ("invoices.cancel_title (titre inexistant)", "POST"): (
        lambda ids: "/factures/titres/999999/annulation",
        {"accountant": 404},
    ),
}

FIRST_WORLD = ("agent_a", "agent_b", "signatory_a", "coordinator", "accountant", "admin", "supplier_a")
# The other coordinator's objects, for every object type: not found for every principal of the first.
OTHER_COORDINATORS_OBJECTS = {
    ("offers.edit_supplier (autre coordonnateur)", "GET"): lambda ids: (
        f"/fournisseurs/{ids['other_supplier']}/modifier"
    ),
    ("invoices.show (autre coordonnateur)", "GET"): lambda ids: f"/factures/{ids['other_invoice']}",
    ("invoices.match (autre coordonnateur)", "POST"): lambda ids: f"/factures/{ids['other_invoice']}/rapprocher",
    ("invoices.split (autre coordonnateur)", "POST"): lambda ids: f"/factures/{ids['other_invoice']}/repartir",
    ("invoices.reject (autre coordonnateur)", "POST"): lambda ids: f"/factures/{ids['other_invoice']}/rejeter",
    ("invoices.issue_titles (autre coordonnateur)", "POST"): lambda ids: f"/factures/{ids['other_invoice']}/titres",
    ("invoices.statements_zip (autre coordonnateur)", "POST"): lambda ids: f"/factures/{ids['other_invoice']}/etats",
    ("invoices.resolve (autre coordonnateur)", "POST"): (
        lambda ids: f"/factures/controles/{ids['other_invoice_check']}"
    ),
    ("invoices.statement (autre coordonnateur)", "GET"): (
        lambda ids: f"/factures/{ids['other_invoice']}/communes/{ids['other_commune']}"
    ),
    ("invoices.titles_export_csv (autre coordonnateur)", "GET"): (
        lambda ids: f"/factures/titres.csv?facture={ids['other_invoice']}"
    ),
    ("invoices.ledger (autre coordonnateur)", "GET"): lambda ids: f"/communes/{ids['other_commune']}/grand-livre",
    ("invoices.record_payment (autre coordonnateur)", "POST"): (
        lambda ids: f"/factures/titres/{ids['other_title']}/encaissement"
    ),
    ("invoices.cancel_title (autre coordonnateur)", "POST"): (
        lambda ids: f"/factures/titres/{ids['other_title']}/annulation"
    ),
    ("invoices.contract (autre coordonnateur)", "GET"): lambda ids: f"/factures/contrats/{ids['other_contract']}",
    ("offers.show (autre coordonnateur)", "GET"): lambda ids: f"/offres/{ids['other_offer']}",
    ("contracts.show (autre coordonnateur)", "GET"): lambda ids: f"/contrats/{ids['other_contract']}",
    ("orders.show (autre coordonnateur)", "GET"): lambda ids: f"/commandes/{ids['other_order']}",
    ("campaigns.board (autre coordonnateur)", "GET"): lambda ids: f"/campagnes/{ids['other_campaign']}",
    ("lots.publish_selection (autre coordonnateur)", "POST"): (
        lambda ids: f"/campagnes/{ids['other_campaign']}/lots/publier"
    ),
    ("lots.show (autre coordonnateur)", "GET"): lambda ids: f"/lots/{ids['other_lot']}",
    ("lots.open_data (autre coordonnateur)", "POST"): lambda ids: f"/lots/{ids['other_lot']}/donnees-essentielles",
    ("contracts.price_type (autre coordonnateur)", "POST"): (
        lambda ids: f"/contrats/{ids['other_contract']}/type-de-prix"
    ),
    ("contracts.nature (autre coordonnateur)", "POST"): lambda ids: f"/contrats/{ids['other_contract']}/nature",
    ("contracts.life (autre coordonnateur)", "GET"): lambda ids: f"/contrats/{ids['other_contract']}/vie",
    ("contracts.execution_report (autre coordonnateur)", "GET"): (
        lambda ids: f"/contrats/{ids['other_contract']}/execution"
    ),
    ("contracts.execution_report_xlsx (autre coordonnateur)", "GET"): (
        lambda ids: f"/contrats/{ids['other_contract']}/execution.xlsx"
    ),
    ("contracts.renewal_terms (autre coordonnateur)", "POST"): (
        lambda ids: f"/contrats/{ids['other_contract']}/reconduction/clause"
    ),
    ("contracts.renewal_decision (autre coordonnateur)", "POST"): (
        lambda ids: f"/contrats/{ids['other_contract']}/reconduction"
    ),
    ("contracts.amendment (autre coordonnateur)", "POST"): (lambda ids: f"/contrats/{ids['other_contract']}/avenants"),
    ("contracts.revision_formula (autre coordonnateur)", "POST"): (
        lambda ids: f"/contrats/{ids['other_contract']}/revision/formule"
    ),
    ("contracts.index_value (autre coordonnateur)", "POST"): (
        lambda ids: f"/contrats/{ids['other_contract']}/revision/indices"
    ),
    ("contracts.index_import (autre coordonnateur)", "POST"): (
        lambda ids: f"/contrats/{ids['other_contract']}/revision/indices/import"
    ),
    ("contracts.compute_revision (autre coordonnateur)", "POST"): (
        lambda ids: f"/contrats/{ids['other_contract']}/revision/calcul"
    ),
    ("suppliers.order (autre coordonnateur)", "GET"): lambda ids: f"/espace-fournisseur/commandes/{ids['other_order']}",
    ("suppliers.acknowledge (autre coordonnateur)", "POST"): (
        lambda ids: f"/espace-fournisseur/commandes/{ids['other_order']}/accuse-reception"
    ),
    ("suppliers.plan (autre coordonnateur)", "POST"): (
        lambda ids: f"/espace-fournisseur/commandes/{ids['other_order']}/date-de-livraison"
    ),
    ("suppliers.declare (autre coordonnateur)", "POST"): (
        lambda ids: f"/espace-fournisseur/lignes/{ids['other_order_line']}/livraison"
    ),
    ("suppliers.contract (autre coordonnateur)", "GET"): lambda ids: (
        f"/espace-fournisseur/marches/{ids['other_contract']}"
    ),
    ("suppliers.accounts (autre coordonnateur)", "GET"): lambda ids: f"/fournisseurs/{ids['other_supplier']}/comptes",
    ("suppliers.invite (autre coordonnateur)", "POST"): (
        lambda ids: f"/fournisseurs/{ids['other_supplier']}/comptes/inviter"
    ),
}


def _not_found_for_whoever_may_use_the_route(key: tuple[str, str], principals) -> dict[str, int]:
    """404 for the principals the route serves; the others are refused by their role first (403)."""
    name, method = key
    expected = ALL_RULES[(name.split(" (")[0], method)][1]
    same_role = {"other_agent": "agent_a", "other_supplier_user": "supplier_a"}
    return {p: 403 if expected.get(same_role.get(p, p.removeprefix("other_"))) == 403 else 404 for p in principals}


OUT_OF_SCOPE.update(
    {
        key: (path_of, _not_found_for_whoever_may_use_the_route(key, FIRST_WORLD))
        for key, path_of in OTHER_COORDINATORS_OBJECTS.items()
    }
)
# The first world's objects, for every object type: not found for the other coordinator's principals.
FIRST_COORDINATORS_OBJECTS = {
    ("offers.analysis_pdf", "POST"): lambda ids: f"/lots/{ids['contract_lot']}/analyse.pdf",
    ("contracts.notification", "POST"): lambda ids: f"/lots/{ids['contract_lot']}/attribution/notification",
    ("contracts.rejections_sent", "POST"): lambda ids: f"/lots/{ids['lot']}/attribution/lettres-de-rejet",
    ("offers.edit_supplier", "GET"): lambda ids: f"/fournisseurs/{ids['supplier']}/modifier",
    ("invoices.show", "GET"): lambda ids: f"/factures/{ids['invoice']}",
    ("invoices.batch_show", "GET"): lambda ids: f"/factures/lots/{ids['invoice_batch']}",
    ("invoices.match", "POST"): lambda ids: f"/factures/{ids['invoice']}/rapprocher",
    ("invoices.split", "POST"): lambda ids: f"/factures/{ids['invoice']}/repartir",
    ("invoices.reject", "POST"): lambda ids: f"/factures/{ids['invoice']}/rejeter",
    ("invoices.issue_titles", "POST"): lambda ids: f"/factures/{ids['invoice']}/titres",
    ("invoices.statements_zip", "POST"): lambda ids: f"/factures/{ids['invoice']}/etats",
    ("invoices.resolve", "POST"): lambda ids: f"/factures/controles/{ids['invoice_check']}",
    ("invoices.statement", "GET"): lambda ids: f"/factures/{ids['invoice']}/communes/{ids['commune_a']}",
    ("invoices.titles_export_csv", "GET"): lambda ids: f"/factures/titres.csv?facture={ids['invoice']}",
    ("invoices.ledger", "GET"): lambda ids: f"/communes/{ids['commune_a']}/grand-livre",
    ("invoices.record_payment", "POST"): lambda ids: f"/factures/titres/{ids['title_a']}/encaissement",
    ("invoices.cancel_title", "POST"): lambda ids: f"/factures/titres/{ids['title_a']}/annulation",
    ("invoices.contract", "GET"): lambda ids: f"/factures/contrats/{ids['contract']}",
    ("offers.show", "GET"): lambda ids: f"/offres/{ids['offer']}",
    ("contracts.life", "GET"): lambda ids: f"/contrats/{ids['contract']}/vie",
    ("contracts.execution_report", "GET"): lambda ids: f"/contrats/{ids['contract']}/execution",
    ("contracts.amendment", "POST"): lambda ids: f"/contrats/{ids['contract']}/avenants",
    ("contracts.show", "GET"): lambda ids: f"/contrats/{ids['contract']}",
    ("orders.show", "GET"): lambda ids: f"/commandes/{ids['order_a']}",
    ("campaigns.board", "GET"): lambda ids: f"/campagnes/{ids['campaign']}",
    ("lots.show", "GET"): lambda ids: f"/lots/{ids['lot']}",
    ("suppliers.order", "GET"): lambda ids: f"/espace-fournisseur/commandes/{ids['order_a']}",
    ("suppliers.acknowledge", "POST"): lambda ids: f"/espace-fournisseur/commandes/{ids['order_a']}/accuse-reception",
    ("suppliers.declare", "POST"): lambda ids: f"/espace-fournisseur/lignes/{ids['order_line_a']}/livraison",
    ("suppliers.contract", "GET"): lambda ids: f"/espace-fournisseur/marches/{ids['contract']}",
    ("suppliers.accounts", "GET"): lambda ids: f"/fournisseurs/{ids['supplier']}/comptes",
    ("suppliers.invite", "POST"): lambda ids: f"/fournisseurs/{ids['supplier']}/comptes/inviter",
}


def routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_rule(app):
    assert routes(app) - set(ALL_RULES) == set(), "route sans règle d'accès dans RULES"
    assert set(ALL_RULES) - routes(app) == set(), "règle pour une route qui n'existe plus"


def _request(client, method: str, path: str):
    if method == "GET":
        return client.get(path)
    page = client.get("/")
    if page.status_code != 200:  # anonymous: the login page carries a token too
        page = client.get("/connexion")
    token = csrf_token_of(page.get_data(as_text=True))
    return client.post(path, data={"csrf_token": token})


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_access_matrix(principal, client_as, world):
    client = client_as(principal)
    failures = []
    for (endpoint, method), (path_of, expected) in {**ALL_RULES, **OUT_OF_SCOPE}.items():
        if principal not in expected:
            continue
        path = path_of(world.ids)
        response = _request(client, method, path)
        want = expected[principal]
        if want == LOGIN:
            ok = response.status_code == 302 and "/connexion" in response.location
        else:
            ok = response.status_code == want
        if not ok:
            failures.append(f"{method} {path} ({endpoint}) : {response.status_code}, attendu {want}")
        if endpoint == "auth.logout" and response.status_code == 302 and principal != "anonymous":
            client = client_as(principal)  # logged out: log in again for the next routes
    assert failures == []


@pytest.mark.parametrize("principal", ["anonymous", "agent_a", "admin"])
def test_every_post_without_a_csrf_token_is_refused(app, principal, client_as, world):
    client = client_as(principal)
    posts = sorted(endpoint_method for endpoint_method in ALL_RULES if endpoint_method[1] == "POST")
    assert {e for e, m in posts} == {e for e, m in routes(app) if m == "POST"}
    for endpoint, method in posts:
        path = ALL_RULES[(endpoint, method)][0](world.ids)
        response = client.post(path, data={"email": "x@y.fr", "password": "x"})
        assert response.status_code == 400, f"{path} accepté sans jeton CSRF"
        assert "jeton de sécurité" in response.get_data(as_text=True)


@pytest.mark.parametrize("principal", OTHER_PRINCIPALS)
def test_the_other_coordinators_principals_reach_nothing_of_the_first(principal, client_as, world):
    client = client_as(principal)
    failures = []
    for (endpoint, method), path_of in FIRST_COORDINATORS_OBJECTS.items():
        path = path_of(world.ids)
        response = _request(client, method, path)
        want = _not_found_for_whoever_may_use_the_route((endpoint, method), [principal])[principal]
        if response.status_code != want:
            failures.append(f"{method} {path} ({endpoint}) : {response.status_code}, attendu {want}")
    assert failures == []
