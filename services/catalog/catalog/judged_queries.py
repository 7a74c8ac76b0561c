"""A judged query set over the demo catalog (``demo.py``): for each query, the products
that must come first (in any order among themselves). The catalog's tests check them and
``bench/catalog_scale.py`` scores them (nDCG@10) before and after a change to search."""

from __future__ import annotations

import math

KETTLES_MI = ["小米电热水壶 Mi Electric Kettle 1.7L",
              "小米电热水壶 1.5L 不锈钢 Mi Electric Kettle 1.5L Stainless Steel",
              "小米电热水壶 1.8L 恒温 Mi Electric Kettle 1.8L Temperature Control"]
LONGJING = ["狮峰西湖龙井茶 Shifeng West Lake Longjing Green Tea 250g"]
DYSON_VACUUMS = ["戴森吸尘器 无线手持 Dyson Vacuum Cleaner Cordless Handheld",
                 "戴森吸尘器 除螨 Dyson Vacuum Cleaner Anti-Mite"]
TIEGUANYIN = ["八马乌龙茶 铁观音 250g Bama Tea Oolong Tea Tieguanyin 250g",
              "张一元乌龙茶 铁观音 250g Zhang Yiyuan Oolong Tea Tieguanyin 250g",
              "狮峰乌龙茶 铁观音 250g Shifeng Oolong Tea Tieguanyin 250g"]
MACADAMIA = ["三只松鼠坚果 夏威夷果 500g Three Squirrels Mixed Nuts Macadamia 500g",
             "良品铺子坚果 夏威夷果 500g Bestore Mixed Nuts Macadamia 500g"]
GAN_CHARGERS = [f"{cn}充电器 65W 氮化镓 {en} Charger 65W GaN Charger"
                for cn, en in (("安克", "Anker"), ("倍思", "Baseus"), ("绿联", "Ugreen"),
                               ("苹果", "Apple"), ("小米", "Mi"))]
IPHONE_CASES = [f"{cn}手机壳 iPhone 15 Pro {en} Phone Case for iPhone 15 Pro"
                for cn, en in (("倍思", "Baseus"), ("绿联", "Ugreen"), ("苹果", "Apple"),
                               ("华为", "Huawei"))]
ANC_EARBUDS = [f"{cn}蓝牙耳机 降噪 {en} Bluetooth Earbuds Noise Cancelling"
               for cn, en in (("华为", "Huawei"), ("苹果", "Apple"), ("索尼", "Sony"),
                              ("漫步者", "Edifier"), ("小米", "Mi"), ("荣耀", "Honor"))]

# (query, the products that must come first)
JUDGED: list[tuple[str, list[str]]] = [
    ("小米电热水壶", KETTLES_MI),
    ("mi kettle", KETTLES_MI),
    ("龙井", LONGJING),
    ("longjing tea", LONGJING),
    ("戴森吸尘器", DYSON_VACUUMS),
    ("dyson vacuum", DYSON_VACUUMS),
    ("铁观音", TIEGUANYIN),
    ("tieguanyin", TIEGUANYIN),
    ("夏威夷果", MACADAMIA),
    ("macadamia", MACADAMIA),
    ("氮化镓充电器", GAN_CHARGERS),
    ("65w gan charger", GAN_CHARGERS),
    ("iphone 15 pro 手机壳", IPHONE_CASES),
    ("降噪蓝牙耳机", [*ANC_EARBUDS, "华为降噪蓝牙耳机 Huawei FreeBuds Pro Bluetooth Earbuds"]),
    ("noise cancelling earbuds", ANC_EARBUDS),
    ("华为智能手表", ["华为智能手表 GPS 版 Huawei Smart Watch GPS",
                "华为智能手表 eSIM 版 Huawei Smart Watch eSIM Cellular"]),
    ("apple smart watch", ["苹果智能手表 GPS 版 Apple Smart Watch GPS",
                           "苹果智能手表 eSIM 版 Apple Smart Watch eSIM Cellular"]),
    ("小米手环", ["小米智能手环 标准版 Mi Fitness Band Standard",
              "小米智能手环 NFC 版 Mi Fitness Band NFC"]),
    ("金骏眉", ["张一元红茶 金骏眉 100g Zhang Yiyuan Black Tea Jin Jun Mei 100g",
             "八马红茶 金骏眉 100g Bama Tea Black Tea Jin Jun Mei 100g",
             "狮峰红茶 金骏眉 100g Shifeng Black Tea Jin Jun Mei 100g"]),
    ("奥利奥饼干", ["奥利奥饼干 原味 388g Oreo Biscuits Original 388g",
               "奥利奥饼干 巧克力味 388g Oreo Biscuits Chocolate 388g",
               "奥利奥饼干 礼盒 1kg Oreo Biscuits Gift Box 1kg"]),
    ("膳魔师保温杯", ["膳魔师保温杯 350ml Thermos Vacuum Flask 350ml",
                "膳魔师保温杯 500ml Thermos Vacuum Flask 500ml"]),
    ("zwilling wok", ["双立人炒锅 不粘 30cm Zwilling Wok Non-stick 30cm",
                      "双立人炒锅 铁锅 32cm Zwilling Wok Cast Iron 32cm"]),
    ("苏泊尔电饭煲", ["苏泊尔电饭煲 4L 智能预约 Supor Rice Cooker 4L Smart Timer",
                "苏泊尔电饭煲 5L IH电磁加热 Supor Rice Cooker 5L IH Induction"]),
    ("panasonic microwave", ["松下微波炉 20L 转盘 Panasonic Microwave Oven 20L Turntable",
                             "松下微波炉 23L 变频 Panasonic Microwave Oven 23L Inverter",
                             "松下微波炉 25L 蒸烤一体 Panasonic Microwave Oven 25L Steam Combi"]),
    ("jbl speaker", ["JBL蓝牙音箱 便携防水 JBL Bluetooth Speaker Portable Waterproof",
                     "JBL蓝牙音箱 桌面 JBL Bluetooth Speaker Desktop"]),
    ("透明手机壳", ["倍思透明手机壳 Baseus Clear Phone Case"]),
    ("九阳破壁机", ["九阳破壁机 1.2L 静音 Joyoung Blender 1.2L Quiet",
               "九阳破壁机 1.75L 加热 Joyoung Blender 1.75L Heating"]),
]


def ndcg_at(ranked: list[str], relevant: list[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain of a ranking, binary relevance, at ``k``."""
    gain = sum(1 / math.log2(rank + 2) for rank, name in enumerate(ranked[:k])
               if name in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return gain / ideal
