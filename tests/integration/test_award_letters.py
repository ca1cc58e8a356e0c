"""The rejection letters, the standstill period they start and the notification it blocks, and the
notification letter: produced as PDF, read back, archived, audited, within the coordinator's scope."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from groupement.contracts.awards import award_lot
from groupement.contracts.models import Contract, RejectionSending
from groupement.contracts.rejections import (
    NOTIFICATION_KIND,
    REJECTION_KIND,
    award_document,
    award_documents,
    notification_letter,
    record_rejections_sent,
)
from groupement.core.archive import ArchivedDocument
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import NotFound, ServiceError
from groupement.core.timeutil import paris_today
from tests.integration.test_awards import build_tender
from tests.pdf_reading import pdf_text, pdf_to_png

SENT = date(2026, 11, 20)  # a Friday; 11 days: the period ends on Monday 30/11, notification from 01/12


@pytest.fixture
def formal(make, database):
    """A lot above the European thresholds (open call for tenders): the standstill applies."""
    return build_tender(make, database, maximum=Decimal("300000"))


def test_the_award_of_a_formal_procedure_waits_for_the_rejection_letters(formal, database):
    with pytest.raises(ServiceError, match="enregistrez d'abord l'envoi des lettres de rejet"):
        award_lot(formal.coordinator, formal.lot.id, formal.cheap.id, "", date(2027, 1, 4), date(2027, 1, 4))
    assert database.session.scalar(select(func.count()).select_from(Contract)) == 0


def test_a_notification_before_the_end_of_the_standstill_is_refused_naming_the_end_date(formal, database):
    record_rejections_sent(formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT)
    with pytest.raises(ServiceError) as refused:
        award_lot(formal.coordinator, formal.lot.id, formal.cheap.id, "", date(2026, 12, 1), date(2026, 11, 30))
    assert "Le délai de suspension court jusqu'au 30/11/2026 inclus" in str(refused.value)
    assert "à partir du 01/12/2026" in str(refused.value)


def test_a_notification_on_the_first_day_after_the_standstill_is_accepted(formal, database):
    record_rejections_sent(formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT)
    contract = award_lot(formal.coordinator, formal.lot.id, formal.cheap.id, "", date(2026, 12, 1), date(2026, 12, 1))
    assert contract.notified_on == date(2026, 12, 1)


def test_letters_sent_on_paper_wait_sixteen_days(formal, database):
    sending = record_rejections_sent(formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT, electronic=False)
    assert (sending.standstill_days, sending.standstill_last_day) == (16, date(2026, 12, 5))
    with pytest.raises(ServiceError, match="jusqu'au 05/12/2026 inclus"):
        award_lot(formal.coordinator, formal.lot.id, formal.cheap.id, "", date(2026, 12, 5), date(2026, 12, 5))
    award_lot(formal.coordinator, formal.lot.id, formal.cheap.id, "", date(2026, 12, 6), date(2026, 12, 6))


def test_the_award_retains_the_offer_the_rejection_letters_named(formal, database):
    record_rejections_sent(formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT)
    with pytest.raises(ServiceError, match="annoncent l'attribution à Bureautique des Alpes"):
        award_lot(formal.coordinator, formal.lot.id, formal.dear.id, "Meilleur SAV", date(2027, 1, 4), date(2027, 1, 4))


def test_a_mapa_is_notified_without_standstill(make, database):
    small = build_tender(make, database)  # about 43 000 € over four years: no formal procedure
    contract = award_lot(small.coordinator, small.lot.id, small.cheap.id, "", paris_today(), paris_today())
    assert contract.notified_on == paris_today()
    assert database.session.scalar(select(func.count()).select_from(RejectionSending)) == 0


def test_a_sending_in_the_future_or_recorded_twice_is_refused(formal, database):
    with pytest.raises(ServiceError, match="dans le futur"):
        record_rejections_sent(
            formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=paris_today() + timedelta(days=1)
        )
    record_rejections_sent(formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT)
    with pytest.raises(ServiceError, match="déjà enregistré"):
        record_rejections_sent(formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT)


def test_naming_another_offer_than_the_best_ranked_needs_a_justification(formal, database):
    with pytest.raises(ServiceError, match="justification du choix est obligatoire"):
        record_rejections_sent(formal.coordinator, formal.lot.id, formal.dear.id, sent_on=SENT)


def test_the_rejection_letter_names_the_winner_its_scores_and_the_end_of_the_standstill(formal, database):
    sending = record_rejections_sent(formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT)
    letters = [doc for doc in award_documents(formal.coordinator, formal.lot.id) if doc.kind == REJECTION_KIND]
    assert len(letters) == 1  # one rejected bidder
    pdf = letters[0].content
    assert len(pdf_to_png(pdf, "award-rejection-letter")) == 1  # a letter fits on one page
    text = pdf_text(pdf)
    coordinator = formal.lot.campaign.groupement.coordinator
    assert coordinator.name in text  # the letterhead
    assert "Informatique du Rhône" in text  # the addressee
    assert "attribué à Bureautique des Alpes" in text
    assert "prend fin le 30/11/2026" in text
    assert "à partir du 01/12/2026" in text
    assert "20/11/2026" in text
    assert "11 jours" in text
    # the scores read back: the winner ranked 1 with the best weighted total, the bidder ranked 2
    cheap_total, dear_total = (
        formal.cheap.total_ht,
        formal.dear.total_ht,
    )
    from groupement.core.formatting import euros

    assert euros(cheap_total) in text and euros(dear_total) in text
    assert "Votre offre est classée au rang 2" in text
    assert "Motifs du rejet" in text
    assert letters[0].sha256 and letters[0].created_by_id == formal.coordinator.user_id
    event = database.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.rejections_sent"))
    assert event.after["standstill_last_day"] == "2026-11-30"
    assert sending.standstill_last_day == date(2026, 11, 30)


def test_the_notification_letter_is_produced_once_and_archived(formal, database):
    record_rejections_sent(formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT)
    start, notified = date(2026, 12, 7), date(2026, 12, 1)
    contract = award_lot(formal.coordinator, formal.lot.id, formal.cheap.id, "", start, notified, number="AC-2027-01")
    document = notification_letter(formal.coordinator, formal.lot.id)
    again = notification_letter(formal.coordinator, formal.lot.id)
    assert again.id == document.id and document.kind == NOTIFICATION_KIND
    assert len(pdf_to_png(document.content, "award-notification-letter")) == 1
    text = pdf_text(document.content)
    assert "Notification du marché" in text
    assert "AC-2027-01" in text
    assert "Bureautique des Alpes" in text
    assert "01/12/2026" in text and "07/12/2026" in text
    assert "300 000,00 €" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert "expiré le 30/11/2026" in text
    assert contract.supplier.name == "Bureautique des Alpes"


def test_the_coordinator_of_another_groupement_finds_neither_the_lot_nor_its_letters(make, database, formal):
    record_rejections_sent(formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT)
    letter = database.session.scalar(select(ArchivedDocument).where(ArchivedDocument.kind == REJECTION_KIND))
    other = build_tender(make, database)
    with pytest.raises(NotFound):
        award_document(other.coordinator, formal.lot.id, letter.id)
    with pytest.raises(NotFound):
        award_document(other.coordinator, other.lot.id, letter.id)
    with pytest.raises(NotFound):
        record_rejections_sent(other.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT)


def test_the_standstill_periods_to_watch_are_listed_within_scope_until_the_lot_is_notified(make, formal, database):
    from groupement.contracts.award_queries import standstill_periods

    record_rejections_sent(formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT)
    other = build_tender(make, database)
    assert [sending.lot_id for sending in standstill_periods(formal.coordinator)] == [formal.lot.id]
    assert standstill_periods(other.coordinator) == []
    award_lot(formal.coordinator, formal.lot.id, formal.cheap.id, "", date(2026, 12, 1), date(2026, 12, 1))
    assert standstill_periods(formal.coordinator) == []


def test_the_coordinators_home_shows_the_standstill_running_then_the_lot_to_notify(formal, database):
    from groupement.dashboard.queries import home_summary

    def kinds(today: date) -> dict[str, object]:
        return {task.kind: task for task in home_summary(formal.coordinator, today).tasks}

    record_rejections_sent(formal.coordinator, formal.lot.id, formal.cheap.id, sent_on=SENT)
    running = kinds(date(2026, 11, 25))["standstill_running"]
    assert running.label == "1 délai de suspension en cours"
    assert running.when == "notification possible à partir du 01/12/2026"
    assert running.params == {"lot_id": formal.lot.id}
    over = kinds(date(2026, 12, 2))
    assert "standstill_running" not in over
    assert over["standstill_over"].label == "1 lot à notifier : délai de suspension échu"
    award_lot(formal.coordinator, formal.lot.id, formal.cheap.id, "", date(2026, 12, 2), date(2026, 12, 2))
    assert not {"standstill_running", "standstill_over"} & set(kinds(date(2026, 12, 2)))
