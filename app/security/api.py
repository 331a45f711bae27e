"""The JWT login of the REST API, with the same lockout, rate limits and login history as the
web login, and a second step for users with two-factor authentication.

POST /api/v1/security/login answers such users 401 with {"mfa_required": true, "mfa_token"};
POST /api/v1/security/login/mfa with the token and a code returns the tokens. The mfa_token is
signed for this purpose only (it is no JWT and opens nothing else) and lasts
MFA_PENDING_MINUTES. Every token carries the user's security stamp and is refused once the
password changes or the user is deactivated.
"""
from __future__ import annotations

from flask import current_app, request
from flask_appbuilder.api import safe
from flask_appbuilder.const import API_SECURITY_ACCESS_TOKEN_KEY, API_SECURITY_REFRESH_TOKEN_KEY
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.schemas import login_post
from flask_appbuilder.views import expose
from flask_babel import gettext as _
from flask_jwt_extended import create_access_token, create_refresh_token
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import ValidationError

from app.core.org import User
from app.extensions import db
from app.security import auth, mfa
from app.security.lockout import RateLimited
from app.security.models import EMAIL, SMS, current_stamp_digest


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="zwt.api-mfa-login")


def make_mfa_token(user, refresh: bool) -> str:
    return _serializer().dumps({"u": user.id, "s": current_stamp_digest(user.id), "r": bool(refresh),
                                "at": auth.epoch_now()})


def read_mfa_token(token) -> tuple[User | None, bool]:
    """(user, wants refresh token) for a valid, unexpired token of an unchanged active user."""
    try:
        data = _serializer().loads(str(token or ""))
    except BadSignature:
        return None, False
    if not isinstance(data, dict) or not auth.fresh(data.get("at")):
        return None, False
    user = db.session.get(User, data.get("u"))
    if user is None or not user.is_active or data.get("s") != current_stamp_digest(user.id):
        return None, False
    return user, bool(data.get("r"))


def _tokens(user, refresh: bool) -> dict:
    tokens = {API_SECURITY_ACCESS_TOKEN_KEY: create_access_token(identity=str(user.id), fresh=True)}
    if refresh:
        tokens[API_SECURITY_REFRESH_TOKEN_KEY] = create_refresh_token(identity=str(user.id))
    return tokens


class ZwtSecurityApi(SecurityApi):
    def _invalid_login(self):
        return self.response(401, message=_("Invalid login. Please try again."))

    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """Log in with user name and password
        ---
        post:
          description: >-
            Returns access (and, with refresh=true, refresh) tokens. For users with two-factor
            authentication it answers 401 with mfa_required and an mfa_token instead: send that
            with a code to /api/v1/security/login/mfa.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    username:
                      type: string
                    password:
                      type: string
                    provider:
                      type: string
                      enum: [db]
                    refresh:
                      type: boolean
          responses:
            200:
              description: Logged in
            401:
              description: Wrong credentials, or a second factor is needed (mfa_required)
            429:
              description: Too many failed attempts
        """
        if not request.is_json:
            return self.response_400(message=_("The request body must be a JSON object."))
        try:
            payload = login_post.load(request.json)
        except ValidationError as error:
            return self.response_400(message=error.messages)
        if payload.get("provider", "db") != "db":
            return self._invalid_login()
        try:
            result = auth.password_step(payload["username"], payload["password"], channel="api")
        except RateLimited as exc:
            return auth.rate_limited_response(exc.retry_after)
        if result.user is None:
            return self._invalid_login()
        if result.must_enrol:
            return self.response(401, mfa_enrolment_required=True, message=_(
                "Your role requires two-factor authentication. Sign in on the web once to set it up."))
        if result.needs_second_factor:
            body = {"mfa_required": True, "mfa_token": make_mfa_token(result.user, payload.get("refresh", False)),
                    "methods": mfa.available_methods(result.user),
                    "message": _("Enter the code of your second factor.")}
            method = mfa.preferred_method(result.user)
            if method in (EMAIL, SMS):
                try:
                    body["code_sent_to"] = auth.send_code(result.user, "login", method)
                except (RateLimited, ValueError):
                    pass
            return self.response(401, **body)
        return self.response(200, **_tokens(result.user, payload.get("refresh", False)))

    @expose("/login/mfa", methods=["POST"])
    @safe
    def login_mfa(self):
        """Second step of the login: a code for the mfa_token
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    mfa_token:
                      type: string
                    code:
                      type: string
                    method:
                      type: string
                      enum: [totp, email, sms, recovery]
          responses:
            200:
              description: Logged in (access and, if asked at login, refresh token)
            400:
              description: No such method for this user
            401:
              description: Wrong or expired code, or expired mfa_token
            429:
              description: Too many wrong codes
        """
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return self.response_400(message=_("The request body must be a JSON object."))
        user, refresh = read_mfa_token(data.get("mfa_token"))
        if user is None:
            return self.response(401, message=_("The login has expired. Please log in again."))
        methods = mfa.available_methods(user)
        method = data.get("method") or (methods[0] if methods else None)
        if method not in methods:
            return self.response_400(message={"method": [_("Choose one of: %(methods)s.", methods=", ".join(methods))]})
        try:
            done = auth.second_step(user.id, method, str(data.get("code") or ""), channel="api")
        except RateLimited as exc:
            return auth.rate_limited_response(exc.retry_after)
        if done is None:
            return self.response(401, message=_("The code is not correct, or it has expired. Please try again."))
        return self.response(200, **_tokens(done, refresh))

    @expose("/login/mfa/send", methods=["POST"])
    @safe
    def login_mfa_send(self):
        """Send a login code by e-mail or SMS for the mfa_token
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    mfa_token:
                      type: string
                    method:
                      type: string
                      enum: [email, sms]
          responses:
            200:
              description: Sent (code_sent_to shows where, masked)
            400:
              description: The user cannot receive codes that way
            401:
              description: Expired mfa_token
            429:
              description: Codes were sent too often
        """
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return self.response_400(message=_("The request body must be a JSON object."))
        user, _refresh = read_mfa_token(data.get("mfa_token"))
        if user is None:
            return self.response(401, message=_("The login has expired. Please log in again."))
        method = data.get("method")
        if method not in mfa.available_methods(user) or method not in (EMAIL, SMS):
            return self.response_400(message={"method": [_("This way of receiving codes is not available for your account.")]})
        try:
            where = auth.send_code(user, "login", method)
        except RateLimited as exc:
            return auth.rate_limited_response(exc.retry_after)
        return self.response(200, code_sent_to=where)
