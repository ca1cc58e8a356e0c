"""Invoice kinds, states and check resolutions; the coordinator's recovery accounts. Pure."""

from __future__ import annotations

from enum import StrEnum

from groupement.core.errors import ServiceError


class InvoiceKind(StrEnum):
    INVOICE = "invoice"  # 380
    CREDIT_NOTE = "credit_note"  # 381: imported as negative amounts
    CORRECTIVE = "corrective"  # 384
    SELF_BILLED = "self_billed"  # 389: written by the buyer
    PREPAYMENT = "prepayment"  # 386: deducted later by the final invoice (BT-113)
    # document_types.py maps every EN 16931 type code to one of these.

    @property
    def label(self) -> str:
        return {
            "invoice": "facture",
            "credit_note": "avoir",
            "corrective": "facture rectificative",
            "self_billed": "autofacture",
            "prepayment": "facture d'acompte",
        }[self.value]


class InvoiceStatus(StrEnum):
    IMPORTED = "imported"
    CHECKED = "checked"
    DISPUTED = "disputed"
    SPLIT = "split"
    RECOVERED = "recovered"
    SETTLED = "settled"
    REJECTED = "rejected"  # refused by the accountant with a reason: never split, never titled

    @property
    def label(self) -> str:
        return {
            "rejected": "rejetée",
            "imported": "importée",
            "checked": "contrôlée",
            "disputed": "en litige",
            "split": "répartie",
            "recovered": "titres émis",
            "settled": "soldée",
        }[self.value]

    def counted(self, count: int) -> str:
        """The state after a number of invoices: « 1 importée », « 4 importées », « 2 en litige »."""
        singular, plural = {
            "rejected": ("rejetée", "rejetées"),
            "imported": ("importée", "importées"),
            "checked": ("contrôlée", "contrôlées"),
            "disputed": ("en litige", "en litige"),
            "split": ("répartie", "réparties"),
            "recovered": ("titrée", "titrées"),
            "settled": ("soldée", "soldées"),
        }[self.value]
        return plural if count > 1 else singular


# The life cycle (DESIGN.md §4): imported → checked (or disputed, which blocks the split) → split →
# recovered (titles issued) → settled. Matching and resolving a check may be redone until the split.
# The split needs the match (its anomalies are only known then); until the split the accountant may
# reject the invoice instead (rejected is final: the supplier sends a credit note or a new invoice).
INVOICE_TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.IMPORTED: frozenset({InvoiceStatus.CHECKED, InvoiceStatus.DISPUTED, InvoiceStatus.REJECTED}),
    InvoiceStatus.CHECKED: frozenset(
        {InvoiceStatus.CHECKED, InvoiceStatus.DISPUTED, InvoiceStatus.SPLIT, InvoiceStatus.REJECTED}
    ),
    InvoiceStatus.DISPUTED: frozenset({InvoiceStatus.CHECKED, InvoiceStatus.DISPUTED, InvoiceStatus.REJECTED}),
    InvoiceStatus.SPLIT: frozenset({InvoiceStatus.RECOVERED}),
    InvoiceStatus.RECOVERED: frozenset({InvoiceStatus.SETTLED}),
    InvoiceStatus.SETTLED: frozenset(),
    InvoiceStatus.REJECTED: frozenset(),
}
# What each use case says when the invoice's state refuses it ({status}: the current state's label).
REFUSALS = {
    "match": "La facture est {status} : le rapprochement ne peut plus être refait.",
    "resolve": "La facture est {status} : ses contrôles ne changent plus.",
    "split": "La facture est {status} : elle ne peut pas être répartie.",
    "reject": "La facture est {status} : elle ne peut plus être rejetée.",
    "issue_titles": "Les titres de recettes s'émettent sur une facture répartie, une seule fois.",
    "settle": "La facture est {status} : elle ne peut pas être soldée.",
}


class InvoiceTransitionRefused(ServiceError):
    """The invoice's state does not allow the step; the message is French and says why."""


def can_move(current: InvoiceStatus, target: InvoiceStatus) -> bool:
    return target in INVOICE_TRANSITIONS[current]


def check_invoice_transition(action: str, current: InvoiceStatus, target: InvoiceStatus) -> InvoiceStatus:
    """`target` if the table allows current → target, else InvoiceTransitionRefused for `action`."""
    if not can_move(current, target):
        raise InvoiceTransitionRefused(REFUSALS[action].format(status=current.label))
    return target


class CheckKind(StrEnum):
    """Which control an invoice check belongs to."""

    ARITHMETIC = "arithmetic"  # EN 16931 totals of the document itself
    IDENTITY = "identity"  # seller and buyer
    CONTRACT = "contract"  # against the orders, deliveries and contract prices


class CheckResolution(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # accepted with a comment (service fait: by the coordinator only)
    DISPUTED = "disputed"  # a dispute with the supplier: blocks the split

    @property
    def label(self) -> str:
        return {"open": "à traiter", "accepted": "acceptée", "disputed": "contestée"}[self.value]


# The coordinator's side of the re-invoice (domain-facts §7, to confirm with the paymaster):
# equipment bought on behalf of the members goes through the mandate account 4582; other
# costs are recovered as "remboursements de frais par les communes membres du GFP" (70875).
MANDATE_ACCOUNT = "4582"
COST_RECOVERY_ACCOUNT = "70875"


def recovery_account(member_account: str | None) -> str:
    """The coordinator's account for a title, from the member's M57 account of the main line."""
    return MANDATE_ACCOUNT if member_account and member_account.startswith("21") else COST_RECOVERY_ACCOUNT
