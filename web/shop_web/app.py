"""``create_app()`` builds the web pages: the storefront's areas and the admin console.

Each area of the site is a blueprint of its own module (``AREAS``) with its templates
under ``templates/<area>/``; they share the layout (``templates/base.html``), the texts
(:mod:`shop_web.i18n`), the money and time formats and the API client.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from pathlib import Path

import requests
from flask import Flask, Response, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from service_runtime.app import ReadinessCheck
from service_runtime.app import create_app as create_service_app
from service_runtime.config import HttpSettings
from service_runtime.settings import Environment
from shop_web import formatting, i18n, tracking
from shop_web.gateway_client import ApiProblem, Gateway, SignInRequired, current_shopper
from shop_web.images import images, picture_url
from shop_web.settings import WebSettings

# The site's areas, each a module with a blueprint named ``pages``; a module that does
# not exist yet is skipped, so the areas can land one by one.
AREAS = ("home", "catalog_pages", "cart_pages", "accounts", "checkout", "my_orders",
         "aftersales_pages", "marketing_pages", "group_buy_pages", "flash_pages", "admin")
# Pages change with every stock figure and price: browsers must not keep them.
NO_STORE = "no-store"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
        "script-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def create_app(config: dict | None = None, settings: WebSettings | None = None) -> Flask:
    environment = Environment()
    http = HttpSettings.read(environment)
    settings = settings or WebSettings.read(environment)
    environment.check()
    gateway = Gateway(settings.gateway_url, settings.timeouts, settings.pool_size,
                      settings.flash_gateway_url)
    app = create_service_app("web", config=config, openapi=False, settings=settings,
                             runtime=(http, None),
                             readiness=[ReadinessCheck("gateway", _reachable(gateway))])
    app.root_path = str(Path(__file__).parent)  # templates/ and static/ are beside this
    app.template_folder = "templates"
    app.static_folder = "static"
    app.static_url_path = "/static"
    app.add_url_rule("/static/<path:filename>", endpoint="static",
                     view_func=app.send_static_file)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="shop_session",
        SESSION_COOKIE_HTTPONLY=True,
        # Lax: a form on another site cannot post with the shopper's cookie (no CSRF).
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(days=7),
    )
    app.config.update(config or {})
    app.extensions["shop_gateway"] = gateway
    tracking.install(app, gateway)
    app.jinja_env.globals.update(t=i18n.t, language=i18n.language, html_lang=i18n.HTML_LANG,
                                 shopper=current_shopper, picture_url=picture_url)
    app.jinja_env.filters.update(money=formatting.money, when=formatting.when)

    app.register_blueprint(images)
    for area in AREAS:
        try:
            module = import_module(f"shop_web.{area}")
        except ModuleNotFoundError as missing:
            if missing.name != f"shop_web.{area}":
                raise
            continue
        app.register_blueprint(module.pages)

    @app.get("/lang/<code>")
    def switch_language(code: str) -> Response:
        if code in i18n.LANGUAGES:
            session["lang"] = code
        back = request.args.get("next", "/")
        return redirect(back if back.startswith("/") and not back.startswith("//") else "/")

    @app.errorhandler(SignInRequired)
    def sign_in_first(_error: SignInRequired) -> Response:
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?"))
                        if "accounts.sign_in" in app.view_functions else "/")

    @app.errorhandler(ApiProblem)
    def api_problem(problem: ApiProblem) -> tuple[str, int]:
        return render_template("error.html", problem=problem), problem.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        problem = ApiProblem(error.code or 500, error.name, error.description or "")
        return render_template("error.html", problem=problem), problem.status

    @app.after_request
    def page_headers(response: Response) -> Response:
        if request.endpoint not in ("static", "images.placeholder"):
            response.headers.setdefault("Cache-Control", NO_STORE)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _reachable(gateway: Gateway):  # type: ignore[no-untyped-def]
    def check() -> None:
        response = requests.get(gateway.base_url.rsplit("/api/", 1)[0] + "/healthz",
                                timeout=gateway.timeouts)
        response.raise_for_status()

    return check
