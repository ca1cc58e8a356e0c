"""What each invoice check says: a rule, whether it holds, its French message with both figures.
Pure. Used by invoices.rules; the tolerances are the official ones (invoices.tolerances)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from groupement.core.formatting import euros, number
from groupement.invoices.tolerances import within

ZERO = Decimal("0")


@dataclass(frozen=True)
class CheckResult:
    rule: str
    ok: bool
    message: str


def failures(results: Iterable[CheckResult]) -> list[CheckResult]:
    return [result for result in results if not result.ok]


def equal(
    rule: str,
    computed: Decimal,
    declared: Decimal,
    failure: str,
    success: str,
    source_format: str | None = None,
    extended_amounts: int = 0,
) -> CheckResult:
    """`declared` against `computed`; `source_format` given, with the rounding difference the
    official rules accept for that syntax, said in the message."""
    ok = computed == declared
    if not ok and source_format is not None:
        if within(rule, source_format, computed, declared, extended_amounts=extended_amounts):
            ok = True
            success += f" (écart d'arrondi de {eur(abs(declared - computed))} admis par la règle officielle)"
    template = success if ok else failure
    # replace(), not format(): a label may carry text read from the file
    text = template.replace("{computed}", eur(computed)).replace("{declared}", eur(declared))
    return CheckResult(rule, ok, f"{rule} : {text}.")


def line_label(position: int, line_id: str | None = None, spreadsheet: bool = False) -> str:
    """'ligne 4': the invoice's 4th line, whatever its identifier in the file, which follows when
    it differs: 'ligne 4 (identifiant 5)' (a supplier's BT-126), 'ligne 4 (ligne 5 du fichier)'."""
    if line_id and line_id.strip() and line_id.strip() != str(position):
        where = f"ligne {line_id.strip()} du fichier" if spreadsheet else f"identifiant {line_id.strip()}"
        return f"ligne {position} ({where})"
    return f"ligne {position}"


def key(category: str, rate: Decimal) -> tuple[str, Decimal]:
    return category.strip().upper(), rate.normalize() if rate else ZERO


def eur(amount: Decimal) -> str:
    """1 234,56 € ; a figure with more decimals keeps them (4,4625 €), never rounded silently."""
    exponent = amount.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < -2 else 2
    if decimals == 2:
        return euros(amount)
    return number(amount, min(decimals, 6)) + "\u00a0€"


def num(value: Decimal) -> str:
    return number(value)


def count(n: int, word: str) -> str:
    return f"{number(n)} {word}{'s' if n > 1 else ''}"
