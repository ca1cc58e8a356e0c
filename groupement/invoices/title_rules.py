"""Recovery titles (titres de recettes): their kinds and states, the due date, the cancellation,
the bounds of a payment and what a commune's ledger says of a share. Pure.

A title is cancelled by a counter-title (titre d'annulation): a new title of the opposite amount
that points to the cancelled one, with its reason; nothing is deleted and both stay in the
ledgers and exports. A title on which a payment was recorded is not cancelled: the payment would
have to be refunded first (a reduction or cancellation after payment is the paymaster's
procedure, not this tool's), and the refusal says so.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from groupement.core.errors import ServiceError

TITLE_PREFIX = "TR"
NUMBER_WIDTH = 5
REASON_MAX = 500


class TitleKind(StrEnum):
    TITLE = "title"  # what a commune owes for its share of an invoice
    CANCELLATION = "cancellation"  # the counter-title that cancels a title

    @property
    def label(self) -> str:
        return {"title": "titre de recettes", "cancellation": "titre d'annulation"}[self.value]


class TitleStatus(StrEnum):
    ISSUED = "issued"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"issued": "émis", "cancelled": "annulé"}[self.value]


class TitleRefused(ServiceError):
    """A title, a cancellation or a payment the rules refuse; the message is French."""


def title_number(year: int, sequence: int) -> str:
    """TR-2026-00001: the coordinator's titles are numbered from 1 each year."""
    return f"{TITLE_PREFIX}-{year}-{sequence:0{NUMBER_WIDTH}d}"


def sequence_of(number: str, year: int) -> int | None:
    """The sequence of a number of `year` (TR-2026-00042 → 42), None for another year or format."""
    prefix = f"{TITLE_PREFIX}-{year}-"
    rest = number[len(prefix) :] if number.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


def check_due_date(due_date: date, today: date, invoice_date: date) -> date:
    """A title falls due today at the earliest (Paris) and never before the invoice's date."""
    if due_date < today:
        raise TitleRefused(f"La date d'échéance ({_fr(due_date)}) est passée : choisissez le {_fr(today)} ou après.")
    if due_date < invoice_date:
        raise TitleRefused(f"La date d'échéance ({_fr(due_date)}) précède la date de la facture ({_fr(invoice_date)}).")
    return due_date


def check_cancellation(kind: TitleKind, status: TitleStatus, paid_total: Decimal, reason: str, number: str) -> str:
    """The reason, stripped, if the title may be cancelled; TitleRefused otherwise."""
    reason = " ".join(reason.split())
    if kind is TitleKind.CANCELLATION:
        raise TitleRefused(f"Le titre {number} est un titre d'annulation : il ne s'annule pas.")
    if status is TitleStatus.CANCELLED:
        raise TitleRefused(f"Le titre {number} est déjà annulé.")
    if paid_total != 0:
        raise TitleRefused(
            f"Le titre {number} a déjà des encaissements : il ne peut pas être annulé tant qu'ils ne sont "
            "pas remboursés (voyez le comptable public)."
        )
    if not reason:
        raise TitleRefused("Le motif de l'annulation est obligatoire.")
    if len(reason) > REASON_MAX:
        raise TitleRefused(f"Le motif de l'annulation fait {len(reason)} caractères : {REASON_MAX} au plus.")
    return reason


def check_payment(kind: TitleKind, status: TitleStatus, amount: Decimal, title_amount: Decimal, number: str) -> None:
    """What can be told before the database's compare-and-set: the title and the sign of the amount."""
    if kind is TitleKind.CANCELLATION:
        raise TitleRefused(f"Le titre {number} est un titre d'annulation : il ne reçoit pas d'encaissement.")
    if status is TitleStatus.CANCELLED:
        raise TitleRefused(f"Le titre {number} est annulé : il ne reçoit plus d'encaissement.")
    if amount == 0:
        raise TitleRefused("Le montant encaissé doit être différent de zéro.")
    if (amount < 0) != (title_amount < 0):
        raise TitleRefused("Le montant encaissé doit être du signe du titre (négatif pour un titre issu d'un avoir).")


class ShareState(StrEnum):
    """What a commune's ledger says of its share of an invoice."""

    TO_TITLE = "to_title"  # split, no title yet
    OUTSTANDING = "outstanding"  # titled, not (fully) paid
    SETTLED = "settled"  # titled and paid
    CANCELLED = "cancelled"  # its title was cancelled by a counter-title

    @property
    def label(self) -> str:
        return {"to_title": "à titrer", "outstanding": "reste dû", "settled": "soldé", "cancelled": "annulé"}[
            self.value
        ]


def share_state(titled: bool, cancelled: bool, amount: Decimal, paid: Decimal) -> ShareState:
    if not titled:
        return ShareState.TO_TITLE
    if cancelled:
        return ShareState.CANCELLED
    return ShareState.SETTLED if paid == amount else ShareState.OUTSTANDING


def _fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")
