"""Reminder e-mails for the needs campaign, sent to a real local SMTP server (aiosmtpd), and the
cron commands `groupement campaign remind` / `close-expired`."""

from __future__ import annotations

import email
import logging
import re
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import func, select

from groupement.campaigns.models import Campaign
from groupement.campaigns.reminders import ReminderReport, remind_late_communes
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.core import transaction
from groupement.core.access import Actor, Role, system_actor
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.mail import failed_after_commit, send_mail
from groupement.core.timeutil import utcnow
from groupement.organisations.families import Family

DEADLINE = datetime(2099, 1, 15, 11, 0)  # UTC: 12:00 in Paris (winter time)
DEADLINE_FR = "15/01/2099 à 12:00"
PUBLIC_URL = "https://groupement.capi38.fr"


# --- a real SMTP server --------------------------------------------------------------------


class Collector:
    """aiosmtpd handler keeping every envelope it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [email.message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]

    def by_recipients(self):
        return {
            tuple(sorted(e.rcpt_tos)): email.message_from_bytes(e.content, policy=policy.default)
            for e in self.envelopes
        }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(handler, **options) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


@pytest.fixture
def mail_settings(app, monkeypatch):
    """The app's mail settings, restored after the test."""
    monkeypatch.setitem(app.config, "MAIL_SENDER", "recensement@capi38.fr")
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC_URL + "/")
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    return app.config


@pytest.fixture
def smtp_server(mail_settings):
    handler = Collector()
    controller = start_server(handler)
    mail_settings["MAIL_SERVER"] = "127.0.0.1"
    mail_settings["MAIL_PORT"] = controller.port
    yield handler
    controller.stop()


# --- data ----------------------------------------------------------------------------------


@dataclass
class World:
    coordinator: Actor
    campaign: Campaign
    agent_actor: Actor
    emails: dict


def build_world(make) -> World:
    capi = make.coordinator()
    buyer = make.user(Role.COORDINATOR, capi, email="acheteur@capi38.fr")
    group = make.groupement(capi, name="Groupement informatique de la CAPI")
    laptop = make.item(family=Family.INFORMATIQUE)

    def commune(name, families=frozenset(Family)):
        org = make.organisation(name=name)
        make.membership(group, org, families=families)
        return org

    chateau = commune("Châteauvillain")
    isle = commune("L'Isle-d'Abeau")
    saint_quentin = commune("Saint-Quentin-Fallavier")
    bourgoin = commune("Bourgoin-Jallieu")
    ruy = commune("Ruy-Montceau")
    eclose = commune("Éclose-Badinières", families=frozenset({Family.VEHICULES}))
    outsider = make.organisation(name="Vienne")

    isle_agent = make.user(Role.AGENT, isle, email="achats@mairie-ida.fr")
    emails = {
        "chateau_agent": make.user(Role.AGENT, chateau, email="agent@chateauvillain.fr").email,
        "chateau_signatory": make.user(Role.SIGNATORY, chateau, email="maire@chateauvillain.fr").email,
        "isle_agent": isle_agent.email,
        "sqf_agent": make.user(Role.AGENT, saint_quentin, email="agent@sqf.fr").email,
        "sqf_signatory": make.user(Role.SIGNATORY, saint_quentin, email="dgs@sqf.fr").email,
        "bourgoin_agent": make.user(Role.AGENT, bourgoin, email="agent@bourgoin.fr").email,
        "eclose_agent": make.user(Role.AGENT, eclose, email="agent@eclose.fr").email,
        "vienne_agent": make.user(Role.AGENT, outsider, email="agent@vienne.fr").email,
    }
    make.user(Role.AGENT, chateau, email="parti@chateauvillain.fr", active=False)
    make.user(Role.AGENT, ruy, email="ancien@ruy.fr", active=False)

    campaign = make.campaign(
        group,
        [laptop],
        title="Équipements informatiques 2027",
        closes_at=DEADLINE,
        instructions="Précisez les quantités à l'unité près, même à zéro.",
    )
    make.submission(campaign, isle, {laptop: 2}, SubmissionStatus.DRAFT)
    make.submission(campaign, saint_quentin, {laptop: 5}, SubmissionStatus.SUBMITTED)
    make.submission(campaign, bourgoin, {laptop: 9}, SubmissionStatus.VALIDATED)
    return World(
        Actor(buyer.id, Role.COORDINATOR, capi.id), campaign, Actor(isle_agent.id, Role.AGENT, isle.id), emails
    )


