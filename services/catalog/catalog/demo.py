"""The demo catalog: a 3-level category tree and a few hundred products, made from tables.

Everything is deterministic (no randomness, no clock): loading it twice, or on two
machines, gives the same products, SKUs, prices and stock. The six SKUs the order
service's demo prices name are here with the same prices.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

# (id, name, English name, children); leaves have no children.
TREE: list[tuple[int, str, str, list]] = [
    (1, "家用电器", "Home Appliances", [
        (11, "厨房电器", "Kitchen Appliances", [
            (111, "电热水壶", "Electric Kettles", []),
            (112, "电饭煲", "Rice Cookers", []),
            (113, "微波炉", "Microwave Ovens", []),
            (114, "破壁机", "Blenders", []),
        ]),
        (12, "生活电器", "Household Appliances", [
            (121, "吸尘器", "Vacuum Cleaners", []),
            (122, "电风扇", "Electric Fans", []),
            (123, "空气净化器", "Air Purifiers", []),
        ]),
    ]),
    (2, "手机数码", "Phones & Digital", [
        (21, "手机配件", "Phone Accessories", [
            (211, "手机壳", "Phone Cases", []),
            (212, "充电器", "Chargers", []),
            (213, "数据线", "Charging Cables", []),
        ]),
        (22, "影音娱乐", "Audio", [
            (221, "蓝牙耳机", "Bluetooth Earbuds", []),
            (222, "蓝牙音箱", "Bluetooth Speakers", []),
        ]),
        (23, "智能设备", "Smart Devices", [
            (231, "智能手表", "Smart Watches", []),
            (232, "智能手环", "Fitness Bands", []),
        ]),
    ]),
    (3, "食品饮料", "Food & Drinks", [
        (31, "茶叶", "Tea", [
            (311, "绿茶", "Green Tea", []),
            (312, "红茶", "Black Tea", []),
            (313, "乌龙茶", "Oolong Tea", []),
        ]),
        (32, "休闲零食", "Snacks", [
            (321, "坚果", "Nuts", []),
            (322, "饼干", "Biscuits", []),
        ]),
    ]),
    (4, "家居厨具", "Home & Kitchen", [
        (41, "餐具", "Tableware", [
            (411, "马克杯", "Mugs", []),
            (412, "碗碟", "Bowls & Plates", []),
        ]),
        (42, "烹饪锅具", "Cookware", [
            (421, "炒锅", "Woks", []),
            (422, "保温杯", "Vacuum Flasks", []),
        ]),
    ]),
]

# Brands: (Chinese name, English name, code, price factor in percent).
XIAOMI = ("小米", "Mi", "MI", 90)
MIDEA = ("美的", "Midea", "MD", 100)
SUPOR = ("苏泊尔", "Supor", "SP", 95)
JOYOUNG = ("九阳", "Joyoung", "JY", 92)
PHILIPS = ("飞利浦", "Philips", "PH", 130)
BEAR = ("小熊", "Bear", "BR", 80)
PANASONIC = ("松下", "Panasonic", "PN", 150)
GALANZ = ("格兰仕", "Galanz", "GL", 85)
DYSON = ("戴森", "Dyson", "DY", 400)
GREE = ("格力", "Gree", "GR", 105)
BASEUS = ("倍思", "Baseus", "BS", 85)
ANKER = ("安克", "Anker", "AK", 110)
UGREEN = ("绿联", "Ugreen", "UG", 90)
HUAWEI = ("华为", "Huawei", "HW", 140)
APPLE = ("苹果", "Apple", "AP", 220)
EDIFIER = ("漫步者", "Edifier", "ED", 80)
SONY = ("索尼", "Sony", "SN", 200)
JBL = ("JBL", "JBL", "JB", 150)
HONOR = ("荣耀", "Honor", "HN", 100)
SHIFENG = ("狮峰", "Shifeng", "SF", 130)
ZHANGYIYUAN = ("张一元", "Zhang Yiyuan", "ZY", 100)
BAMA = ("八马", "Bama Tea", "BM", 110)
THREE_SQUIRRELS = ("三只松鼠", "Three Squirrels", "TS", 100)
BESTORE = ("良品铺子", "Bestore", "BT", 105)
OREO = ("奥利奥", "Oreo", "OR", 90)
MODERN_HOUSEWIFE = ("摩登主妇", "Modern Housewife", "MH", 100)
CORELLE = ("康宁", "Corelle", "CR", 160)
ZWILLING = ("双立人", "Zwilling", "ZW", 260)
THERMOS = ("膳魔师", "Thermos", "TH", 150)
TIGER = ("虎牌", "Tiger", "TG", 170)

COLOURS = {
    "WHITE": ("白色", "White"), "BLACK": ("黑色", "Black"), "GREY": ("灰色", "Grey"),
    "BLUE": ("蓝色", "Blue"), "PINK": ("粉色", "Pink"), "GREEN": ("绿色", "Green"),
    "RED": ("红色", "Red"), "CLEAR": ("透明", "Clear"),
}

# One row per leaf category: (category id, SKU code, Chinese kind, English kind,
# base price in fen, brands, variants [(Chinese, English, code, price factor %)],
# the SKU option axis (attribute name, codes) or None for one SKU per product).
KINDS: list[tuple[int, str, str, str, int, list, list, tuple[str, list[str]] | None]] = [
    (111, "KETTLE", "电热水壶", "Electric Kettle", 12900,
     [XIAOMI, MIDEA, SUPOR, PHILIPS, BEAR, JOYOUNG],
     [("1.5L 不锈钢", "1.5L Stainless Steel", "1.5L", 90), ("1.8L 恒温", "1.8L Temperature Control",
                                                         "1.8L", 130)],
     ("colour", ["WHITE", "BLACK"])),
    (112, "RICECOOKER", "电饭煲", "Rice Cooker", 25900, [XIAOMI, SUPOR, PANASONIC, JOYOUNG, MIDEA],
     [("4L 智能预约", "4L Smart Timer", "4L", 110),
      ("5L IH电磁加热", "5L IH Induction", "5L", 170)],
     ("colour", ["WHITE", "GREY"])),
    (113, "MICROWAVE", "微波炉", "Microwave Oven", 49900, [MIDEA, GALANZ, PANASONIC, XIAOMI],
     [("20L 转盘", "20L Turntable", "20L", 80), ("23L 变频", "23L Inverter", "23L", 120),
      ("25L 蒸烤一体", "25L Steam Combi", "25L", 260)], None),
    (114, "BLENDER", "破壁机", "Blender", 39900, [JOYOUNG, MIDEA, SUPOR, BEAR],
     [("1.2L 静音", "1.2L Quiet", "1.2L", 100), ("1.75L 加热", "1.75L Heating", "1.75L", 150)],
     ("colour", ["WHITE", "GREY"])),
    (121, "VACUUM", "吸尘器", "Vacuum Cleaner", 89900, [DYSON, XIAOMI, PHILIPS, MIDEA],
     [("无线手持", "Cordless Handheld", "CORDLESS", 100), ("除螨", "Anti-Mite", "MITE", 60)],
     None),
    (122, "FAN", "电风扇", "Electric Fan", 19900, [GREE, MIDEA, XIAOMI, DYSON],
     [("落地扇", "Pedestal Fan", "STAND", 100), ("台式循环扇", "Desk Air Circulator", "DESK", 80)],
     ("colour", ["WHITE", "BLACK"])),
    (123, "PURIFIER", "空气净化器", "Air Purifier", 129900, [XIAOMI, PHILIPS, DYSON, PANASONIC],
     [("除甲醛", "Formaldehyde Removal", "HCHO", 100), ("除菌", "Anti-Bacterial", "UV", 110)],
     None),
    (211, "CASE", "手机壳", "Phone Case", 4900, [BASEUS, UGREEN, APPLE, HUAWEI],
     [("iPhone 15 Pro", "for iPhone 15 Pro", "IP15P", 100),
      ("Mate 60 Pro", "for Mate 60 Pro", "M60P", 100)],
     ("colour", ["CLEAR", "BLACK", "BLUE"])),
    (212, "CHARGER", "充电器", "Charger", 9900, [ANKER, BASEUS, UGREEN, APPLE, XIAOMI],
     [("20W 快充", "20W Fast Charger", "20W", 70), ("65W 氮化镓", "65W GaN Charger", "65W", 180)],
     ("colour", ["WHITE", "BLACK"])),
    (213, "CABLE", "数据线", "Charging Cable", 2900, [ANKER, BASEUS, UGREEN, APPLE],
     [("USB-C 1米", "USB-C 1m", "C1M", 100), ("USB-C 2米 编织", "USB-C 2m Braided", "C2M", 150)],
     ("colour", ["WHITE", "BLACK"])),
    (221, "EARBUDS", "蓝牙耳机", "Bluetooth Earbuds", 39900, [HUAWEI, APPLE, SONY, EDIFIER,
                                                          XIAOMI, HONOR],
     [("降噪", "Noise Cancelling", "ANC", 150), ("运动", "Sport", "SPORT", 80)],
     ("colour", ["WHITE", "BLACK"])),
    (222, "SPEAKER", "蓝牙音箱", "Bluetooth Speaker", 29900, [JBL, SONY, EDIFIER, XIAOMI, HUAWEI],
     [("便携防水", "Portable Waterproof", "PORT", 100), ("桌面", "Desktop", "DESK", 140)],
     ("colour", ["BLACK", "BLUE"])),
    (231, "WATCH", "智能手表", "Smart Watch", 149900, [HUAWEI, APPLE, XIAOMI, HONOR],
     [("GPS 版", "GPS", "GPS", 100), ("eSIM 版", "eSIM Cellular", "ESIM", 130)],
     ("colour", ["BLACK", "PINK"])),
    (232, "BAND", "智能手环", "Fitness Band", 19900, [XIAOMI, HUAWEI, HONOR],
     [("标准版", "Standard", "STD", 100), ("NFC 版", "NFC", "NFC", 120)],
     ("colour", ["BLACK", "GREEN", "PINK"])),
    (311, "GREENTEA", "绿茶", "Green Tea", 12800, [SHIFENG, ZHANGYIYUAN, BAMA],
     [("明前特级 100g", "Pre-Qingming Premium 100g", "100G", 100),
      ("雨前一级 250g", "Pre-Rain Grade One 250g", "250G", 160),
      ("礼盒装 500g", "Gift Box 500g", "500G", 300)], None),
    (312, "BLACKTEA", "红茶", "Black Tea", 9800, [ZHANGYIYUAN, BAMA, SHIFENG],
     [("正山小种 200g", "Lapsang Souchong 200g", "LS200G", 100),
      ("滇红 250g", "Dianhong Yunnan 250g", "DH250G", 120),
      ("金骏眉 100g", "Jin Jun Mei 100g", "JJM100G", 220)], None),
    (313, "OOLONG", "乌龙茶", "Oolong Tea", 11800, [BAMA, ZHANGYIYUAN, SHIFENG],
     [("铁观音 250g", "Tieguanyin 250g", "TGY250G", 100),
      ("大红袍 200g", "Da Hong Pao 200g", "DHP200G", 150)], None),
    (321, "NUTS", "坚果", "Mixed Nuts", 5900, [THREE_SQUIRRELS, BESTORE],
     [("每日坚果 750g", "Daily Nuts 750g", "750G", 100), ("夏威夷果 500g", "Macadamia 500g",
                                                      "MAC500G", 90),
      ("碧根果 500g", "Pecans 500g", "PEC500G", 85), ("巴旦木 500g", "Almonds 500g", "ALM500G", 75),
      ("开心果 500g", "Pistachios 500g", "PIS500G", 95)], None),
    (322, "BISCUIT", "饼干", "Biscuits", 2900, [OREO, BESTORE, THREE_SQUIRRELS],
     [("原味 388g", "Original 388g", "388G", 100), ("巧克力味 388g", "Chocolate 388g", "CHO388G",
                                                  105),
      ("礼盒 1kg", "Gift Box 1kg", "1KG", 250)], None),
    (411, "MUG", "马克杯", "Mug", 3900, [MODERN_HOUSEWIFE, CORELLE, THERMOS, ZWILLING],
     [("陶瓷 400ml", "Ceramic 400ml", "C400ML", 100), ("带盖 500ml", "With Lid 500ml", "L500ML",
                                                    130)],
     ("colour", ["WHITE", "BLUE", "PINK"])),
    (412, "BOWL", "碗碟", "Bowls & Plates Set", 8900, [MODERN_HOUSEWIFE, CORELLE, ZWILLING],
     [("4人食 10件套", "10-piece Set for 4", "10PC", 100),
      ("6人食 22件套", "22-piece Set for 6", "22PC", 190)], None),
    (421, "WOK", "炒锅", "Wok", 19900, [SUPOR, ZWILLING, MIDEA, JOYOUNG],
     [("不粘 30cm", "Non-stick 30cm", "NS30", 100), ("铁锅 32cm", "Cast Iron 32cm", "IR32", 90)],
     None),
    (422, "FLASK", "保温杯", "Vacuum Flask", 9900, [THERMOS, TIGER, SUPOR, XIAOMI],
     [("350ml", "350ml", "350ML", 100), ("500ml", "500ml", "500ML", 120)],
     ("colour", ["BLACK", "WHITE", "PINK"])),
]

# The SKUs the order service's demo prices name, with those prices (and ample stock).
FEATURED: list[dict[str, Any]] = [
    {"name": "小米电热水壶 Mi Electric Kettle 1.7L", "brand": "小米", "category_id": 111,
     "brand_en": "Xiaomi", "code": "KETTLE-MI-1.7L",
     "skus": [("KETTLE-MI-1.7L-WHITE", 9900, {"colour": "白色 White", "capacity": "1.7L"})]},
    {"name": "摩登主妇陶瓷马克杯 Modern Housewife Ceramic Mug 350ml", "brand": "摩登主妇",
     "category_id": 411, "brand_en": "Modern Housewife", "code": "MUG-CERAMIC-350ML",
     "skus": [("MUG-CERAMIC-350ML", 2500, {"colour": "白色 White", "capacity": "350ml"})]},
    {"name": "美的电饭煲 Midea Rice Cooker 3L", "brand": "美的", "category_id": 112,
     "brand_en": "Midea", "code": "RICE-COOKER-3L",
     "skus": [("RICE-COOKER-3L", 29900, {"capacity": "3L"})]},
    {"name": "狮峰西湖龙井茶 Shifeng West Lake Longjing Green Tea 250g", "brand": "狮峰",
     "category_id": 311, "brand_en": "Shifeng", "code": "TEA-LONGJING-250G",
     "skus": [("TEA-LONGJING-250G", 16800, {"weight": "250g"})]},
    {"name": "倍思透明手机壳 Baseus Clear Phone Case", "brand": "倍思", "category_id": 211,
     "brand_en": "Baseus", "code": "PHONE-CASE-CLEAR",
     "skus": [("PHONE-CASE-CLEAR", 3900, {"colour": "透明 Clear"})]},
    {"name": "华为降噪蓝牙耳机 Huawei FreeBuds Pro Bluetooth Earbuds", "brand": "华为",
     "category_id": 221, "brand_en": "Huawei", "code": "EARBUDS-BT-PRO",
     "skus": [("EARBUDS-BT-PRO", 49900, {"colour": "白色 White"})]},
]

FEATURED_STOCK = 500
STOCK_LEVELS = (0, 3, 8, 15, 40, 80, 150, 300)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _hash(text: str) -> int:
    return zlib.crc32(text.encode())


def _price(fen: int) -> int:
    """Shop-style prices: to the yuan, ending in 9 (12345 fen -> 12900)."""
    return max(900, (fen + 99) // 1000 * 1000 - 100)


def categories() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def walk(nodes: list, parent: int | None, level: int) -> None:
        for position, (cid, name, name_en, children) in enumerate(nodes):
            rows.append({"id": cid, "parent_id": parent, "name": name, "name_en": name_en,
                         "level": level, "position": position})
            walk(children, cid, level + 1)

    walk(TREE, None, 1)
    return rows


def _popularity(code: str) -> dict[str, int]:
    h = _hash(code)
    sales = (h % 997) * (h % 23)
    ratings = sales // 4
    return {"sales_count": sales, "rating_count": ratings,
            "rating_avg_x100": 380 + (h >> 8) % 121 if ratings else 0}


def _images(code: str) -> list[str]:
    slug = code.lower()
    return [f"https://img.shop.example/products/{slug}/{n}.jpg" for n in (1, 2, 3)]


def _featured() -> list[dict[str, Any]]:
    products = []
    for index, item in enumerate(FEATURED):
        products.append({
            "name": item["name"], "brand": item["brand"], "category_id": item["category_id"],
            "description": f"{item['name']}。{item['brand']}（{item['brand_en']}）官方正品，"
                           f"全国联保。Official {item['brand_en']} product, nationwide warranty.",
            "images": _images(item["code"]),
            "specs": {"品牌 Brand": f"{item['brand']} {item['brand_en']}",
                      "型号 Model": item["code"], "产地 Origin": "中国 China"},
            "skus": [{"sku": sku, "price": {"amount": amount, "currency": "CNY"},
                      "attributes": attributes, "stock": FEATURED_STOCK}
                     for sku, amount, attributes in item["skus"]],
            "created_at": EPOCH - timedelta(days=30, hours=index),
            **_popularity(item["code"]),
        })
    return products


def products() -> list[dict[str, Any]]:
    """Every demo product, in a fixed order; the featured ones first."""
    rows = _featured()
    for kind_index, (category_id, code, kind, kind_en, base, brands, variants, axis) in \
            enumerate(KINDS):
        for brand_index, (brand, brand_en, brand_code, brand_factor) in enumerate(brands):
            for variant_index, (variant, variant_en, variant_code, factor) in enumerate(variants):
                product_code = f"{brand_code}-{code}-{variant_code}"
                price = _price(base * brand_factor * factor // 10000)
                options = [[o] for o in axis[1]] if axis else [[]]
                skus = []
                for option_index, option in enumerate(options):
                    sku_code = "-".join([product_code, *option])
                    attributes = {"model": f"{variant} {variant_en}"}
                    if option:
                        cn, en = COLOURS[option[0]]
                        attributes[axis[0]] = f"{cn} {en}"
                    skus.append({
                        "sku": sku_code,
                        # A second colour may cost a little more.
                        "price": {"amount": price + option_index * 1000 * (_hash(sku_code) % 2),
                                  "currency": "CNY"},
                        "attributes": attributes,
                        "stock": STOCK_LEVELS[_hash(sku_code) % len(STOCK_LEVELS)],
                    })
                name = f"{brand}{kind} {variant} {brand_en} {kind_en} {variant_en}"
                rows.append({
                    "name": name,
                    "brand": brand,
                    "category_id": category_id,
                    "description": (
                        f"{brand}（{brand_en}）{kind}，{variant}。品质之选，七天无理由退货。"
                        f"{brand_en} {kind_en.lower()}, {variant_en}. Quality you can trust, "
                        f"7-day no-reason returns."
                    ),
                    "images": _images(product_code),
                    "specs": {"品牌 Brand": f"{brand} {brand_en}", "型号 Model": product_code,
                              "规格 Variant": f"{variant} {variant_en}",
                              "产地 Origin": "中国 China", "保修 Warranty": "1年 1 year"},
                    "skus": skus,
                    "created_at": EPOCH + timedelta(
                        hours=kind_index * 37 + brand_index * 11 + variant_index * 5),
                    **_popularity(product_code),
                })
    return rows
