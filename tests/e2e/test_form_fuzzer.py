"""The form fuzzer: every POST route × every principal allowed on it, hostile values in each field
of the form the pages show; every GET route with ids out of range and odd query strings.

Asserted: no 500 ever; a refusal (4xx, or an error flash) writes nothing (row counts of every table
unchanged); a NUL byte is a 400 in French; an out-of-range id is a 404. The figures of the run
(routes, requests, 500s) are written to build/reliability-fuzzer.md.

Values are sampled, not exhausted: each field gets the hostile values of its kind (a number, a
choice, a date, a check box, a text) and two of the other kinds in rotation; fields of one family
(prix-1, prix-2) are fuzzed through the first. The same requests at every run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select

from groupement.extensions import db
from tests.conftest import csrf_token_of
from tests.e2e.test_access_matrix import ALL_RULES, LOGIN, routes

ROOT = Path(__file__).resolve().parents[2]
# Each run writes its figures under build/ (not versioned), so that parallel branches do not all
# rewrite a tracked file; `make reliability-report` copies them to docs/ when the README is updated.
REPORT = ROOT / "build" / "reliability-fuzzer.md"
DB_INT_MAX = 2_147_483_647
NUL = "\x00"

# Hostile values by kind of field: numbers (inputmode decimal/numeric, type number), choices
# (select, radio, hidden: ids mostly), dates, check boxes, free text. Every field also gets a
# couple of values of the other kinds (OTHERS, rotated).
NUMBERS = ["1e30", "9" * 30, "1e999999", "0,0000001", "-1", "²", "１２", "NaN", str(DB_INT_MAX + 1), "0"]
CHOICES = ["", "-1", str(DB_INT_MAX + 1), str(10**30), "²", "１", "nouveau"]
DATES = ["0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01T25:61", "１２/０１/２０２６"]
CHECKS = ["", "x" * 10_000]
TEXTS = ["x" * 10_000, "a" + NUL + "b", "   ", "🙂" * 300, "=1+1 <script>%_"]
OTHERS = [*NUMBERS, *CHOICES, *DATES, *TEXTS, "-Infinity", "1 000 000 000 000", "1.5", "0", "-0"]
OTHERS_PER_FIELD = 1
HOSTILE = {*NUMBERS, *CHOICES, *DATES, *CHECKS, *TEXTS}
DOWNLOADS = (".xlsx", ".pdf", ".zip", ".csv", ".json", ".xml")
BAD_IDS = ("0", "-1", str(DB_INT_MAX + 1), str(10**30))
ODD_QUERIES = [
    {"q": "%"},
    {"q": "_"},
    {"q": "x" * 10_000},
    {"page": "9" * 30},
    {"page": "-1"},
    {"page": "²"},
    {"commune": str(DB_INT_MAX + 1)},
    {"commune": "１"},
    {"facture": str(10**30)},
    {"famille": "²", "statut": "inconnu"},
    {"q": ["a", "b"], "famille[]": "x"},
    {"next": "//ailleurs.example/"},
]
NUL_QUERIES = [{"q": "a" + NUL}, {"famille": NUL}, {NUL: "1"}]


# --- the forms of the pages --------------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # text, hidden, checkbox, radio, select, textarea, file, submit, number, date...
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False
    numeric: bool = False


@dataclass
class PageForm:
    action: str
    fields: list[FormField]

    def baseline(self) -> dict[str, list[str]]:
        """What a person submitting the form as shown would send (the first button only)."""
        data: dict[str, list[str]] = {}
        button = False
        for f in self.fields:
            if f.kind in ("checkbox", "radio"):
                if f.checked or (f.kind == "checkbox" and f.name.startswith("confirm")):
                    data.setdefault(f.name, []).append(f.value or "y")
            elif f.kind == "submit":
                if not button:
                    data[f.name] = [f.value]
                    button = True
            elif f.kind == "select":
                data[f.name] = [f.value or (f.options[0] if f.options else "")]
            elif f.kind != "file":
                data.setdefault(f.name, []).append(f.value)
        return data

    def names(self) -> list[str]:
        seen: dict[str, FormField] = {}
        for f in self.fields:
            seen.setdefault(f.name, f)
        return [name for name, f in seen.items() if name != "csrf_token"]

    def kind_of(self, name: str) -> str:
        return next(f.kind for f in self.fields if f.name == name)

    def hostile_values(self, name: str) -> list[str]:
        f = next(f for f in self.fields if f.name == name)
        if f.numeric:
            return NUMBERS
        if f.kind in ("select", "radio", "hidden"):
            return CHOICES
        if f.kind.startswith("date"):
            return DATES
        if f.kind == "checkbox":
            return CHECKS
        return TEXTS


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = PageForm(urlsplit(a.get("action", "")).path, [])
            self.forms.append(self._form)
        if self._form is None or not a.get("name") and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            numeric = kind == "number" or a.get("inputmode") in ("decimal", "numeric")
            self._form.fields.append(
                FormField(a["name"], kind, a.get("value", ""), checked="checked" in a, numeric=numeric)
            )
        elif tag == "button":
            self._form.fields.append(FormField(a["name"], "submit", a.get("value", "")))
        elif tag == "select":
            self._select = FormField(a["name"], "select")
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.value = a.get("value", "")
        elif tag == "textarea":
            self._textarea = FormField(a["name"], "textarea")
            self._form.fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(html: str, page_path: str) -> list[PageForm]:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        form.action = form.action or page_path
    return parser.forms


# --- the state and the checks ------------------------------------------------------------------


def row_counts(app) -> tuple[int, ...]:
    """The number of rows of every table, in one query."""
    tables = db.metadata.sorted_tables
    with app.app_context():
        counts = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
        return tuple(db.session.execute(counts).one())


def popped_flashes(client) -> list[tuple[str, str]]:
    """The flashes the request left (removed, so that the session cookie does not grow)."""
    with client.session_transaction() as session:
        return list(session.pop("_flashes", []))


@dataclass
class Tally:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    partial_writes: list[str] = field(default_factory=list)
    wrong_statuses: list[str] = field(default_factory=list)
    refusals: int = 0
    post_routes: set = field(default_factory=set)
    get_routes: set = field(default_factory=set)
    combinations: set = field(default_factory=set)


def allowed(expected: dict, principal: str) -> bool:
    return principal in expected and expected[principal] not in (403, 404, LOGIN)


def _principals_of(expected: dict) -> list[str]:
    return sorted(p for p in expected if allowed(expected, p))


def _values(form: PageForm, name: str, offset: int) -> list[str]:
    """The field's own kind of hostile values, and OTHERS_PER_FIELD others rotating from `offset`."""
    others = [OTHERS[(offset + i) % len(OTHERS)] for i in range(OTHERS_PER_FIELD)]
    return list(dict.fromkeys([*form.hostile_values(name), *others]))


