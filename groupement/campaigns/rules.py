"""Needs campaigns: states, who may do what when, quantities and upload diffs. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from groupement.core.access import Role
from groupement.core.errors import ServiceError
from groupement.core.money import line_amount

MAX_QUANTITY = 1_000_000


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    AGGREGATED = "aggregated"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return {
            "draft": "en préparation",
            "open": "ouverte",
            "closed": "clôturée",
            "aggregated": "agrégée",
            "archived": "archivée",
        }[self.value]


class SubmissionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VALIDATED = "validated"

    @property
    def label(self) -> str:
        return {"draft": "brouillon", "submitted": "soumise", "validated": "validée"}[self.value]


NOT_STARTED_LABEL = "non commencée"


class CampaignRuleError(ServiceError):
    """A campaign rule refused: the message is French and says why."""


class TransitionRefused(CampaignRuleError):
    """A campaign or submission step not allowed now, by this role."""


class InvalidQuantity(CampaignRuleError, ValueError):
    """A quantity that is not a whole number from 0 to 1 000 000. Also a ValueError, the
    contract of a form field's parser: WTForms and the order rules read it as a bad value."""


def effective_status(stored: CampaignStatus, closes_at: datetime, now: datetime) -> CampaignStatus:
    """An open campaign is closed from its deadline on, whether or not anyone closed it."""
    if stored is CampaignStatus.OPEN and now >= closes_at:
        return CampaignStatus.CLOSED
    return stored


@dataclass(frozen=True)
class EntryWindow:
    """What decides whether a commune may change its needs now."""

    campaign_status: CampaignStatus
    opens_at: datetime
    closes_at: datetime
    submission_status: SubmissionStatus | None
    reopened: bool
    now: datetime

    def refusal(self) -> str | None:
        """None when entry is allowed, else the French reason."""
        status = effective_status(self.campaign_status, self.closes_at, self.now)
        if status in (CampaignStatus.AGGREGATED, CampaignStatus.ARCHIVED):
            return "La campagne est agrégée : les besoins ne peuvent plus être modifiés."
        if status is CampaignStatus.DRAFT:
            return "La campagne n'est pas encore ouverte."
        if not self.reopened:
            if self.now < self.opens_at:
                return "La campagne n'est pas encore ouverte à la saisie."
            if status is CampaignStatus.CLOSED:
                return "La date limite est passée : la saisie est fermée (le coordonnateur peut la rouvrir)."
        if self.submission_status is SubmissionStatus.SUBMITTED:
            return "Les besoins sont soumis au signataire : il doit les renvoyer pour modification."
        if self.submission_status is SubmissionStatus.VALIDATED:
            return "Les besoins sont validés : seul le coordonnateur peut les rouvrir."
        return None

    @property
    def open(self) -> bool:
        return self.refusal() is None


def check_submit(window: EntryWindow, role: Role) -> SubmissionStatus:
    if role is not Role.AGENT:
        raise TransitionRefused("Seul un agent de la commune soumet les besoins.")
    if window.submission_status is None:
        raise TransitionRefused("Aucun besoin saisi : enregistrez d'abord vos quantités.")
    reason = window.refusal()
    if reason:
        raise TransitionRefused(reason)
    return SubmissionStatus.SUBMITTED


def _check_signatory_step(window: EntryWindow, role: Role, verb: str) -> None:
    if role is not Role.SIGNATORY:
        raise TransitionRefused(f"Seul le signataire de la commune peut {verb} les besoins.")
    if window.submission_status is not SubmissionStatus.SUBMITTED:
        raise TransitionRefused(
            f"Seuls des besoins soumis peuvent être {'validés' if verb == 'valider' else 'renvoyés'}."
        )
    status = effective_status(window.campaign_status, window.closes_at, window.now)
    if status in (CampaignStatus.AGGREGATED, CampaignStatus.ARCHIVED, CampaignStatus.DRAFT):
        raise TransitionRefused(f"La campagne est {status.label} : plus de validation possible.")


def check_validate(window: EntryWindow, role: Role) -> SubmissionStatus:
    _check_signatory_step(window, role, "valider")
    return SubmissionStatus.VALIDATED


def check_send_back(window: EntryWindow, role: Role, comment: str) -> SubmissionStatus:
    _check_signatory_step(window, role, "renvoyer")
    if not comment.strip():
        raise TransitionRefused("Indiquez à l'agent ce qu'il faut corriger.")
    return SubmissionStatus.DRAFT


def check_reopen(window: EntryWindow, role: Role, reason: str) -> SubmissionStatus:
    if role is not Role.COORDINATOR:
        raise TransitionRefused("Seul le coordonnateur peut rouvrir la saisie d'une commune.")
    status = effective_status(window.campaign_status, window.closes_at, window.now)
    if status not in (CampaignStatus.OPEN, CampaignStatus.CLOSED):
        raise TransitionRefused(f"La campagne est {status.label} : impossible de rouvrir une saisie.")
    if not reason.strip():
        raise TransitionRefused("Le motif de réouverture est obligatoire.")
    return SubmissionStatus.DRAFT


