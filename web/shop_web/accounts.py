"""Signing up, in and out; the profile and the address book are in :mod:`shop_web.account_book`.

Signing in stores the API's token pair in the session cookie; a guest cart token held by
the session is presented once with the new token, which makes the cart service merge the
guest's cart into the shopper's, and is then forgotten.

Two ways in: email or phone with a password, or a phone with a one-time code (sent by the
API; in the embedded default the user worker writes it to a local mailbox file).
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from shop_web import account_book
from shop_web import gateway_client as api
from shop_web.i18n import t, texts

pages = Blueprint("accounts", __name__)
pages.register_blueprint(account_book.pages)
INVALID = "urn:shop:problem:validation-error"

texts({
    "sign_in.title": ("登录", "Sign in"),
    "sign_in.login": ("邮箱或手机号", "Email or phone number"),
    "sign_in.password": ("密码", "Password"),
    "sign_in.submit": ("登录", "Sign in"),
    "sign_in.no_account": ("还没有账号？", "No account yet?"),
    "sign_in.with_password": ("密码登录", "With a password"),
    "sign_in.with_code": ("验证码登录", "With a one-time code"),
    "sign_in.ways": ("登录方式", "Ways to sign in"),
    "sign_up.title": ("注册", "Sign up"),
    "sign_up.with_email": ("邮箱注册", "With an email"),
    "sign_up.with_phone": ("手机号注册", "With a phone number"),
    "sign_up.ways": ("注册方式", "Ways to sign up"),
    "sign_up.email": ("邮箱", "Email"),
    "sign_up.nickname": ("昵称", "Nickname"),
    "sign_up.password_hint": ("至少 8 位", "At least 8 characters"),
    "sign_up.submit": ("注册并登录", "Sign up and sign in"),
    "sign_up.have_account": ("已有账号？", "Have an account?"),
    "sign_up.welcome": ("注册成功，欢迎！", "Welcome! Your account is ready."),
    "form.fix_fields": ("请修改下面标出的内容", "Please correct the fields marked below"),
    "code.phone": ("手机号", "Phone number"),
    "code.code": ("验证码", "One-time code"),
    "code.send": ("发送验证码", "Send a code"),
    "code.sent": ("验证码已发送到 {target}，10 分钟内有效。",
                  "A code was sent to {target}; it is valid for 10 minutes."),
    "code.needed": ("请输入收到的 6 位验证码", "Enter the 6-digit code you received"),
    "code.phone_needed": ("请输入手机号", "Enter a phone number"),
    "code.mailbox": (
        "演示环境（内置默认配置）不会真的发送短信：用户服务的 worker 把验证码写入本地邮箱文件 "
        "$SHOP_DATA_DIR/mailbox/<手机号>.txt（用 ./platform run 启动时为 var/data/mailbox/），"
        "也可以运行 python -m user mailbox <手机号> 查看。",
        "In the embedded default no SMS is sent: the user service's worker writes the code to "
        "a local mailbox file, $SHOP_DATA_DIR/mailbox/<phone>.txt (var/data/mailbox/ under "
        "./platform run); `python -m user mailbox <phone>` shows it too."),
})


def safe_next(default: str = "/") -> str:
    """Where to go after a form: a path of this site only (never another host)."""
    target = request.values.get("next") or default
    return target if target.startswith("/") and not target.startswith("//") else default


def _form(*names: str) -> dict[str, str]:
    return {name: request.values.get(name, "").strip() for name in names}


@pages.get("/account/sign-in")
def sign_in() -> str:
    via = "code" if request.args.get("via") == "code" else "password"
    return render_template("accounts/sign_in.html", login="", problem=None, next=safe_next(),
                           via=via, values=_form("phone"))


@pages.post("/account/sign-in")
def sign_in_submit() -> Response | tuple[str, int]:
    login = request.form.get("login", "").strip()
    try:
        tokens = api.post("/auth/login", {"login": login,
                                          "password": request.form.get("password", "")},
                          credentials=True)
    except api.ApiProblem as problem:
        return render_template("accounts/sign_in.html", login=login, problem=problem,
                               next=safe_next(), via="password", values={}), problem.status
    signed_in(tokens)
    return redirect(safe_next())


@pages.post("/account/sign-in/code")
def sign_in_with_code() -> Response | tuple[str, int]:
    values = _form("phone", "code")
    try:
        if not values["code"]:
            raise api.ApiProblem(422, t("code.needed"), type=INVALID,
                                 fields={"code": [t("code.needed")]})
        tokens = api.post("/auth/login", values, credentials=True)
    except api.ApiProblem as problem:
        return render_template("accounts/sign_in.html", login="", problem=problem,
                               next=safe_next(), via="code", values=values), problem.status
    signed_in(tokens)
    return redirect(safe_next())


@pages.post("/account/verification-codes")
def send_code() -> Response | tuple[str, int]:
    """The "send a code" button of the phone forms: the rest of the form comes back filled
    (never the password)."""
    purpose = "login" if request.form.get("purpose") == "login" else "register"
    values = _form("phone", "nickname", "email")
    try:
        if not values["phone"]:
            raise api.ApiProblem(422, t("code.phone_needed"), type=INVALID,
                                 fields={"phone": [t("code.phone_needed")]})
        api.post("/auth/verification-codes",
                 {"channel": "sms", "target": values["phone"], "purpose": purpose})
    except api.ApiProblem as problem:
        # The API names the phone "target"; the form names it "phone".
        problem = replace(problem, fields={("phone" if key == "target" else key): messages
                                           for key, messages in problem.fields.items()})
        if purpose == "login":
            return render_template("accounts/sign_in.html", login="", problem=problem,
                                   next=safe_next(), via="code", values=values), problem.status
        return render_template("accounts/sign_up.html", problem=problem,
                               next=safe_next("/account"), via="phone",
                               values=values), problem.status
    flash(t("code.sent", target=values["phone"]))
    if purpose == "login":
        return redirect(url_for("accounts.sign_in", via="code", phone=values["phone"],
                                next=safe_next()))
    return redirect(url_for("accounts.sign_up", via="phone", phone=values["phone"],
                            nickname=values["nickname"], next=safe_next("/account")))


@pages.get("/account/sign-up")
def sign_up() -> str:
    via = "phone" if request.args.get("via") == "phone" else "email"
    return render_template("accounts/sign_up.html", problem=None, next=safe_next("/account"),
                           via=via, values=_form("email", "phone", "nickname"))


@pages.post("/account/sign-up")
def sign_up_submit() -> Response | tuple[str, int]:
    via = "phone" if request.form.get("via") == "phone" else "email"
    values = _form("email", "phone", "nickname", "code")
    password = request.form.get("password", "")
    login = values["phone"] if via == "phone" else values["email"]
    body = {"password": password, "nickname": values["nickname"] or None}
    if via == "phone":
        body.update(phone=values["phone"], code=values["code"])
    else:
        body["email"] = values["email"]
    try:
        if via == "phone" and not values["code"]:
            raise api.ApiProblem(422, t("code.needed"), type=INVALID,
                                 fields={"code": [t("code.needed")]})
        api.post("/auth/register", {k: v for k, v in body.items() if v is not None},
                 credentials=True)
        tokens = api.post("/auth/login", {"login": login, "password": password},
                          credentials=True)
    except api.ApiProblem as problem:
        return render_template("accounts/sign_up.html", problem=problem,
                               next=safe_next("/account"), via=via,
                               values=values), problem.status
    signed_in(tokens)
    flash(t("sign_up.welcome"))
    return redirect(safe_next("/account"))


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
