from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from groupement.core import transaction
from groupement.core.access import Role
from groupement.core.errors import ServiceError
from groupement.core.mail import public_link
from groupement.core.timeutil import utcnow
from groupement.extensions import limiter, login_manager
from groupement.organisations import login_throttle
from groupement.organisations.login_throttle import LoginThrottled
from groupement.organisations.users import (
    attempt_login,
    change_password,
    log_out,
    request_password_reset,
    reset_password,
    user_of_reset_token,
    user_of_session,
)
from groupement.organisations.web.auth_forms import (
    LoginForm,
    LogoutForm,
    PasswordChangeForm,
    ResetForm,
    ResetRequestForm,
)
from groupement.web.access import roles_required

bp = Blueprint("auth", __name__)


@bp.record
def _load_users_by_session_id(state) -> None:
    # "id:generation" (User.get_id) from the session or the remember cookie: a revoked session
    # (logout, password change or reset, deactivation) loads no one, at its very next request.
    login_manager.user_loader(user_of_session)


RESET_SENT = (
    "Si un compte actif correspond à cette adresse, un courriel vient de lui être envoyé avec un lien "
    "pour choisir un nouveau mot de passe (valable une heure, une seule fois)."
)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.home")


def _start_session(user, remember: bool = False) -> None:
    """A fresh session for a login: nothing of the anonymous one survives, CSRF token included."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's per-request cache of the signed token
    login_user(user, remember=remember)


@bp.route("/connexion", methods=["GET", "POST"])
# Password guessing per client address, in the shared store (RATELIMIT_STORAGE_URI). The
# per-account throttle is in the database (organisations/login_throttle.py).
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = attempt_login(form.email.data, form.password.data, request.cookies.get(login_throttle.DEVICE_COOKIE))
        except LoginThrottled as refusal:
            transaction.discard()
            flash(str(refusal), "error")
            response = current_app.make_response(render_template("organisations/auth/login.html", form=form))
            response.status_code = 429
            response.headers["Retry-After"] = str(max(1, int((refusal.retry_at - utcnow()).total_seconds()) + 1))
            return response
        if user is not None:
            _start_session(user, remember=form.remember.data)
            flash(f"Bienvenue, {user.name}.", "success")
            response = redirect(_safe_next(request.args.get("next")))
            response.set_cookie(
                login_throttle.DEVICE_COOKIE,
                login_throttle.new_device_cookie(user.email),
                max_age=login_throttle.DEVICE_COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            )
            return response
        flash("Adresse électronique ou mot de passe incorrect.", "error")
    return render_template("organisations/auth/login.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
@roles_required(*Role)
def logout():
    if LogoutForm().validate_on_submit():
        log_out(current_user._get_current_object())  # every session and remember cookie of the user
        session.clear()
        logout_user()  # after clear(): it asks for the remember cookie to be deleted
        flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@roles_required(*Role)
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(user, form.current.data, form.password.data, form.confirm.data)
        except ServiceError as error:
            transaction.discard()
            flash(str(error), "error")
        else:
            # This session goes on under the new generation (and its remember cookie, if it had
            # one, is issued again); every other session and remember cookie ends.
            remembered = bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")))
            _start_session(user, remember=remembered)
            flash("Mot de passe changé. Vos autres sessions ont été fermées.", "success")
            return redirect(url_for("dashboard.home"))
    return render_template("organisations/auth/password.html", form=form)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgotten():
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            request_password_reset(
                form.email.data,
                lambda token: public_link(url_for("auth.reset", token=token)),
            )
        except ServiceError as error:
            transaction.discard()
            flash(str(error), "error")
        else:
            flash(RESET_SENT, "info")
            return redirect(url_for("auth.login"))
    return render_template("organisations/auth/forgotten.html", form=form)


@bp.route("/reinitialisation/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset(token: str):
    try:
        user_of_reset_token(token)
    except ServiceError as error:
        transaction.discard()
        flash(str(error), "error")
        return redirect(url_for("auth.forgotten"))
    form = ResetForm()
    if form.validate_on_submit():
        try:
            reset_password(token, form.password.data, form.confirm.data)
        except ServiceError as error:
            transaction.discard()
            flash(str(error), "error")
        else:
            session.clear()
            logout_user()
            flash("Mot de passe enregistré : connectez-vous avec le nouveau.", "success")
            return redirect(url_for("auth.login"))
    return render_template("organisations/auth/reset.html", form=form)