def _family(name: str) -> str:
    """prix-12 and prix-13, q-4 and q-5: one family of fields, fuzzed through its first member."""
    return re.sub(r"[0-9]+", "N", name)


def _upload(name: str) -> tuple[BytesIO, str]:
    return BytesIO(b"PK\x03\x04 pas un classeur"), name


def _variants(form: PageForm, key: str) -> list[tuple[str, dict]]:
    """(description, data) of the hostile submissions of one form."""
    base = form.baseline()
    names = form.names()
    files = [n for n in names if form.kind_of(n) == "file"]
    variants: list[tuple[str, dict]] = [("tel quel", base), ("champs absents", {})]
    offset = sum(map(ord, key))
    families = set()
    for index, name in enumerate(names):
        if _family(name) in families:
            continue
        families.add(_family(name))
        if form.kind_of(name) == "file":
            for filename in ("besoins.xlsx", "x" * 300 + ".xlsx", "../../etc/passwd.xlsx"):
                variants.append((f"{name}={filename[:20]}", {**base, name: _upload(filename)}))
            continue
        for value in _values(form, name, offset + index * OTHERS_PER_FIELD):
            variants.append((f"{name}={value[:20]!r}", {**base, name: [value]}))
        variants.append((f"{name} en double", {**base, name: ["1", "2147483648"]}))
    if names:
        every = {n: ["1e999999"] for n in names if n not in files}
        variants.append(("tous les champs à 1e999999", every))
        variants.append(("un champ inconnu", {**base, "champ-inconnu[]": [str(10**30)]}))
    return variants


def _post(client, path: str, data: dict, token: str):
    payload = {k: v for k, v in data.items()}
    payload["csrf_token"] = token
    return client.post(path, data=payload, content_type="multipart/form-data")


