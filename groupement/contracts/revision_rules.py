"""Price revision of a contract (prix révisables, R2112-13), as pure dated rules.

- The formula: P = P0 × C, C = fixed part + Σ weight_i × I_i / I0_i, e.g. P = P0 × (0,15 + 0,85 × I/I0).
  The fixed part and the weights are fractions (4 decimals) summing to exactly 1; each weight > 0.
- I0_i is the index value of the reference month (mois zéro); revision n° k applies from the
  k-th anniversary of the start of execution (start + k × period months) and uses the index
  values of the month `base_month + k × period months`.
- Rounding: the coefficient C is rounded half up to 4 decimals (round_half_up), then each revised
  unit price is to_unit_price(P0 × C) (4 decimals, half up, core/money.py). P0 is always the
  initial price of the contract (revisions are not chained). The eco-participation is not revised.
- A missing index value (I or I0) for a revision: that revision cannot be computed; the price in
  force stays the previous one, and the reason names the index and the month.
- Index values: positive, at most 8 digits before the comma and 4 after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from groupement.contracts.order_rules import add_months
from groupement.core.errors import ServiceError
from groupement.core.money import round_half_up, to_unit_price

COEFFICIENT_STEP = Decimal("0.0001")
ONE = Decimal(1)
MAX_TERMS = 5
MAX_INDEX_CODE = 40
MAX_INDEX_VALUE = Decimal("99999999.9999")


class RevisionRefused(ServiceError):
    """A formula, an index value or a revision that breaks a rule; the message is French."""


@dataclass(frozen=True)
class Term:
    index_code: str
    weight: Decimal


@dataclass(frozen=True)
class Formula:
    fixed_part: Decimal
    terms: tuple[Term, ...]
    base_month: date  # the first day of the reference month
    period_months: int = 12

    def check(self) -> None:
        if not self.terms:
            raise RevisionRefused("La formule de révision a au moins un indice.")
        if len(self.terms) > MAX_TERMS:
            raise RevisionRefused(f"La formule de révision a au plus {MAX_TERMS} indices.")
        codes = [t.index_code for t in self.terms]
        if len(set(codes)) != len(codes):
            raise RevisionRefused("Un même indice figure deux fois dans la formule.")
        if self.fixed_part < 0 or any(t.weight <= 0 for t in self.terms):
            raise RevisionRefused("La partie fixe est positive ou nulle et chaque poids strictement positif.")
        total = self.fixed_part + sum((t.weight for t in self.terms), Decimal(0))
        if total != ONE:
            raise RevisionRefused(
                f"La partie fixe et les poids des indices doivent totaliser exactement 1 (ici {_n(total)})."
            )
        if not 1 <= self.period_months <= 48:
            raise RevisionRefused("La périodicité de révision est comprise entre 1 et 48 mois.")

    def text(self) -> str:
        """P = P0 × (0,15 + 0,85 × I/I0), in French notation."""
        parts = " + ".join(f"{_n(t.weight)} × {t.index_code}/{t.index_code}₀" for t in self.terms)
        return f"P = P0 × ({_n(self.fixed_part)} + {parts})"


def month_of(day: date) -> date:
    return day.replace(day=1)


def revision_start(start: date, period_months: int, number: int) -> date:
    """The day revision n° `number` applies from: the number-th anniversary of the start."""
    return add_months(start, number * period_months)


def index_month(formula: Formula, number: int) -> date:
    return add_months(formula.base_month, number * formula.period_months)


def due_number(start: date, period_months: int, day: date) -> int:
    """How many revisions are due on `day` (0 before the first anniversary)."""
    number = 0
    while revision_start(start, period_months, number + 1) <= day:
        number += 1
    return number


def missing_values(formula: Formula, number: int, values: Mapping[tuple[str, date], Decimal]) -> list[str]:
    """The index values a revision needs and that are not entered: « ICHT-IME de 01/2027 »."""
    months = [formula.base_month, index_month(formula, number)]
    return [
        f"{term.index_code} de {month:%m/%Y}"
        for term in formula.terms
        for month in months
        if (term.index_code, month) not in values
    ]


def coefficient(formula: Formula, number: int, values: Mapping[tuple[str, date], Decimal]) -> Decimal:
    """C for revision n° `number`, 4 decimals; RevisionRefused naming the missing values."""
    missing = missing_values(formula, number, values)
    if missing:
        s = "s" if len(missing) > 1 else ""
        raise RevisionRefused(f"Révision n° {number} impossible : indice{s} non saisi{s} " + ", ".join(missing) + ".")
    month = index_month(formula, number)
    raw = formula.fixed_part + sum(
        (t.weight * values[(t.index_code, month)] / values[(t.index_code, formula.base_month)] for t in formula.terms),
        Decimal(0),
    )
    return round_half_up(raw, COEFFICIENT_STEP)


def revised_price(initial: Decimal, coefficient_value: Decimal) -> Decimal:
    return to_unit_price(initial * coefficient_value)


@dataclass(frozen=True)
class Revision:
    number: int
    applies_from: date


def price_in_force_reason(
    due: int, computed: Sequence[Revision], start: date, period_months: int, missing: Sequence[str]
) -> tuple[int, str]:
    """(the revision whose prices are in force, 0 for the initial prices; the French reason when
    the due revision is not computed, else "")."""
    done = [r.number for r in computed if r.number <= due]
    used = max(done, default=0)
    if used == due:
        return used, ""
    kept = "prix initiaux du marché" if used == 0 else f"prix de la révision n° {used}"
    why = f"indices non saisis : {', '.join(missing)}" if missing else "révision non encore calculée"
    return used, (
        f"Prix non révisés : la révision n° {due} (à partir du {revision_start(start, period_months, due):%d/%m/%Y}) "
        f"n'est pas calculée ({why}) ; {kept} maintenus."
    )


def parse_index_value(raw: object, where: str) -> Decimal:
    """An index value typed or read from a file: '112,4', '1 234.5'; positive, 4 decimals at most."""
    text = str(raw if raw is not None else "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text or not all(c.isascii() and (c.isdigit() or c == ".") for c in text) or text.count(".") > 1:
        raise RevisionRefused(f"{where} : valeur d'indice attendue (nombre positif, par exemple 112,4).")
    value = Decimal(text)
    if value <= 0 or value > MAX_INDEX_VALUE or value.as_tuple().exponent < -4:
        raise RevisionRefused(f"{where} : valeur d'indice entre 0,0001 et 99 999 999,9999 (4 décimales au plus).")
    return value


def parse_month(raw: object, where: str) -> date:
    """'01/2027', '2027-01' or '1/2027' -> date(2027, 1, 1)."""
    text = str(raw if raw is not None else "").strip()
    try:
        if "/" in text:
            month, year = text.split("/")
        elif "-" in text:
            year, month = text.split("-")[:2]
        else:
            raise ValueError
        if not (month.isascii() and month.isdigit() and year.isascii() and year.isdigit() and len(year) == 4):
            raise ValueError
        value = date(int(year), int(month), 1)
    except ValueError:
        raise RevisionRefused(f"{where} : mois attendu au format MM/AAAA, par exemple 01/2027.") from None
    if not 1990 <= value.year <= 2100:
        raise RevisionRefused(f"{where} : année entre 1990 et 2100.")
    return value


def parse_index_code(raw: object, where: str) -> str:
    code = str(raw if raw is not None else "").strip()
    if not code or len(code) > MAX_INDEX_CODE or not all(c.isascii() and (c.isalnum() or c in "-_.") for c in code):
        raise RevisionRefused(
            f"{where} : code d'indice attendu (lettres, chiffres, « - », « _ » ou « . », "
            f"{MAX_INDEX_CODE} caractères au plus)."
        )
    return code


def _n(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")
    return text.replace(".", ",")
