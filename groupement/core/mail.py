"""Outgoing e-mail: real SMTP when MAIL_SERVER is set, the log otherwise (development).

Settings (groupement/config.py): MAIL_SERVER, MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD,
MAIL_USE_TLS (STARTTLS, required when set), MAIL_SENDER.

A mail that announces what a unit of work did goes through send_after_commit(): it leaves once
the transaction has committed, never for work rolled back (a savepoint undone drops the mails
queued inside it), so a failed commit announces nothing and its retry announces once.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, flash, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from groupement.core.errors import ServiceError
from groupement.extensions import db

logger = logging.getLogger("groupement.mail")
if logger.level == logging.NOTSET:
    # The development fallback writes the mail at INFO: visible unless configured otherwise.
    logger.setLevel(logging.INFO)

DEFAULT_TIMEOUT = 10
LOCAL_SERVER = "http://127.0.0.1"
DEFAULT_PORT = "5000"


def public_link(path: str) -> str:
    """The absolute address of `path` (starting with "/") for a link in an e-mail.

    PUBLIC_URL when set. Otherwise the server the request reached, so the link carries the
    port `make run` or `groupement run --port` used (in production only when Flask checks the
    host against TRUSTED_HOSTS: a forged Host header must not choose where a reset link goes).
    Outside a request (cron), the local server on FLASK_RUN_PORT, else 5000.
    """
    config = current_app.config
    base = (config.get("PUBLIC_URL") or "").strip()
    if not base and has_request_context():
        if config.get("ENV_NAME") != "production" or config.get("TRUSTED_HOSTS"):
            base = request.host_url
    if not base:
        port = os.environ.get("FLASK_RUN_PORT", "").strip()
        base = f"{LOCAL_SERVER}:{port if port.isascii() and port.isdigit() else DEFAULT_PORT}"
    return base.rstrip("/") + "/" + path.lstrip("/")


def delivered(config) -> bool:
    """Whether send_mail really sends (MAIL_SERVER set) or only writes the mail to the log."""
    return bool(config.get("MAIL_SERVER") or "")


def send_mail(to: list[str], subject: str, body: str) -> None:
    """Send one plain-text UTF-8 message to every address of `to` (one To: header).

    Raises ServiceError (French message) when the SMTP server cannot be reached or refuses.
    """
    recipients = [address.strip() for address in to if address and address.strip()]
    if not recipients:
        raise ServiceError("Aucun destinataire pour ce courriel.")
    config = current_app.config
    message = _build(config.get("MAIL_SENDER") or "groupement@localhost", recipients, subject, body)
    server = config.get("MAIL_SERVER") or ""
    if not server:
        _ = current_app.logger  # makes Flask attach its handler to the "groupement" logger
        logger.info(
            "Courriel non envoyé (MAIL_SERVER vide), contenu :\nDe : %s\nÀ : %s\nObjet : %s\n\n%s",
            message["From"],
            message["To"],
            message["Subject"],
            body,
        )
        return
    port = int(config.get("MAIL_PORT") or 25)
    try:
        with smtplib.SMTP(server, port, timeout=config.get("MAIL_TIMEOUT", DEFAULT_TIMEOUT)) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except smtplib.SMTPNotSupportedError as error:
        logger.warning("STARTTLS non proposé par %s:%s : %s", server, port, error)
        raise ServiceError(
            f"Courriel non envoyé : le serveur de messagerie {server}:{port} ne propose pas de connexion "
            "chiffrée (STARTTLS) alors que MAIL_USE_TLS est activé."
        ) from error
    except smtplib.SMTPAuthenticationError as error:
        logger.warning("Authentification SMTP refusée par %s:%s : %s", server, port, error)
        raise ServiceError(
            f"Courriel non envoyé : le serveur de messagerie {server}:{port} a refusé l'identifiant "
            "ou le mot de passe (MAIL_USERNAME, MAIL_PASSWORD)."
        ) from error
    except smtplib.SMTPRecipientsRefused as error:
        logger.warning("Destinataires refusés par %s:%s : %s", server, port, error)
        refused = ", ".join(sorted(error.recipients))
        raise ServiceError(f"Courriel non envoyé : destinataire(s) refusé(s) par le serveur ({refused}).") from error
    except smtplib.SMTPException as error:
        logger.warning("Erreur SMTP avec %s:%s : %s", server, port, error)
        raise ServiceError(
            f"Courriel non envoyé : le serveur de messagerie {server}:{port} a refusé l'envoi ({error})."
        ) from error
    except (OSError, UnicodeError) as error:
        logger.warning("Serveur SMTP %s:%s injoignable : %s", server, port, error)
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise ServiceError(
            f"Courriel non envoyé : le serveur de messagerie {server}:{port} est injoignable ({reason})."
        ) from error


# --- after the commit --------------------------------------------------------------------------

_OUTBOX = "mail_after_commit"


@dataclass(frozen=True)
class _Queued:
    to: list[str]
    subject: str
    body: str
    about: str  # what the mail is for, in French, for the log and the user when it cannot leave
    transaction: SessionTransaction | None  # the innermost transaction it was queued in


def send_after_commit(to: list[str], subject: str, body: str, about: str, session: Session | None = None) -> None:
    """Send this mail once the unit of work commits (that of `session`, by default the request's or
    the command's); nothing if it rolls back.

    A mail that cannot leave then is logged, told to the user of the request (a flash message:
    the response is not sent yet) and kept in failed_after_commit() for a CLI command: the work
    is committed either way."""
    session = session if session is not None else db.session()
    current = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_OUTBOX, []).append(_Queued(list(to), subject, body, about, current))


def failed_after_commit() -> list[str]:
    """The French reasons of the mails of this app context that could not leave after the commit."""
    return list(g.get("mail_failures", [])) if has_app_context() else []


def _send_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its mails wait for the real commit
    for mail in session.info.pop(_OUTBOX, []):
        if not has_app_context():
            logger.warning("%s : courriel non envoyé, hors de l'application", mail.about)
            continue
        try:
            send_mail(mail.to, mail.subject, mail.body)
        except ServiceError as error:
            reason = f"{mail.about} : {error}"
            logger.warning(reason)
            g.mail_failures = [*g.get("mail_failures", []), reason]
            if has_request_context():
                flash(reason, "error")


def _drop_rolled_back(session: Session, rolled_back: SessionTransaction) -> None:
    """The mails queued in the transaction rolled back, or in a savepoint inside it, are dropped."""
    queued = session.info.get(_OUTBOX)
    if not queued:
        return
    if not rolled_back.nested:
        session.info.pop(_OUTBOX, None)
        return
    session.info[_OUTBOX] = [mail for mail in queued if not _inside(mail.transaction, rolled_back)]


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def register() -> None:
    """Called once by create_app: every session of the application sends its mails after commit."""
    if not event.contains(Session, "after_commit", _send_committed):
        event.listen(Session, "after_commit", _send_committed)
        event.listen(Session, "after_soft_rollback", _drop_rolled_back)


def _build(sender: str, recipients: list[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = " ".join(subject.split())  # no line break can reach a header
    message["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body, charset="utf-8", cte="quoted-printable")  # 7-bit safe, readable raw
    return message
