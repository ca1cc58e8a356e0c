"""Hostile files fed to every import: broken workbooks, CSV and XML.

Each import either succeeds or refuses with a ServiceError (ImportRejected, InvoiceRejected...),
never another exception; after a refusal no table has gained or lost a row.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import MergedCell
from sqlalchemy import func, select

from groupement.campaigns.needs_upload import preview_upload
from groupement.catalog.items import import_catalog
from groupement.catalog.reference_data import catalog_paths
from groupement.catalog.rules import CATALOG_COLUMNS
from groupement.core.errors import ServiceError
from groupement.extensions import db
from groupement.invoices.importing import import_invoice
from groupement.tenders.offers import import_offer
from tests import factories
from tests.integration.test_needs_upload import exported, setting  # noqa: F401  (fixture)
from tests.integration.test_offers import priced_dqe, tender  # noqa: F401  (fixture)

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
XML_SAMPLES = sorted(SAMPLES.glob("*.xml"))

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- the hostile files -------------------------------------------------------------------------

CELL_VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40),
    st.booleans(),
    st.datetimes(),
    st.sampled_from(
        [
            "=1/0",
            "=A1",
            "=SUM(A1:A99)",
            "=NA()",
            '=HYPERLINK("http://x")',
            "=cmd|' /C calc'!A0",
            "@SUM(1)",
            "1e308",
            "-1",
            "0,5",
            "1 000",
            "NaN",
            "∞",
            " ",
            "3\n4",
            "12€",
            "-0",
            "1" * 400,
        ],
    ),
)
ZIP_MEMBERS = [
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/worksheets/sheet1.xml",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
    "docProps/app.xml",
]
XML_NAMES = [
    "Invoice",
    "CrossIndustryInvoice",
    "ID",
    "IssueDate",
    "LineItem",
    "InvoiceLine",
    "TaxTotal",
    "LegalMonetaryTotal",
    "PayableAmount",
    "Amount",
    "cbc:ID",
    "ram:TypeCode",
    "x",
]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# zipfile itself fails (IndexError) on a member name that is empty before its first NUL ("\x00…"):
# no archive can carry such a name to the application.
MEMBER_NAMES = st.text(min_size=1, max_size=20).filter(lambda name: name.split("\x00", 1)[0] != "")


@st.composite
def workbooks(draw, valid: bytes) -> bytes:
    """Random bytes, a truncated valid workbook, a zip of random members, or random cell values."""
    kind = draw(st.sampled_from(["bytes", "truncated", "zip", "cells", "cells"]))
    if kind == "bytes":
        return draw(st.one_of(st.binary(max_size=2000), st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b)))
    if kind == "truncated":
        return valid[: draw(st.integers(min_value=0, max_value=len(valid) - 1))]
    if kind == "zip":
        names = draw(st.lists(st.one_of(st.sampled_from(ZIP_MEMBERS), MEMBER_NAMES), max_size=6, unique=True))
        contents = st.one_of(
            st.binary(max_size=300), st.text(max_size=300).map(str.encode), st.just(b"<?xml version='1.0'?><workbook/>")
        )
        return _zip({name: draw(contents) for name in names})
    workbook = openpyxl.load_workbook(io.BytesIO(valid))
    sheet = workbook.worksheets[0]
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        row, column = draw(st.integers(1, 30)), draw(st.integers(1, 12))
        value = draw(CELL_VALUES)
        cell = sheet.cell(row, column)
        if not isinstance(cell, MergedCell):
            cell.value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@st.composite
def csv_files(draw, valid: bytes) -> bytes:
    kind = draw(st.sampled_from(["bytes", "truncated", "rows", "rows"]))
    if kind == "bytes":
        return draw(st.binary(max_size=2000))
    if kind == "truncated":
        return valid[: draw(st.integers(min_value=0, max_value=len(valid) - 1))]
    separator = draw(st.sampled_from([";", ",", "\t"]))
    field = st.one_of(
        st.text(max_size=30),
        st.sampled_from(["informatique", "INF-X", "30213100-6", "12,50", "-1", "1e400", "=1+1", '"', "\x00", "unité"]),
    )
    header = list(CATALOG_COLUMNS) if draw(st.booleans()) else draw(st.lists(st.text(max_size=10), max_size=8))
    rows = draw(st.lists(st.lists(field, max_size=len(CATALOG_COLUMNS) + 2), max_size=8))
    text = "\n".join(separator.join(cells) for cells in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return text.encode(encoding, errors="replace")


@st.composite
def xml_files(draw) -> bytes:
    sample = draw(st.sampled_from(XML_SAMPLES)).read_bytes()
    kind = draw(st.sampled_from(["bytes", "truncated", "elements", "doctype", "altered"]))
    if kind == "bytes":
        return draw(st.one_of(st.binary(max_size=2000), st.binary(max_size=300).map(lambda b: b"<?xml" + b)))
    if kind == "truncated":
        return sample[: draw(st.integers(min_value=0, max_value=len(sample) - 1))]
    if kind == "doctype":
        entity = draw(
            st.sampled_from(
                [
                    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
                    b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
                    b'<!DOCTYPE x SYSTEM "http://127.0.0.1:1/evil.dtd">',
                ]
            )
        )
        head, _, body = sample.partition(b"?>")
        return head + b"?>" + entity + body if body else entity + sample

    if kind == "altered":
        text = sample.decode("utf-8")
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start, min(len(text), start + 40)))
        return (text[:start] + draw(st.text(max_size=20)) + text[end:]).encode("utf-8", errors="replace")

    def element(depth: int) -> str:
        name = draw(st.sampled_from(XML_NAMES)).split(":")[-1]
        if depth > 3 or draw(st.booleans()):
            value = draw(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=15))
            return f"<{name}>{value.replace('&', '&amp;').replace('<', '&lt;')}</{name}>"
        children = "".join(element(depth + 1) for _ in range(draw(st.integers(0, 4))))
        return f"<{name}>{children}</{name}>"

    return ("<?xml version='1.0' encoding='UTF-8'?>" + element(0)).encode("utf-8")


# --- the checks --------------------------------------------------------------------------------


def _row_counts() -> dict[str, int]:
    db.session.rollback()  # what a request ending in an error leaves: its transaction rolled back
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }


def _refused_or_done(call) -> None:
    """The call succeeds, or refuses with a ServiceError and leaves every table as it was."""
    before = _row_counts()
    try:
        call()
    except ServiceError:
        assert _row_counts() == before, "un import refusé a modifié la base"
    finally:
        db.session.rollback()


def test_catalog_import_survives_broken_csv(database):
    valid = catalog_paths()[0].read_bytes()

    @FUZZ
    @given(content=csv_files(valid))
    def check(content):
        _refused_or_done(lambda: import_catalog([("catalogue.csv", content)], actor_id=None))

    check()


def test_needs_preview_survives_broken_workbooks(database, setting):  # noqa: F811
    valid = exported(setting)

    @FUZZ
    @given(content=workbooks(valid))
    def check(content):
        _refused_or_done(lambda: preview_upload(setting.agent.actor, setting.campaign.id, "besoins.xlsx", content))

    check()


def test_offer_import_survives_broken_workbooks(database, tender):  # noqa: F811
    valid = priced_dqe(tender)

    @FUZZ
    @given(content=workbooks(valid))
    def check(content):
        supplier = tender.suppliers[0].id
        _refused_or_done(lambda: import_offer(tender.coordinator, tender.lot.id, supplier, "offre.xlsx", content))

    check()


def test_invoice_import_survives_broken_xml(database):
    actor = factories.cli_actor()

    @FUZZ
    @given(content=xml_files())
    def check(content):
        _refused_or_done(lambda: import_invoice(actor, "facture.xml", content))

    check()


def test_invoice_import_survives_broken_spreadsheets(database):
    valid = _invoice_workbook()
    actor = factories.cli_actor()

    @FUZZ
    @given(content=workbooks(valid))
    def check(content):
        _refused_or_done(lambda: import_invoice(actor, "facture.xlsx", content))

    check()


def _invoice_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Numéro", "Date", "Fournisseur", "Désignation", "Quantité", "Prix unitaire HT", "TVA"])
    sheet.append(["F-1", "28/11/2026", "Bureautique des Alpes", "Ramette", 10, 4.2, 20])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cli_refused_or_done(app, arguments: list[str]) -> None:
    before = _row_counts()
    result = app.test_cli_runner().invoke(args=arguments)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    if result.exit_code != 0:
        assert "Traceback" not in result.output
        assert _row_counts() == before, "un import refusé a modifié la base"


def test_the_catalog_import_command_survives_broken_csv(app, database, tmp_path):
    valid = catalog_paths()[0].read_bytes()
    path = tmp_path / "catalogue.csv"

    @settings(FUZZ, max_examples=25)
    @given(content=csv_files(valid))
    def check(content):
        path.write_bytes(content)
        _cli_refused_or_done(app, ["catalog", "import", str(path)])

    check()


def test_the_invoice_import_command_survives_broken_xml(app, database, tmp_path):
    path = tmp_path / "facture.xml"
    factories.coordinator()  # the command acts for the only coordinator
    database.session.commit()

    @settings(FUZZ, max_examples=25)
    @given(content=xml_files())
    def check(content):
        path.write_bytes(content)
        _cli_refused_or_done(app, ["invoice", "import", str(path)])

    check()