@dataclass
class Crash:
    """What a 500 is under TESTING (exceptions propagate to the test client)."""

    error: BaseException
    status_code: int = 500

    def get_data(self, as_text: bool = False) -> str:
        return repr(self.error)


def _sent(request, *args, **kwargs):
    try:
        return request(*args, **kwargs)
    except Exception as error:  # noqa: BLE001  (any exception is the 500 the fuzzer looks for)
        return Crash(error)


def _check(tally: Tally, label: str, response, before, app, client) -> None:
    tally.requests += 1
    flashes = popped_flashes(client)
    if response.status_code >= 500:
        detail = f" {response.error!r:.160}" if isinstance(response, Crash) else ""
        tally.server_errors.append(f"{label} : {response.status_code}{detail}")
        return
    refused = response.status_code >= 400 or any(category == "error" for category, _ in flashes)
    if refused:
        tally.refusals += 1
        if row_counts(app) != before:
            tally.partial_writes.append(f"{label} : {response.status_code}, des lignes ont changé")


# --- the test ----------------------------------------------------------------------------------


def _page_forms(client, principal: str, world) -> dict[str, PageForm]:
    """The POST forms of every page the principal may open, by action path."""
    found: dict[str, PageForm] = {}
    for (_endpoint, method), (path_of, expected) in sorted(ALL_RULES.items()):
        if method != "GET" or expected.get(principal) != 200:
            continue
        path = path_of(world.ids)
        if urlsplit(path).path.endswith(DOWNLOADS):
            continue  # files carry no form
        response = client.get(path)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        for form in forms_of(response.get_data(as_text=True), path):
            found.setdefault(form.action, form)
    popped_flashes(client)
    return found


def _token(client, principal: str) -> str:
    token = csrf_token_of(client.get("/connexion" if principal == "anonymous" else "/").get_data(True))
    popped_flashes(client)
    return token


# Routes whose plain submission changes what the others work on: fuzzed last.
LAST = (
    "lots.aggregate",
    "lots.merge",
    "lots.move",
    "lots.publish",
    "contracts.award",
    "contracts.unsuccessful",
    "auth.logout",  # the principal's very last request
)


def _fuzz_posts(app, client_as, world, tally: Tally) -> None:
    posts = sorted(
        (key for key in ALL_RULES if key[1] == "POST"),
        key=lambda key: (key[0] in LAST, LAST.index(key[0]) if key[0] in LAST else 0, key),
    )
    principals = sorted({p for key in posts for p in _principals_of(ALL_RULES[key][1])})
    for principal in principals:
        client = client_as(principal)
        forms = _page_forms(client, principal, world)
        token = _token(client, principal)  # one per session, valid for every form
        for endpoint, method in posts:
            path_of, expected = ALL_RULES[(endpoint, method)]
            if not allowed(expected, principal):
                continue
            path = path_of(world.ids)
            form = forms.get(path) or PageForm(path, [FormField("confirm", "checkbox", "y")])
            key = f"{endpoint}:{principal}"
            tally.post_routes.add(endpoint)
            tally.combinations.add((endpoint, principal))
            for description, data in _variants(form, key):
                before = row_counts(app)
                response = _sent(_post, client, path, data, token)
                _check(tally, f"POST {path} ({principal}, {description})", response, before, app, client)


def _with_ids(app, method: str, path: str, bad: str) -> list[str]:
    """`path` with each of its integer parts replaced by `bad`, one at a time."""
    adapter = app.url_map.bind("localhost")
    split = urlsplit(path)
    rule, args = adapter.match(split.path, method=method, return_rule=True)
    variants = []
    for name, converter in rule._converters.items():
        if type(converter).__name__ != "DatabaseIdConverter":
            continue
        built = re.sub(
            r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>",
            lambda m, name=name: bad if m.group(1) == name else str(args[m.group(1)]),
            rule.rule,
        )
        variants.append(built + (f"?{split.query}" if split.query else ""))
    return variants


