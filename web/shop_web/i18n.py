"""Chinese by default, English on request: every text of a page is looked up by key.

Each area of the site registers its own texts next to its routes (``texts({...})``), so
that areas do not share one long file; a key registered twice with different words is a
mistake caught at import time.
"""

from __future__ import annotations

from flask import request, session

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
_TEXTS: dict[str, tuple[str, str]] = {}


def texts(entries: dict[str, tuple[str, str]]) -> None:
    """Register ``key -> (Chinese, English)``; ``{name}`` placeholders are filled by ``t``."""
    for key, words in entries.items():
        known = _TEXTS.get(key)
        if known is not None and known != words:
            raise ValueError(f"text {key!r} registered twice with different words")
        _TEXTS[key] = words


def language() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh", "en"]) if request else None
    return best if best == "en" and not request.accept_languages["zh"] else DEFAULT_LANGUAGE


def t(key: str, **values: object) -> str:
    words = _TEXTS.get(key)
    if words is None:
        return key  # visible in the page, and caught by the browser tests' text checks
    text = words[LANGUAGES.index(language())]
    return text.format(**values) if values else text


texts({
    "site.name": ("小铺商城", "Xiaopu Shop"),
    "site.tagline": ("好物 · 好价 · 次日达", "Good things, good prices, next-day delivery"),
    "nav.home": ("首页", "Home"),
    "nav.categories": ("分类", "Categories"),
    "nav.cart": ("购物车", "Cart"),
    "nav.account": ("我的", "My account"),
    "nav.orders": ("我的订单", "My orders"),
    "nav.sign_in": ("登录", "Sign in"),
    "nav.sign_up": ("注册", "Sign up"),
    "nav.sign_out": ("退出", "Sign out"),
    "nav.admin": ("管理后台", "Admin console"),
    "nav.language": ("English", "中文"),
    "nav.skip": ("跳到主要内容", "Skip to main content"),
    "search.label": ("搜索商品", "Search products"),
    "search.placeholder": ("搜索商品、品牌", "Search products, brands"),
    "search.submit": ("搜索", "Search"),
    "error.title": ("出错了", "Something went wrong"),
    "error.back": ("返回首页", "Back to the home page"),
    "error.not_found": ("页面不存在", "Page not found"),
    "error.forbidden": ("没有权限访问此页面", "You may not open this page"),
    "error.try_again": ("请稍后重试", "Please try again"),
    "common.save": ("保存", "Save"),
    "common.cancel": ("取消", "Cancel"),
    "common.load_more": ("加载更多", "Load more"),
    "common.submit": ("提交", "Submit"),
    "footer.note": ("演示商城：支付均为沙箱，不产生真实扣款。",
                    "A demo shop: every payment goes to a sandbox, no real money moves."),
})
