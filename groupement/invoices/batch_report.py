"""The report of a batch of invoices: one line per file (lue, doublon, refusée with its reasons),
kept as JSON on the batch, shown on its page and written as .xlsx."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from groupement.core.files.xlsx import EURO_FORMAT, Column, table_bytes

READ = "read"
DUPLICATE = "duplicate"
REFUSED = "refused"
STATUS_LABELS = {READ: "lue", DUPLICATE: "doublon", REFUSED: "refusée"}


@dataclass(frozen=True)
class ReportLine:
    file: str
    status: str  # READ, DUPLICATE or REFUSED
    reasons: tuple[str, ...] = ()
    invoice_id: int | None = None
    number: str = ""
    supplier: str = ""
    kind: str = ""
    total_ttc: str = ""  # Decimal as text (JSON)
    anomalies: int = 0  # anomalies blocking the split, for a read invoice

    @property
    def ttc(self) -> Decimal | None:
        return Decimal(self.total_ttc) if self.total_ttc else None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportLine:
        return cls(**{**data, "reasons": tuple(data.get("reasons", ()))})


def counts(lines: list[ReportLine]) -> dict[str, int]:
    return {status: sum(1 for line in lines if line.status == status) for status in STATUS_LABELS}


COLUMNS = (
    Column("Fichier", 40),
    Column("Résultat", 10),
    Column("Facture n°", 18),
    Column("Type", 16),
    Column("Fournisseur", 30),
    Column("Total TTC", 14, EURO_FORMAT),
    Column("Anomalies bloquantes", 12),
    Column("Motifs", 100),
)


def report_xlsx(archive_name: str, lines: list[ReportLine]) -> bytes:
    return table_bytes(
        "Rapport d'import",
        COLUMNS,
        (
            (
                line.file,
                line.label,
                line.number,
                line.kind,
                line.supplier,
                line.ttc,
                line.anomalies if line.status == READ else None,
                " ; ".join(line.reasons),
            )
            for line in lines
        ),
    )
