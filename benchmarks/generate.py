"""Seeded data sets for the benchmarks: a SQLite database loaded with SQLAlchemy core inserts
(never ORM objects one by one) and every commune's filled needs workbook.

Each size is generated once into benchmarks/.data/<size>-<seed>-v<VERSION>/ and reused by every
scenario subprocess (each copies the database first, so scenarios never see each other's writes).

The data set holds two campaigns on the same catalog:
- "2025" CLOSED, every commune's submission VALIDATED with ~20 % of its cells non-zero
  (aggregation, exports; also the « Quantité N-1 » of the open campaign);
- "2026" OPEN, no submission yet: the needs import fills it from the .xlsx files.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent
DATA_ROOT = Path(os.environ.get("BENCH_DATA_DIR", ROOT / ".data"))
# 7: the grid order index on SQLite (migration 0036); 6: lots, organisations and users gained
# search_key (migration 0033); 5: M's import loads 100 of its 200 files
VERSION = 7
SEED = 20261128
DENSITY = 0.20


@dataclass(frozen=True)
class Size:
    name: str
    communes: int
    items: int
    invoice_lines: int
    invoice_communes: int
    import_communes: int  # communes whose file the import scenario loads (all of them at S)


SIZES = {
    "S": Size("S", 22, 300, 200, 22, 22),
    # M and L: the import scenario loads a sample of 100 files (of 2 000 and 5 000 rows) to stay
    # within the time budget of `make bench` (its four variants read every file it loads; at M all
    # 200 files took 3 min of the run); every other scenario uses the whole data set.
    "M": Size("M", 200, 2_000, 5_000, 200, 100),
    "L": Size("L", 1_000, 5_000, 50_000, 1_000, 100),
}

# Scenario 5 (HTTP, benchmarks/http.py): one commune's grid of 5 000 items among 22 communes; no
# invoices, no workbooks. Kept out of SIZES, so `--sizes` and the growth exponent never pick it.
HTTP_SIZE = Size("H", 22, 5_000, 0, 0, 0)

FAMILY_CPV = {
    "informatique": ["30213100", "30232110", "32420000", "30237000", "48000000"],
    "fournitures": ["30197630", "30125100", "30192000", "30199230"],
    "vehicules": ["34136000", "34110000", "34144900", "34400000"],
}
FAMILY_LABEL = {"informatique": "Informatique", "fournitures": "Fournitures", "vehicules": "Véhicules"}
UNITS = ["unité", "boîte", "ramette", "lot", "paquet"]


def data_dir(size: str, seed: int = SEED) -> Path:
    return DATA_ROOT / f"{size}-{seed}-v{VERSION}"


def ensure(size: str, seed: int = SEED) -> Path:
    """The data set of a size (or of HTTP_SIZE, "H"), generated if missing; returns its directory."""
    target = data_dir(size, seed)
    if (target / "meta.json").exists():
        return target
    build = Path(tempfile.mkdtemp(prefix=f"bench-{size}-", dir=DATA_ROOT.parent if DATA_ROOT.exists() else None))
    try:
        _generate(HTTP_SIZE if size == HTTP_SIZE.name else SIZES[size], seed, build)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(build), str(target))
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return target


def _generate(size: Size, seed: int, out: Path, database_url: str | None = None) -> None:
    """The data set into out/ (base.db, needs/, meta.json); `database_url` loads another database
    instead of out/base.db (the HTTP scenario's PostgreSQL run), with the same rows."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from groupement import create_app
    from groupement.campaigns.models import Campaign, CampaignItem, NeedLine, Submission
    from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
    from groupement.catalog.models import CatalogItem
    from groupement.core.access import OrganisationKind, Role
    from groupement.core.search_text import name_key
    from groupement.core.timeutil import utcnow
    from groupement.extensions import db
    from groupement.organisations.families import Family
    from groupement.organisations.models import ExecutionMode, Groupement, Membership, Organisation
    from groupement.organisations.user_models import User

    rng = random.Random(seed)
    db_path = out / "base.db"
    app = create_app(_config(db_path, out / "instance", database_url))
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        upgrade()
        conn = db.session.connection()
        from werkzeug.security import generate_password_hash

        password_hash = generate_password_hash("bench-password", method="pbkdf2:sha256:1000")

        conn.execute(
            insert(Organisation),
            [
                {
                    "id": 1,
                    "kind": OrganisationKind.COORDINATOR,
                    "name": "CAPI (banc d'essai)",
                    "search_key": name_key("CAPI (banc d'essai)"),  # a bulk insert runs no mapper event
                    "insee_code": None,
                    "siren": "200000001",
                    "address": "",
                    "postcode": "38300",
                    "city": "Bourgoin-Jallieu",
                }
            ]
            + [
                {
                    "id": 100 + i,
                    "kind": OrganisationKind.COMMUNE,
                    "name": f"Commune {i:04d}",
                    "search_key": name_key(f"Commune {i:04d}"),
                    "insee_code": f"{38000 + i:05d}" if i < 62000 else None,
                    "siren": f"{210000000 + i:09d}",
                    "population": rng.randint(300, 30_000),
                    "address": "",
                    "postcode": "38000",
                    "city": f"Commune {i:04d}",
                }
                for i in range(size.communes)
            ],
        )
        communes = [100 + i for i in range(size.communes)]
        families = frozenset(Family)
        conn.execute(
            insert(Groupement),
            [
                {
                    "id": 1,
                    "name": "Groupement de commandes (banc d'essai)",
                    "coordinator_id": 1,
                    "families": families,
                    "convention_signed_on": date(2020, 1, 1),
                    "execution_mode": ExecutionMode.DROIT_COMMUN,
                }
            ],
        )
        conn.execute(
            insert(Membership),
            [
                {"groupement_id": 1, "commune_id": c, "families": families, "signed_on": date(2020, 1, 1)}
                for c in communes
            ],
        )
        users = [
            {
                "id": 1,
                "email": "coordination@bench.invalid",
                "name": "Coordination",
                "search_key": name_key("Coordination"),
                "password_hash": password_hash,
                "role": Role.COORDINATOR,
                "organisation_id": 1,
                "active": True,
                "created_at": now,
            }
        ]
        users += [
            {
                "id": 1000 + c,
                "email": f"agent{c}@bench.invalid",
                "name": f"Agent {c}",
                "search_key": name_key(f"Agent {c}"),
                "password_hash": password_hash,
                "role": Role.AGENT,
                "organisation_id": c,
                "active": True,
                "created_at": now,
            }
            for c in communes
        ]
        conn.execute(insert(User), users)

        family_names = list(FAMILY_CPV)
        items = []
        for i in range(size.items):
            family = family_names[i % 3]
            cpv = FAMILY_CPV[family][rng.randrange(len(FAMILY_CPV[family]))]
            items.append(
                {
                    "id": i + 1,
                    "ref": f"{family[:3].upper()}-{i:06d}",
                    "designation": f"Article de banc d'essai n° {i} ({FAMILY_LABEL[family]})",
                    "family": Family(family),
                    "cpv_code": cpv,
                    "unit": UNITS[i % len(UNITS)],
                    "unit_price_ht": Decimal(rng.randint(50, 500_000)) / 100,
                    "vat_rate": Decimal("20.00"),
                    "eco_participation": Decimal("0"),
                    "account": "6064",
                    "active": True,
                    "updated_at": now,
                }
            )
        conn.execute(insert(CatalogItem), items)

        conn.execute(
            insert(Campaign),
            [
                {
                    "id": 1,
                    "groupement_id": 1,
                    "title": "Recensement 2025 (banc d'essai)",
                    "year": 2025,
                    "instructions": "",
                    "opens_at": now - timedelta(days=400),
                    "closes_at": now - timedelta(days=300),
                    "status": CampaignStatus.CLOSED,
                    "created_by_id": 1,
                    "created_at": now,
                },
                {
                    "id": 2,
                    "groupement_id": 1,
                    "title": "Recensement 2026 (banc d'essai)",
                    "year": 2026,
                    "instructions": "Saisissez vos besoins pour l'année.",
                    "opens_at": now - timedelta(days=5),
                    "closes_at": now + timedelta(days=60),
                    "status": CampaignStatus.OPEN,
                    "created_by_id": 1,
                    "created_at": now,
                },
            ],
        )
        conn.execute(
            insert(CampaignItem),
            [{"campaign_id": cid, "item_id": item["id"]} for cid in (1, 2) for item in items],
        )
        conn.execute(
            insert(Submission),
            [
                {
                    "id": c,
                    "campaign_id": 1,
                    "commune_id": c,
                    "status": SubmissionStatus.VALIDATED,
                    "reopened": False,
                    "comment": "",
                    "updated_at": now,
                    "submitted_at": now,
                    "validated_at": now,
                }
                for c in communes
            ],
        )
        need_count = 0
        batch = []
        for c in communes:
            for item in items:
                if rng.random() < DENSITY:
                    batch.append(
                        {
                            "submission_id": c,
                            "item_id": item["id"],
                            "quantity": rng.randint(1, 200),
                            "comment": "",
                            "version": 1,
                            "updated_at": now,
                        }
                    )
            if len(batch) >= 50_000:
                conn.execute(insert(NeedLine), batch)
                need_count += len(batch)
                batch = []
        if batch:
            conn.execute(insert(NeedLine), batch)
            need_count += len(batch)
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn)
        db.session.commit()
        db.engine.dispose()

    needs_dir = out / "needs"
    needs_dir.mkdir()
    for c in communes[: size.import_communes]:
        rows = []
        for item in items:
            quantity = rng.randint(1, 200) if rng.random() < DENSITY else None
            rows.append(
                (
                    item["ref"],
                    item["designation"],
                    FAMILY_LABEL[str(item["family"].value)],
                    item["unit"],
                    float(item["unit_price_ht"]),
                    None,
                    quantity,
                    None,
                )
            )
        (needs_dir / f"besoins-{c}.xlsx").write_bytes(needs_file(f"Commune {c - 100:04d}", rows))

    meta = {
        "size": size.name,
        "seed": seed,
        "communes": communes,
        "items": size.items,
        "need_lines": need_count,
        "closed_campaign": 1,
        "open_campaign": 2,
        "coordinator_user": 1,
        "agent_user_of": {str(c): 1000 + c for c in communes},
        "import_files": sorted(p.name for p in needs_dir.iterdir()),
        "invoice_lines": size.invoice_lines,
        "invoice_communes": size.invoice_communes,
    }
    (out / "meta.json").write_text(json.dumps(meta))


