"""The user service as the shared runtime sees it."""

from pathlib import Path

import click

from service_runtime.cli import read_settings
from service_runtime.config import database_url
from service_runtime.db import Database
from service_runtime.ids import utcnow as now
from service_runtime.service import ServiceDefinition
from user.handlers import handlers
from user.member_permissions import INBOUND as MEMBER_PERMISSIONS
from user.models import Base
from user.notifications import notification_sender
from user.points_expiry import points_expiry
from user.settings import UserSettings


@click.command("ensure-admin", help="Create the admin account from ADMIN_EMAIL / ADMIN_PASSWORD.")
def ensure_admin() -> None:
    from user.accounts import ensure_admin as ensure

    settings = read_settings(UserSettings.from_env)
    user, created = ensure(Database(database_url("user")), settings.admin_email,
                           settings.admin_password)
    click.echo(f"user: admin {settings.admin_email} "
               f"{'created' if created else 'already exists'} ({user.id})")


# The demo customer's address book starts with one address, so checkout works at once.
DEMO_ADDRESS = {"recipient": "演示用户 Demo", "phone": "13800138000", "province": "上海市",
                "city": "上海市", "district": "浦东新区", "detail": "世纪大道 100 号",
                "postal_code": "200120"}


@click.command("ensure-customer",
               help="Create a customer account (with a default address) once; print its id.")
@click.argument("email")
@click.argument("password")
def ensure_customer(email: str, password: str) -> None:
    from user.accounts import ensure_account
    from user.addresses import ensure_address

    db = Database(database_url("user"))
    user, _ = ensure_account(db, email, password)
    ensure_address(db, user.id, DEMO_ADDRESS)
    click.echo(user.id)


@click.command("mailbox", help="Show what the local mailbox holds for an email or phone.")
@click.argument("target")
def mailbox(target: str) -> None:
    from user.notifications import LocalMailbox

    click.echo(LocalMailbox().read(target) or f"(nothing for {target})")


@click.command("grant-points",
               help="Give a member points and/or growth value (demos, tests, goodwill).")
@click.option("--email", help="The member's email.")
@click.option("--user-id", help="The member's id (instead of --email).")
@click.option("--points", "points_", type=click.IntRange(min=0), default=0)
@click.option("--growth", type=click.IntRange(min=0), default=0)
def grant_points(email: str | None, user_id: str | None, points_: int, growth: int) -> None:
    from user.accounts import user_id_for_email
    from user.membership import grant
    from user.membership_view import membership_of

    db = Database(database_url("user"))
    if not user_id:
        user_id = user_id_for_email(db, (email or "").lower())
        if user_id is None:
            raise click.ClickException(f"no account with the email {email!r}")
    grant(db, user_id, points_, growth, now())
    state = membership_of(db, user_id, 1, None)
    click.echo(f"user: {user_id} level {state['level']['code']} growth {state['growth']} "
               f"points {state['points']['balance']}")


@click.command("load-test-shoppers",
               help="Make COUNT shoppers (account, address, access token) for a load test; "
                    "print one JSON object a line.")
@click.argument("count", type=click.IntRange(min=1, max=100_000))
@click.option("--password", default="load-test-password-1", show_default=True)
@click.option("--prefix", help="Their emails are <prefix>-<n>@load.test [random].")
def load_test_shoppers(count: int, password: str, prefix: str | None) -> None:
    import json
    from dataclasses import asdict

    from service_runtime.auth import AuthSettings
    from user.load_test_shoppers import make_shoppers

    settings = read_settings(AuthSettings.from_env)
    db = Database(database_url("user"))
    try:
        for shopper in make_shoppers(db, count, password, settings, prefix):
            click.echo(json.dumps(asdict(shopper)))
    finally:
        db.dispose()


def _loops(settings: UserSettings) -> list:
    expiry = [points_expiry(settings)] if settings.points_expiry_days else []
    return [notification_sender, *expiry]


DEFINITION = ServiceDefinition(
    name="user",
    app="user.app:create_app()",
    api_port=8101,
    worker_port=9101,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    settings=UserSettings,
    handlers=handlers,
    commands=[ensure_admin, ensure_customer, mailbox, grant_points, load_test_shoppers],
    # The notification sender; the points expiry unless POINTS_EXPIRY_DAYS is 0.
    loops=_loops,
    # Member permissions sent back by the middle platform (docs/integration.md).
    inbound=[MEMBER_PERMISSIONS],
)