def _fuzz_gets(app, client_as, world, tally: Tally) -> None:
    clients = {}
    for (endpoint, method), (path_of, expected) in sorted(ALL_RULES.items()):
        principals = _principals_of(expected)
        if not principals:
            continue
        principal = principals[0]
        client = clients.get(principal) or clients.setdefault(principal, client_as(principal))
        path = path_of(world.ids)
        if method == "GET":
            tally.get_routes.add(endpoint)
        token = _token(client, principal)
        rotation = sum(map(ord, endpoint))
        for bad in (BAD_IDS[rotation % 4], BAD_IDS[(rotation + 1) % 4]):  # two per route, all four in all
            for wrong in _with_ids(app, method, path, bad):
                before = row_counts(app)
                if method == "GET":
                    response = _sent(client.get, wrong)
                else:
                    response = _sent(client.post, wrong, data={"csrf_token": token})
                label = f"{method} {wrong} ({principal})"
                _check(tally, label, response, before, app, client)
                if response.status_code not in (404, 405):  # 405: a rule of another method matched
                    tally.wrong_statuses.append(f"{label} : {response.status_code}, attendu 404")
        if method != "GET":
            continue
        queries = [ODD_QUERIES[(rotation + i) % len(ODD_QUERIES)] for i in range(2)]
        for query in queries:
            before = row_counts(app)
            response = _sent(client.get, path.split("?")[0], query_string=query)
            _check(tally, f"GET {path} {query!r:.60} ({principal})", response, before, app, client)
        nul = NUL_QUERIES[rotation % len(NUL_QUERIES)]
        before = row_counts(app)
        response = _sent(client.get, path.split("?")[0], query_string=nul)
        _check(tally, f"GET {path} {nul!r} ({principal})", response, before, app, client)
        if response.status_code != 400 or "octet nul" not in response.get_data(as_text=True):
            tally.wrong_statuses.append(f"GET {path} {nul!r} : {response.status_code}, attendu 400 en français")


def test_no_hostile_value_in_any_form_or_url_gives_a_500_or_a_partial_write(app, client_as, world):
    assert {e for e, m in ALL_RULES} >= {e for e, m in routes(app)}
    tally = Tally()
    _fuzz_gets(app, client_as, world, tally)  # first: on the world as built
    _fuzz_posts(app, client_as, world, tally)
    _write_report(tally)
    assert tally.server_errors == []
    assert tally.partial_writes == []
    assert tally.wrong_statuses == []
    assert tally.requests > 1000 and tally.refusals > 500


def _write_report(tally: Tally) -> None:
    routes_fuzzed = len(tally.post_routes) + len(tally.get_routes)
    text = (
        "<!-- Écrit par tests/e2e/test_form_fuzzer.py dans build/, copié ici par "
        "`make reliability-report` : ne pas modifier à la main. -->\n"
        "- **Fuzzer de formulaires et d'adresses** (`tests/e2e/test_form_fuzzer.py`) : "
        f"{len(tally.post_routes)} routes d'envoi de formulaire × chaque profil autorisé "
        f"({len(tally.combinations)} couples route × profil), chaque champ du formulaire affiché par "
        "les pages reçoit des valeurs hostiles (1e30, trente 9, 1e999999, 0,0000001, négatifs, NaN, "
        "infini, « ² », chiffres pleine chasse, octet nul, 10 000 caractères, dates impossibles, "
        "champs absents ou doublés) ; "
        f"{len(tally.get_routes)} routes de consultation avec des identifiants hors limites "
        "(0, -1, 2147483648, 10^30) et des paramètres étranges (octet nul, %, entiers immenses, "
        f"tableaux). {routes_fuzzed} routes sur {len(ALL_RULES)}, **{tally.requests} requêtes envoyées**, "
        f"{tally.refusals} refus sans aucune écriture partielle, "
        f"**{len(tally.server_errors)} erreur 500**.\n"
    )
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")


def test_the_fuzzer_notices_a_crash_and_a_write_that_a_refusal_left(app, client):
    """The checks above can fail: a refusal after which a table has one row more, an exception."""
    tally = Tally()
    refused = type("Refused", (), {"status_code": 422})()
    one_row_less = tuple(count - 1 if index == 0 else count for index, count in enumerate(row_counts(app)))
    _check(tally, "refus", refused, one_row_less, app, client)
    _check(tally, "exception", _sent(lambda: 1 / 0), row_counts(app), app, client)
    assert tally.partial_writes == ["refus : 422, des lignes ont changé"]
    assert tally.server_errors == ["exception : 500 ZeroDivisionError('division by zero')"]
    assert tally.requests == 2