def _config(db_path: Path, instance: Path, database_url: str | None = None) -> dict:
    instance.mkdir(parents=True, exist_ok=True)
    return {
        "ENV_NAME": "development",
        "SECRET_KEY": "bench-not-secret",
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{db_path}",
    }


def _advance_sequences(conn) -> None:
    """PostgreSQL: the rows above carry explicit ids, which do not move the id sequences; set each
    past its table's largest id, or the application's first insert would collide with them."""
    from sqlalchemy import text

    tables = conn.execute(
        text(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name = 'id' "
            "AND pg_get_serial_sequence(quote_ident(table_name), 'id') IS NOT NULL"
        )
    ).scalars()
    for table in list(tables):
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
            ),
            {"table": f'"{table}"'},
        )


# --- the filled workbooks -------------------------------------------------------------------

HEADER = (
    "Référence",
    "Désignation",
    "Famille",
    "Unité",
    "Prix unitaire HT estimé",
    "Quantité N-1",
    "Quantité",
    "Commentaire",
    "Montant estimé HT",
)


def needs_file(commune: str, rows: list[tuple]) -> bytes:
    """A filled needs workbook with the layout of io/needs_xlsx.write_needs_workbook (title block,
    total, header, data), written directly as XML with inline strings: as a commune's agent
    sends it back, but ~20 × faster to produce than openpyxl (1 000 files of 5 000 rows at L)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    ]

    def text(ref: str, value: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'

    out.append(
        f'<row r="1">{text("A1", "Recensement des besoins : Recensement 2026 (banc d" + chr(39) + "essai)")}</row>'
    )
    out.append(f'<row r="2">{text("A2", "Commune : " + commune)}</row>')
    out.append(f'<row r="3">{text("A3", "Date limite de saisie : 31/12/2026")}</row>')
    out.append(f'<row r="4">{text("A4", "Mode d" + chr(39) + "emploi : saisissez les quantités.")}</row>')
    total = f"<f>SUM(I8:I{len(rows) + 7})</f><v>{sum(round(r[4] * (r[6] or 0), 2) for r in rows)}</v>"
    out.append(f'<row r="5">{text("A5", "Total estimé HT")}<c r="I5">{total}</c></row>')
    out.append('<row r="7">' + "".join(text(f"{chr(65 + i)}7", title) for i, title in enumerate(HEADER)) + "</row>")
    for number, row in enumerate(rows, start=8):
        ref, designation, family, unit, price, previous, quantity, comment = row
        cells = [text(f"A{number}", ref), text(f"B{number}", designation), text(f"C{number}", family)]
        cells.append(text(f"D{number}", unit))
        cells.append(f'<c r="E{number}"><v>{price}</v></c>')
        if previous is not None:
            cells.append(f'<c r="F{number}"><v>{previous}</v></c>')
        if quantity is not None:
            cells.append(f'<c r="G{number}"><v>{quantity}</v></c>')
        if comment:
            cells.append(text(f"H{number}", comment))
        # The amount stays a formula, with the value Excel cached when it saved the file.
        cells.append(f'<c r="I{number}"><f>E{number}*G{number}</f><v>{round(price * (quantity or 0), 2)}</v></c>')
        out.append(f'<row r="{number}">{"".join(cells)}</row>')
    out.append("</sheetData></worksheet>")
    sheet = "".join(out)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Besoins" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