def remind_events(database):
    return database.session.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.remind")).all()


def body_of(message) -> str:
    """The text as a mail reader shows it (SMTP carries CRLF line ends)."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


# --- the service ---------------------------------------------------------------------------


def test_each_late_commune_gets_one_mail_to_its_active_users_and_validated_ones_none(database, make, smtp_server):
    world = build_world(make)

    report = remind_late_communes(world.coordinator, world.campaign.id)
    assert smtp_server.envelopes == []  # the mails wait for the commit of the unit of work
    database.session.commit()

    assert report == ReminderReport(
        communes=["Châteauvillain", "L'Isle-d'Abeau", "Ruy-Montceau", "Saint-Quentin-Fallavier"],
        messages_sent=3,
        communes_without_recipient=["Ruy-Montceau"],
    )
    e = world.emails
    assert set(smtp_server.by_recipients()) == {
        (e["chateau_agent"], e["chateau_signatory"]),
        (e["isle_agent"],),
        (e["sqf_agent"], e["sqf_signatory"]),
    }
    everyone = {address for envelope in smtp_server.envelopes for address in envelope.rcpt_tos}
    assert not everyone & {e["bourgoin_agent"], e["eclose_agent"], e["vienne_agent"], "parti@chateauvillain.fr"}
    assert {envelope.mail_from for envelope in smtp_server.envelopes} == {"recensement@capi38.fr"}


def test_the_mail_reads_in_french_with_the_deadline_the_status_the_link_and_the_instructions(
    database, make, smtp_server
):
    world = build_world(make)
    remind_late_communes(world.coordinator, world.campaign.id)
    database.session.commit()

    messages = smtp_server.by_recipients()
    chateau = messages[(world.emails["chateau_agent"], world.emails["chateau_signatory"])]
    assert chateau["Subject"] == (
        f"Recensement des besoins « Équipements informatiques 2027 » : date limite le {DEADLINE_FR}"
    )
    assert chateau["From"] == "recensement@capi38.fr"
    assert chateau["To"] == "agent@chateauvillain.fr, maire@chateauvillain.fr"
    body = body_of(chateau)
    assert "Commune : Châteauvillain" in body
    assert "État de votre saisie : non commencée" in body
    assert f"le {DEADLINE_FR} (heure de Paris)" in body
    assert f"{PUBLIC_URL}/campagnes/{world.campaign.id}/besoins" in body
    assert "//campagnes" not in body
    assert "Précisez les quantités à l'unité près, même à zéro." in body
    assert "CAPI, coordonnateur du groupement" in body

    isle = body_of(messages[(world.emails["isle_agent"],)])
    assert "Commune : L'Isle-d'Abeau" in isle and "État de votre saisie : brouillon" in isle
    sqf = body_of(messages[(world.emails["sqf_agent"], world.emails["sqf_signatory"])])
    assert "État de votre saisie : soumise" in sqf and "il reste au signataire" in sqf


def test_the_reminder_is_audited_once_with_the_communes_and_the_count(database, make, smtp_server):
    world = build_world(make)
    remind_late_communes(world.coordinator, world.campaign.id)
    database.session.commit()  # the unit of work around the service (request or CLI command)
    database.session.rollback()  # what was committed survives

    [event] = remind_events(database)
    assert event.actor_id == world.coordinator.user_id
    assert event.object_type == "campaign" and event.object_id == str(world.campaign.id)
    assert event.after["communes"] == ["Châteauvillain", "L'Isle-d'Abeau", "Ruy-Montceau", "Saint-Quentin-Fallavier"]
    assert event.after["messages"] == 3
    assert event.after["without_recipient"] == ["Ruy-Montceau"]


def test_when_every_commune_has_validated_nobody_is_written_to(database, make, smtp_server):
    capi = make.coordinator()
    group = make.groupement(capi)
    laptop = make.item()
    commune = make.organisation()
    make.membership(group, commune)
    make.user(Role.AGENT, commune)
    campaign = make.campaign(group, [laptop])
    make.submission(campaign, commune, {laptop: 1}, SubmissionStatus.VALIDATED)

    report = remind_late_communes(system_actor(campaign.groupement.coordinator_id), campaign.id)

    assert report == ReminderReport(communes=[], messages_sent=0, communes_without_recipient=[])
    assert smtp_server.envelopes == []
    [event] = remind_events(database)
    assert event.actor_id is None and event.after["messages"] == 0


def test_without_mail_server_the_mail_is_written_to_the_log(database, make, mail_settings, caplog, monkeypatch):
    world = build_world(make)
    # The session fixture runs the migrations in this process: alembic's fileConfig() disables
    # the loggers that already exist (never the case in `groupement run`, a process of its own).
    monkeypatch.setattr(logging.getLogger("groupement.mail"), "disabled", False)
    caplog.set_level(logging.INFO, logger="groupement.mail")

    report = remind_late_communes(world.coordinator, world.campaign.id)
    database.session.commit()

    assert report.messages_sent == 3
    logged = [r.getMessage() for r in caplog.records if r.name == "groupement.mail"]
    assert len(logged) == 3
    chateau = next(text for text in logged if "Commune : Châteauvillain" in text)
    assert "À : agent@chateauvillain.fr, maire@chateauvillain.fr" in chateau
    assert (
        f"Objet : Recensement des besoins « Équipements informatiques 2027 » : date limite le {DEADLINE_FR}" in chateau
    )
    assert f"{PUBLIC_URL}/campagnes/{world.campaign.id}/besoins" in chateau
    assert len(remind_events(database)) == 1


def test_an_unreachable_smtp_server_after_the_commit_is_reported_in_french_and_the_reminder_stays_recorded(
    database, make, mail_settings
):
    world = build_world(make)
    mail_settings["MAIL_SERVER"] = "127.0.0.1"
    mail_settings["MAIL_PORT"] = free_port()  # nobody listens there

    remind_late_communes(world.coordinator, world.campaign.id)
    database.session.commit()

    failures = failed_after_commit()
    assert len(failures) == 3
    assert re.fullmatch(
        r"Relance de la commune Châteauvillain : Courriel non envoyé : le serveur de messagerie 127\.0\.0\.1:\d+ "
        r"est injoignable \(.*\)\.",
        failures[0],
    ), failures[0]
    assert len(remind_events(database)) == 1


def test_a_reminder_rolled_back_writes_to_nobody_and_its_retry_writes_once_to_each_commune(database, make, smtp_server):
    world = build_world(make)
    database.session.commit()  # the world exists before the unit of work of the reminder

    remind_late_communes(world.coordinator, world.campaign.id)
    database.session.rollback()  # the commit failed, or a later step of the request refused
    assert smtp_server.envelopes == []
    assert remind_events(database) == []

    report = remind_late_communes(world.coordinator, world.campaign.id)  # the retry: not « too soon »
    database.session.commit()
    assert report.messages_sent == 3 and report.too_soon == []
    assert len(smtp_server.envelopes) == 3


def test_a_reminder_inside_a_savepoint_undone_writes_to_nobody(database, make, smtp_server):
    world = build_world(make)
    with pytest.raises(RuntimeError), transaction.savepoint():
        remind_late_communes(world.coordinator, world.campaign.id)
        raise RuntimeError("étape suivante refusée")
    database.session.commit()
    assert smtp_server.envelopes == []


def test_only_the_coordinator_of_the_campaign_may_remind(database, make, smtp_server):
    world = build_world(make)
    with pytest.raises(Forbidden, match="Seul le coordonnateur"):
        remind_late_communes(world.agent_actor, world.campaign.id)
    other = make.coordinator(name="Autre intercommunalité", siren=make.valid_siren(900001), siret=None)
    stranger = Actor(make.user(Role.COORDINATOR, other).id, Role.COORDINATOR, other.id)
    with pytest.raises(NotFound):
        remind_late_communes(stranger, world.campaign.id)
    with pytest.raises(NotFound, match="Campagne introuvable"):
        remind_late_communes(system_actor(world.campaign.groupement.coordinator_id), world.campaign.id + 1000)
    assert smtp_server.envelopes == []
    assert remind_events(database) == []


@pytest.mark.parametrize(
    "status, now, reason",
    [
        (CampaignStatus.CLOSED, None, "La campagne est clôturée"),
        (CampaignStatus.OPEN, DEADLINE, "La campagne est clôturée"),  # deadline reached, not yet closed by cron
        (CampaignStatus.DRAFT, None, "La campagne est en préparation"),
        (CampaignStatus.AGGREGATED, None, "La campagne est agrégée"),
    ],
)
def test_a_campaign_that_is_not_open_cannot_be_reminded(database, make, smtp_server, status, now, reason):
    world = build_world(make)
    world.campaign.status = status
    database.session.flush()
    with pytest.raises(ServiceError, match=reason):
        remind_late_communes(world.coordinator, world.campaign.id, now=now)
    assert smtp_server.envelopes == []
    assert remind_events(database) == []


def test_a_campaign_whose_entry_has_not_started_cannot_be_reminded(database, make, smtp_server):
    world = build_world(make)
    world.campaign.opens_at = utcnow() + timedelta(days=2)
    database.session.flush()
    with pytest.raises(ServiceError, match="La saisie n'ouvre que le"):
        remind_late_communes(world.coordinator, world.campaign.id)
    assert smtp_server.envelopes == []


# --- send_mail on its own ------------------------------------------------------------------


def test_send_mail_keeps_accents_in_subject_and_body(database, smtp_server):
    send_mail(["elu@exemple.fr"], "Échéance proche : « à valider »", "Très bien, à bientôt.\n")
    [message] = smtp_server.messages()
    assert message["Subject"] == "Échéance proche : « à valider »"
    assert body_of(message) == "Très bien, à bientôt.\n"
    assert message["Message-ID"].endswith("@capi38.fr>") and message["Date"]


def test_send_mail_refuses_to_go_on_in_clear_text_when_starttls_is_required(database, smtp_server, mail_settings):
    mail_settings["MAIL_USE_TLS"] = True
    with pytest.raises(ServiceError, match="STARTTLS"):
        send_mail(["agent@exemple.fr"], "Objet", "Corps")
    assert smtp_server.envelopes == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")  # a test server on loopback
def test_send_mail_logs_in_with_the_configured_account_and_reports_a_wrong_password(database, mail_settings):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"capi", b"s3cret")
        return AuthResult(success=ok, handled=False)

    handler = Collector()
    controller = start_server(handler, authenticator=authenticator, auth_require_tls=False, auth_required=True)
    try:
        mail_settings.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USERNAME="capi")
        mail_settings["MAIL_PASSWORD"] = "faux"
        with pytest.raises(ServiceError, match="a refusé l'identifiant ou le mot de passe"):
            send_mail(["agent@exemple.fr"], "Objet", "Corps")
        mail_settings["MAIL_PASSWORD"] = "s3cret"
        send_mail(["agent@exemple.fr"], "Objet", "Corps")
    finally:
        controller.stop()
    assert [e.rcpt_tos for e in handler.envelopes] == [["agent@exemple.fr"]]


# --- the cron commands ---------------------------------------------------------------------


def test_cli_campaign_remind_prints_a_french_summary(app, database, make, smtp_server):
    world = build_world(make)

    result = app.test_cli_runner().invoke(args=["campaign", "remind", str(world.campaign.id)])

    assert result.exit_code == 0, result.output
    assert f"Relance de la campagne n° {world.campaign.id} : 4 commune(s) en retard, 3 courriel(s) envoyé(s)." in (
        result.output
    )
    assert "  Châteauvillain\n" in result.output
    assert "  Ruy-Montceau (aucun destinataire actif : non relancée)" in result.output
    assert len(smtp_server.envelopes) == 3
    [event] = remind_events(database)
    assert event.actor_id is None


def test_cli_campaign_remind_fails_with_exit_code_1_on_a_closed_or_unknown_campaign(app, database, make, smtp_server):
    world = build_world(make)
    world.campaign.status = CampaignStatus.CLOSED
    database.session.commit()  # a command runs in its own process: it sees what was committed
    runner = app.test_cli_runner()

    closed = runner.invoke(args=["campaign", "remind", str(world.campaign.id)])
    assert closed.exit_code == 1
    assert "Erreur : La campagne est clôturée : les relances ne sont possibles que pendant la saisie." in closed.output

    unknown = runner.invoke(args=["campaign", "remind", "999999"])
    assert unknown.exit_code == 1 and "Erreur : Campagne introuvable." in unknown.output
    assert smtp_server.envelopes == []


def test_cli_campaign_remind_fails_with_exit_code_1_when_the_smtp_server_is_down(app, database, make, mail_settings):
    world = build_world(make)
    mail_settings.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    result = app.test_cli_runner().invoke(args=["campaign", "remind", str(world.campaign.id)])
    assert result.exit_code == 1
    assert "Relance de la campagne n° " in result.output  # recorded: the summary, then what did not leave
    assert "Erreur : la relance est enregistrée mais des courriels ne sont pas partis : Relance de la commune" in (
        result.output
    )
    assert "Courriel non envoyé : le serveur de messagerie 127.0.0.1:" in result.output


def test_cli_close_expired_closes_open_campaigns_past_their_deadline_only(app, database, make):
    capi = make.coordinator()
    group = make.groupement(capi)
    laptop = make.item()
    now = utcnow()
    expired = make.campaign(
        group,
        [laptop],
        title="Fournitures 2027",
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(minutes=5),
    )
    running = make.campaign(group, [laptop], title="Véhicules 2027")
    draft_past = make.campaign(
        group,
        [laptop],
        status=CampaignStatus.DRAFT,
        closes_at=now - timedelta(days=1),
        opens_at=now - timedelta(days=9),
    )
    already = make.campaign(
        group,
        [laptop],
        status=CampaignStatus.CLOSED,
        closes_at=now - timedelta(days=1),
        opens_at=now - timedelta(days=9),
    )
    runner = app.test_cli_runner()

    result = runner.invoke(args=["campaign", "close-expired"])

    assert result.exit_code == 0, result.output
    assert f"1 campagne(s) clôturée(s) :\n  n° {expired.id} « Fournitures 2027 »" in result.output
    database.session.expire_all()
    assert [database.session.get(Campaign, c.id).status for c in (expired, running, draft_past, already)] == [
        CampaignStatus.CLOSED,
        CampaignStatus.OPEN,
        CampaignStatus.DRAFT,
        CampaignStatus.CLOSED,
    ]
    closures = database.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "campaign.close")
    )
    assert closures == 1

    again = runner.invoke(args=["campaign", "close-expired"])
    assert again.exit_code == 0 and "Aucune campagne à clôturer." in again.output
