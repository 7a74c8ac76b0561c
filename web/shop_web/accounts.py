"""Signing in and out (and, as the area grows, signing up, the profile, the address book).

Signing in stores the API's token pair in the session cookie; a guest cart token held by
the session is presented once with the new token, which makes the cart service merge the
guest's cart into the shopper's, and is then forgotten.
"""

from __future__ import annotations

import contextlib

from flask import Blueprint, redirect, render_template, request, session
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.i18n import texts

pages = Blueprint("accounts", __name__)

texts({
    "sign_in.title": ("登录", "Sign in"),
    "sign_in.login": ("邮箱或手机号", "Email or phone number"),
    "sign_in.password": ("密码", "Password"),
    "sign_in.submit": ("登录", "Sign in"),
    "sign_in.no_account": ("还没有账号？", "No account yet?"),
})


def safe_next(default: str = "/") -> str:
    """Where to go after a form: a path of this site only (never another host)."""
    target = request.values.get("next") or default
    return target if target.startswith("/") and not target.startswith("//") else default


@pages.get("/account/sign-in")
def sign_in() -> str:
    return render_template("accounts/sign_in.html", login="", problem=None, next=safe_next())


@pages.post("/account/sign-in")
def sign_in_submit() -> Response | tuple[str, int]:
    login = request.form.get("login", "").strip()
    try:
        tokens = api.post("/auth/login", {"login": login,
                                          "password": request.form.get("password", "")},
                          credentials=True)
    except api.ApiProblem as problem:
        return render_template("accounts/sign_in.html", login=login, problem=problem,
                               next=safe_next()), problem.status
    signed_in(tokens)
    return redirect(safe_next())


def signed_in(tokens: dict) -> None:
    """Keep the token pair; bring the guest's cart along (the cart service merges it when a
    signed-in caller presents the guest's cart token)."""
    api.remember_tokens(tokens)
    if session.get("cart_token"):
        try:
            api.get("/cart")
        finally:
            session.pop("cart_token", None)


@pages.post("/account/sign-out")
def sign_out() -> Response:
    if session.get("refresh_token"):
        # Signed out here either way; a token the API did not revoke expires on its own.
        with contextlib.suppress(api.ApiProblem, api.SignInRequired):
            api.post("/auth/logout", {"refresh_token": session["refresh_token"]})
    session.clear()
    return redirect("/")
