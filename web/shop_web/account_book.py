"""The signed-in shopper's own pages: the profile and the address book.

A blueprint nested in the accounts area (its endpoints read ``accounts.book.*``). Every
page asks the API as the shopper; a guest gets a 401, which the app turns into the sign-in
page and back here afterwards.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.i18n import t, texts

pages = Blueprint("book", __name__)
ADDRESS_FIELDS = ("recipient", "phone", "province", "city", "district", "detail", "postal_code")

texts({
    "account.title": ("我的账号", "My account"),
    "account.profile": ("个人资料", "Profile"),
    "account.email": ("邮箱", "Email"),
    "account.phone": ("手机号", "Phone"),
    "account.nickname": ("昵称", "Nickname"),
    "account.since": ("注册时间", "Member since"),
    "account.saved": ("资料已保存", "Profile saved"),
    "account.none": ("未填写", "Not given"),
    "account.links": ("更多", "More"),
    "account.addresses": ("收货地址", "Addresses"),
    "address.title": ("收货地址", "Delivery addresses"),
    "address.empty": ("还没有收货地址", "No address yet"),
    "address.add": ("新增收货地址", "Add an address"),
    "address.edit": ("编辑收货地址", "Edit the address"),
    "address.edit_link": ("编辑", "Edit"),
    "address.delete": ("删除", "Delete"),
    "address.make_default": ("设为默认", "Make default"),
    "address.default": ("默认", "Default"),
    "address.recipient": ("收货人", "Recipient"),
    "address.phone": ("手机号码", "Mobile number"),
    "address.province": ("省份", "Province"),
    "address.city": ("城市", "City"),
    "address.district": ("区县", "District"),
    "address.detail": ("详细地址", "Street address"),
    "address.postal_code": ("邮政编码（选填）", "Postal code (optional)"),
    "address.is_default": ("设为默认地址", "Use as the default address"),
    "address.save": ("保存地址", "Save the address"),
    "address.added": ("地址已添加", "Address added"),
    "address.updated": ("地址已更新", "Address updated"),
    "address.deleted": ("地址已删除", "Address deleted"),
    "address.defaulted": ("已设为默认地址", "Now the default address"),
    "address.back": ("返回地址列表", "Back to the addresses"),
})


@pages.get("/account")
def profile() -> str:
    return render_template("accounts/profile.html", me=api.get("/users/me"), problem=None,
                           values={})


@pages.post("/account")
def profile_submit() -> Response | tuple[str, int]:
    values = {"nickname": request.form.get("nickname", "").strip()}
    try:
        api.patch("/users/me", values)
    except api.ApiProblem as problem:
        return render_template("accounts/profile.html", me=api.get("/users/me"),
                               problem=problem, values=values), problem.status
    flash(t("account.saved"))
    return redirect(url_for("accounts.book.profile"))


@pages.get("/account/addresses")
def addresses() -> str:
    return _book(problem=None, values={})


@pages.post("/account/addresses")
def add_address() -> Response | tuple[str, int]:
    values = _address_form()
    body = {k: v for k, v in values.items() if v != ""}  # blank optional fields: not given
    try:
        api.post("/users/me/addresses", body)
    except api.ApiProblem as problem:
        return _book(problem=problem, values=values), problem.status
    flash(t("address.added"))
    return redirect(url_for("accounts.book.addresses"))


@pages.get("/account/addresses/<address_id>/edit")
def edit_address(address_id: str) -> str:
    address = api.get(f"/users/me/addresses/{address_id}")
    return render_template("accounts/address_edit.html", address=address, values=address,
                           problem=None)


@pages.post("/account/addresses/<address_id>/edit")
def edit_address_submit(address_id: str) -> Response | tuple[str, int]:
    values = _address_form()
    body = {k: (None if k == "postal_code" and v == "" else v) for k, v in values.items()}
    try:
        api.patch(f"/users/me/addresses/{address_id}", body)
    except api.ApiProblem as problem:
        return render_template("accounts/address_edit.html", address={"id": address_id},
                               values=values, problem=problem), problem.status
    flash(t("address.updated"))
    return redirect(url_for("accounts.book.addresses"))


@pages.post("/account/addresses/<address_id>/default")
def make_default(address_id: str) -> Response:
    api.patch(f"/users/me/addresses/{address_id}", {"is_default": True})
    flash(t("address.defaulted"))
    return redirect(url_for("accounts.book.addresses"))


@pages.post("/account/addresses/<address_id>/delete")
def delete_address(address_id: str) -> Response:
    api.delete(f"/users/me/addresses/{address_id}")
    flash(t("address.deleted"))
    return redirect(url_for("accounts.book.addresses"))


def _book(problem: api.ApiProblem | None, values: dict) -> str:
    book = api.get("/users/me/addresses")
    # The default first, as a shopper looks for it.
    book.sort(key=lambda address: not address.get("is_default"))
    return render_template("accounts/addresses.html", book=book, problem=problem,
                           values=values)


def _address_form() -> dict:
    values: dict = {name: request.form.get(name, "").strip() for name in ADDRESS_FIELDS}
    values["is_default"] = request.form.get("is_default") == "on"
    return values