CAMPAIGN_TRANSITIONS = {
    "open": ({CampaignStatus.DRAFT}, CampaignStatus.OPEN),
    "close": ({CampaignStatus.OPEN}, CampaignStatus.CLOSED),
}


def check_campaign_transition(action: str, stored: CampaignStatus) -> CampaignStatus:
    sources, target = CAMPAIGN_TRANSITIONS[action]
    if stored not in sources:
        verb = {"open": "d'ouvrir", "close": "de clôturer"}[action]
        raise TransitionRefused(f"Impossible {verb} une campagne {stored.label}.")
    return target


def parse_quantity(raw: object) -> int:
    """A quantity typed by a person or read from a cell: a whole number from 0 to 1 000 000."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return 0
    if isinstance(raw, bool):
        raise InvalidQuantity("quantité attendue (nombre entier)")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise InvalidQuantity(f"« {raw:g} » n'est pas un nombre entier".replace(".", ","))
        raw = int(raw)
    if isinstance(raw, Decimal):
        if not raw.is_finite() or raw != raw.to_integral_value():
            raise InvalidQuantity(f"« {raw} » n'est pas un nombre entier".replace(".", ","))
        raw = int(raw)
    if isinstance(raw, str):
        text = raw.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        digits = text.removeprefix("-")
        if not (digits.isascii() and digits.isdigit()):  # ASCII digits only: not '²', not '１２'
            raise InvalidQuantity(f"« {raw.strip()[:30]} » n'est pas un nombre entier")
        if len(digits.lstrip("0")) > len(str(MAX_QUANTITY)):
            raise InvalidQuantity(f"quantité invraisemblable (plus de {len(str(MAX_QUANTITY))} chiffres)")
        raw = int(text)
    if not isinstance(raw, int):
        raise InvalidQuantity("quantité attendue (nombre entier)")
    if raw < 0:
        raise InvalidQuantity(f"quantité négative ({raw})")
    if raw > MAX_QUANTITY:
        raise InvalidQuantity(f"quantité invraisemblable ({raw} > 1 000 000)")
    return raw


@dataclass(frozen=True)
class NeedValue:
    quantity: int
    comment: str = ""


@dataclass(frozen=True)
class NeedsDiff:
    """What an upload changes, keyed by item ref."""

    modified: dict[str, tuple[NeedValue, NeedValue]]
    added: dict[str, NeedValue]
    zeroed: dict[str, NeedValue]

    @property
    def empty(self) -> bool:
        return not (self.modified or self.added or self.zeroed)

    def summary(self) -> str:
        def plural(n: int, one: str, many: str) -> str:
            return f"{n} {one if n <= 1 else many}"

        if self.empty:
            return "Aucune modification."
        return ", ".join(
            [
                plural(len(self.modified), "ligne modifiée", "lignes modifiées"),
                plural(len(self.added), "ajoutée", "ajoutées"),
                plural(len(self.zeroed), "remise à zéro", "remises à zéro"),
            ]
        )


def diff_needs(current: Mapping[str, NeedValue], uploaded: Mapping[str, NeedValue]) -> NeedsDiff:
    """Lines absent from `uploaded` are left as they are; a quantity 0 there zeroes the line."""
    modified, added, zeroed = {}, {}, {}
    for ref, new in uploaded.items():
        old = current.get(ref, NeedValue(0))
        if old == new:
            continue
        if old.quantity == 0 and new.quantity > 0:
            added[ref] = new
        elif old.quantity > 0 and new.quantity == 0:
            zeroed[ref] = new
        else:
            modified[ref] = (old, new)
    return NeedsDiff(modified, added, zeroed)


def estimated_line_amount(quantity: int, estimated_unit_price: Decimal) -> Decimal:
    """THE estimate rule: quantity × estimated unit price HT (eco-participation included where
    there is one: it is part of the price), to the cent, as any other line amount."""
    return line_amount(quantity, estimated_unit_price)


def estimated_amount(lines: Iterable[tuple[int, Decimal]]) -> Decimal:
    """Σ of the estimated line amounts (each to the cent, so a total is the sum of its lines)."""
    return sum((estimated_line_amount(q, price) for q, price in lines), Decimal(0))


def joined_families(
    membership_families: Iterable[str],
    left_on: date | None,
    campaign_families: Iterable[str],
    campaign_opens_on: date,
) -> frozenset:
    """The campaign's families a member takes part in: none once it has left the groupement."""
    if left_on is not None and left_on <= campaign_opens_on:
        return frozenset()
    return frozenset(membership_families) & frozenset(campaign_families)
