"""Every route of the url_map × every principal, with the status each must get.

A route added without a line in RULES fails test_every_route_has_a_rule: access is decided
when the route is written, not discovered later.
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token_of
from tests.e2e.conftest import PRINCIPALS

COMMUNE_USERS = {"agent_a", "agent_b", "signatory_a"}
COORDINATION = {"coordinator", "accountant", "admin"}
EVERYONE = COMMUNE_USERS | COORDINATION
LOGIN = "login"  # anonymous visitors are sent to the login page


def statuses(allowed: set[str], ok: int = 200, **special: int) -> dict[str, int | str]:
    expected: dict[str, int | str] = {"anonymous": LOGIN}
    for principal in EVERYONE:
        expected[principal] = ok if principal in allowed else 403
    expected.update(special)
    return expected


# (endpoint, method): (path builder from world ids, expected status per principal)
RULES = {
    ("auth.login", "GET"): (lambda ids: "/connexion", {"anonymous": 200, **{p: 302 for p in EVERYONE}}),
    ("auth.logout", "POST"): (lambda ids: "/deconnexion", statuses(EVERYONE, ok=302)),
    ("dashboard.home", "GET"): (lambda ids: "/", statuses(EVERYONE)),
    ("catalog.index", "GET"): (lambda ids: "/catalogue", statuses(EVERYONE)),
    ("catalog.export", "GET"): (lambda ids: "/catalogue/export.xlsx", statuses(EVERYONE)),
    ("organisations.index", "GET"): (lambda ids: "/organisations", statuses(EVERYONE)),
    ("organisations.export", "GET"): (lambda ids: "/organisations/export.xlsx", statuses(EVERYONE)),
    ("organisations.show", "GET"): (
        lambda ids: f"/organisations/{ids['commune_a']}",
        statuses(EVERYONE, agent_b=404),
    ),
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
    # Lots: the coordinator builds them; accountant and admin read them and download the tender files.
    ("lots.index", "GET"): (lambda ids: f"/campagnes/{ids['lots_campaign']}/lots", statuses(COORDINATION)),
    ("lots.show", "GET"): (lambda ids: f"/lots/{ids['lot']}", statuses(COORDINATION)),
    ("lots.export_dqe", "GET"): (lambda ids: f"/lots/{ids['lot']}/dqe.xlsx", statuses(COORDINATION)),
    ("lots.export_bpu", "GET"): (lambda ids: f"/lots/{ids['lot']}/bpu.xlsx", statuses(COORDINATION)),
    ("lots.export_recap", "GET"): (lambda ids: f"/lots/{ids['lot']}/recapitulatif.xlsx", statuses(COORDINATION)),
    ("lots.export_all", "GET"): (lambda ids: f"/campagnes/{ids['lots_campaign']}/lots.xlsx", statuses(COORDINATION)),
    ("lots.export_zip", "GET"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/dossier.zip",
        statuses(COORDINATION),
    ),
    ("lots.export_annex", "GET"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/annexes/{ids['commune_a']}.xlsx",
        statuses(COORDINATION),
    ),
    ("needs.grid", "GET"): (lambda ids: f"/campagnes/{ids['campaign']}/besoins", statuses(COMMUNE_USERS)),
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
    ("admin.users", "GET"): (lambda ids: "/admin/utilisateurs", statuses({"admin"})),
    ("admin.new_user", "GET"): (lambda ids: "/admin/utilisateurs/nouveau", statuses({"admin"})),
}
# POSTs that are also listed with a valid token and an empty form (the view's own answer).
POST_RULES = {
    ("auth.login", "POST"): (lambda ids: "/connexion", {"anonymous": 200, **{p: 302 for p in EVERYONE}}),
    # Commune steps answer a refused step with a message and a redirect (302), other roles 403.
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
    # Coordinator actions: an empty form is refused with a message and a redirect to the board
    # (open: the campaign is already open; close: not confirmed; reopen: no reason); remind
    # reminds communes A and B. Other roles 403. The new campaign form comes back with errors (422).
    ("campaigns.new", "POST"): (lambda ids: "/campagnes/nouvelle", statuses({"coordinator"}, ok=422)),
    ("campaigns.open", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/ouvrir",
        statuses({"coordinator"}, ok=302),
    ),
    ("campaigns.close", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/cloturer",
        statuses({"coordinator"}, ok=302),
    ),
    ("campaigns.remind", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/relancer",
        statuses({"coordinator"}, ok=302),
    ),
    ("campaigns.reopen", "POST"): (
        lambda ids: f"/campagnes/{ids['campaign']}/communes/{ids['commune_a']}/rouvrir",
        statuses({"coordinator"}, ok=302),
    ),
    # Lots: an empty form is refused with a message and a redirect (aggregate and publish: not
    # confirmed; move, merge: nothing chosen; rename, exclude: no title or reason; parameters:
    # no duration); include brings back a line that was not excluded. Other roles 403.
    ("lots.aggregate", "POST"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/agreger",
        statuses({"coordinator"}, ok=302),
    ),
    ("lots.move", "POST"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/lots/deplacer",
        statuses({"coordinator"}, ok=302),
    ),
    ("lots.merge", "POST"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/lots/fusionner",
        statuses({"coordinator"}, ok=302),
    ),
    ("lots.rename", "POST"): (lambda ids: f"/lots/{ids['lot']}/renommer", statuses({"coordinator"}, ok=302)),
    ("lots.parameters", "POST"): (lambda ids: f"/lots/{ids['lot']}/parametres", statuses({"coordinator"}, ok=302)),
    ("lots.publish", "POST"): (lambda ids: f"/lots/{ids['lot']}/publier", statuses({"coordinator"}, ok=302)),
    ("lots.exclude", "POST"): (lambda ids: f"/lignes/{ids['lot_line']}/exclure", statuses({"coordinator"}, ok=302)),
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
    ("admin.new_user", "POST"): (lambda ids: "/admin/utilisateurs/nouveau", statuses({"admin"})),
}
ALL_RULES = {**RULES, **POST_RULES}
# Object-level checks: ids of another commune are not found, whatever the route.
OUT_OF_SCOPE = {
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
    ("lots.export_zip (campagne inexistante)", "GET"): (
        lambda ids: "/campagnes/999999/dossier.zip",
        {"coordinator": 404},
    ),
    ("lots.export_annex (commune sans besoin dans les lots)", "GET"): (
        lambda ids: f"/campagnes/{ids['lots_campaign']}/annexes/{ids['capi']}.xlsx",
        {"coordinator": 404, "accountant": 404},
    ),
    ("lots.include (ligne inexistante)", "POST"): (lambda ids: "/lignes/999999/reintegrer", {"coordinator": 404}),
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
