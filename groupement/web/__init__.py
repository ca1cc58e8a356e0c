"""Blueprints, error pages, template helpers and response headers."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.routing import IntegerConverter

from groupement.core import formatting, french
from groupement.core.access import Role
from groupement.core.errors import Forbidden, NotFound
from groupement.extensions import db, login_manager
from groupement.organisations.families import Family


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in every URL: ASCII digits from 1 to the database integer maximum. Anything else
    (0, 2147483648, 10**30, full-width digits) matches no route: 404, before any query."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = 2_147_483_647, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values.getlist(key)) for key in values)


def _nul_in_file_names() -> bool:
    return any("\x00" in (file.filename or "") for key in request.files for file in request.files.getlist(key))


def register_web(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter  # before the blueprints add their rules
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    # The user_loader is the accounts feature's (organisations/web/auth.py): revocable sessions.

    app.jinja_env.filters.update(
        euros=formatting.euros,
        nombre=formatting.number,
        pourcent=formatting.percent,
        date_fr=formatting.date_fr,
        datetime_fr=formatting.datetime_fr,
        de=french.de,
        a=french.a,
    )
    app.jinja_env.globals.update(Role=Role, Family=Family)
    from groupement.web.pagination import page_range

    app.jinja_env.filters["page_range"] = page_range

    def error_page(status: int, title: str, message: str):
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(403)
    @app.errorhandler(Forbidden)
    def forbidden(error):
        return error_page(403, "Accès refusé", "Votre rôle ne permet pas d'ouvrir cette page.")

    @app.errorhandler(404)
    @app.errorhandler(NotFound)
    def not_found(error):
        return error_page(404, "Page introuvable", "Cette page n'existe pas ou ne vous est pas accessible.")

    @app.errorhandler(405)
    def method_not_allowed(error):
        return error_page(405, "Action non permise", "Cette adresse n'accepte pas cette action.")

    @app.errorhandler(413)
    def too_large(error):
        limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return error_page(413, "Fichier trop volumineux", f"La taille maximale d'un envoi est de {limit} Mo.")

    @app.errorhandler(429)
    def too_many_requests(error):
        # Only the login form is rate limited (groupement/organisations/web/auth.py).
        return error_page(
            429,
            "Trop de tentatives",
            "Trop de tentatives de connexion. Patientez quelques minutes avant de réessayer.",
        )

    @app.before_request
    def refuse_nul_bytes():
        """Safety net behind the field types: a NUL byte in the query string, a form field or a file
        name is refused before any query (PostgreSQL cannot store it)."""
        if _has_nul(request.args) or _has_nul(request.form) or _nul_in_file_names():
            return error_page(
                400,
                "Requête refusée",
                "La requête contient un caractère interdit (octet nul) : rien n'a été enregistré.",
            )
        return None

    @app.errorhandler(400)
    def bad_request(error):
        return error_page(400, "Requête invalide", "La requête est incomplète ou mal formée : rien n'a été enregistré.")

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        return error_page(
            400,
            "Formulaire expiré",
            "Le jeton de sécurité du formulaire est absent ou invalide. Rechargez la page et recommencez.",
        )

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return error_page(
            500,
            "Erreur interne",
            "Une erreur inattendue s'est produite ; rien n'a été enregistré. Réessayez ou contactez l'administrateur.",
        )

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
