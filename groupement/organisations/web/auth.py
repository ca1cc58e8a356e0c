from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from groupement.extensions import limiter
from groupement.organisations.users import authenticate
from groupement.organisations.web.auth_forms import LoginForm, LogoutForm
from groupement.web.access import roles_required

bp = Blueprint("auth", __name__)


def _submitted_email() -> str:
    """The rate-limit key of one account: the typed address, normalised as the login does."""
    return "email:" + (request.form.get("email") or "").strip().lower()


def _failed(response) -> bool:
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.home")


@bp.route("/connexion", methods=["GET", "POST"])
# Password guessing: per client address, and per account whatever the address (failures only).
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"], key_func=_submitted_email, deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(f"Bienvenue, {user.name}.", "success")
            return redirect(_safe_next(request.args.get("next")))
        flash("Adresse électronique ou mot de passe incorrect.", "error")
    return render_template("organisations/auth/login.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
@roles_required()
def logout():
    if LogoutForm().validate_on_submit():
        logout_user()
        flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))
