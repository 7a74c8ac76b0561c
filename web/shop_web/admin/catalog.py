"""Products and SKUs in the console: the searchable list, create, edit, set stock, import a
product file."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.admin.base import PAGE_SIZE, form_problem, pages
from shop_web.admin.product_form import ProductForm
from shop_web.i18n import t, texts

texts({
    "admin.products.search": ("搜索商品", "Search products"),
    "admin.products.new": ("新建商品", "New product"),
    "admin.products.edit": ("编辑商品", "Edit product"),
    "admin.products.name": ("商品名称", "Name"),
    "admin.products.brand": ("品牌", "Brand"),
    "admin.products.category": ("分类", "Category"),
    "admin.products.choose": ("请选择分类", "Choose a category"),
    "admin.products.description": ("商品描述", "Description"),
    "admin.products.price": ("价格（元）", "Price (yuan)"),
    "admin.products.from_price": ("最低价", "From"),
    "admin.products.in_stock": ("有货", "In stock"),
    "admin.products.sold_out": ("无货", "Sold out"),
    "admin.products.sales": ("销量", "Sales"),
    "admin.products.skus": ("SKU", "SKUs"),
    "admin.products.sku_code": ("SKU 编码", "SKU code"),
    "admin.products.attributes": ("规格（如 颜色:白色）", "Attributes (e.g. colour:white)"),
    "admin.products.stock": ("库存", "Stock"),
    "admin.products.available": ("可售", "Available"),
    "admin.products.new_sku": ("新增 SKU", "New SKU"),
    "admin.products.sku_row": ("SKU {n}", "SKU {n}"),
    "admin.products.create": ("创建商品", "Create product"),
    "admin.products.created": ("商品已创建：{name}", "Product created: {name}"),
    "admin.products.saved": ("商品已保存", "Product saved"),
    "admin.products.set_stock": ("设置库存", "Set stock"),
    "admin.products.stock_of": ("{sku} 的库存", "Stock of {sku}"),
    "admin.products.stock_set": ("{sku} 库存已设为 {on_hand}（订单预留 {reserved}）",
                                 "Stock of {sku} set to {on_hand} ({reserved} reserved by orders)"),
    "admin.products.view": ("在商城查看", "View in the shop"),
    "admin.import": ("导入商品", "Import products"),
    "admin.import.file": ("商品文件（NDJSON）", "Product file (NDJSON)"),
    "admin.import.hint": ("每行一个商品，字段与新建商品相同；已有商品（按第一个 SKU 识别）会跳过。"
                          "文件有任何一行出错，则整个文件都不导入。",
                          "One product a line, with the fields of a new product; products "
                          "already there (known by their first SKU) are skipped. If any line "
                          "is wrong, nothing of the file is imported."),
    "admin.import.submit": ("开始导入", "Import"),
    "admin.import.choose": ("请选择要导入的文件", "Choose a file to import"),
    "admin.import.done": ("已导入 {added} 个商品，跳过已有商品 {skipped} 个",
                          "{added} products imported, {skipped} already there skipped"),
    "admin.import.bad_lines": ("出错的行", "Lines with errors"),
    "admin.import.line": ("第 {n} 行", "Line {n}"),
    "admin.import.whole_file": ("整个文件", "The whole file"),
    "admin.import.taken": ("已被其他商品使用的 SKU：{skus}",
                           "SKU codes used by other products: {skus}"),
})

NDJSON = "application/x-ndjson"


@pages.get("/products")
def products() -> str:
    q = request.args.get("q", "").strip()
    sort = "relevance" if q else "newest"
    found = api.get("/products", q=q, sort=sort, cursor=request.args.get("cursor"),
                    limit=PAGE_SIZE)
    return render_template("admin/products.html", q=q, page=found)


@pages.get("/products/import")
def import_form() -> str:
    return render_template("admin/product_import.html", problem=None, bad_lines=[])


@pages.post("/products/import")
def import_products() -> Response | tuple[str, int]:
    upload = request.files.get("file")
    content = upload.read() if upload else b""
    try:
        if not content.strip():
            raise form_problem({"file": t("admin.import.choose")})
        done = api.upload("/admin/products/import", content, NDJSON)
    except api.ApiProblem as problem:
        return render_template("admin/product_import.html", problem=problem,
                               bad_lines=_bad_lines(problem)), problem.status
    flash(t("admin.import.done", added=done["products_added"],
            skipped=done["products_skipped"]))
    return redirect(url_for("admin.products"))


def _bad_lines(problem: api.ApiProblem) -> list[tuple[int, str, str]]:
    """The file's bad lines as the API named them (``3.skus.0.price`` under ``body``):
    (line number, the field in the line, the messages), line 0 being the whole file."""
    found = []
    for key, messages in problem.fields.items():
        line, _, name = key.partition(".")
        if line.isdigit():
            found.append((int(line), name, " ".join(messages)))
    return sorted(found)


@pages.get("/products/new")
def new_product() -> str:
    return _product_form(ProductForm.blank(), None)


@pages.post("/products/new")
def create_product() -> Response | tuple[str, int]:
    form = ProductForm.read(request.form)
    body, mistakes = form.new_product()
    try:
        if mistakes:
            raise form_problem(mistakes)
        product = api.post("/admin/products", body)
    except api.ApiProblem as problem:
        return _product_form(form, None, problem), problem.status
    flash(t("admin.products.created", name=product["name"]))
    return redirect(url_for("admin.edit_product", product_id=product["id"]))


@pages.get("/products/<int:product_id>")
def edit_product(product_id: int) -> str:
    product = api.get(f"/products/{product_id}")
    return _product_form(ProductForm.of_product(product), product)


@pages.post("/products/<int:product_id>")
def save_product(product_id: int) -> Response | tuple[str, int]:
    form = ProductForm.read(request.form)
    body, mistakes = form.changes()
    try:
        if mistakes:
            raise form_problem(mistakes)
        api.patch(f"/admin/products/{product_id}", body)
    except api.ApiProblem as problem:
        return _product_form(form, api.get(f"/products/{product_id}"), problem), problem.status
    flash(t("admin.products.saved"))
    return redirect(url_for("admin.edit_product", product_id=product_id))


@pages.post("/products/<int:product_id>/stock")
def set_stock(product_id: int) -> Response | tuple[str, int]:
    sku = request.form.get("sku", "")
    typed = request.form.get("quantity", "").strip()
    try:
        if not typed.isdigit():
            raise form_problem({"quantity": t("admin.form.stock_invalid")})
        changed = api.put(f"/admin/skus/{sku}/stock", {"quantity": int(typed)})
    except api.ApiProblem as problem:
        product = api.get(f"/products/{product_id}")
        return _product_form(ProductForm.of_product(product), product, None,
                             stock_problem=(sku, typed, problem)), problem.status
    flash(t("admin.products.stock_set", sku=sku, on_hand=changed["on_hand"],
            reserved=changed["reserved"]))
    return redirect(url_for("admin.edit_product", product_id=product_id))


def _product_form(form: ProductForm, product: dict[str, Any] | None,
                  problem: api.ApiProblem | None = None,
                  stock_problem: tuple[str, str, api.ApiProblem] | None = None) -> str:
    return render_template("admin/product_form.html", form=form, product=product,
                           problem=problem, stock_problem=stock_problem,
                           categories=category_choices())


def category_choices() -> list[tuple[int, str]]:
    """Every category as ``(id, "top / middle / leaf")``, in the tree's order."""
    choices: list[tuple[int, str]] = []

    def walk(nodes: list[dict[str, Any]], path: list[str]) -> None:
        for node in nodes:
            here = [*path, node["name"]]
            choices.append((node["id"], " / ".join(here)))
            walk(node.get("children") or [], here)

    walk(api.get("/categories")["items"], [])
    return choices
