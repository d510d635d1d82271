"""Row generators for places: tourism, culture, sports, parks, police and fire, and district datasets."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from publicdata.demo.specs import DatasetSpec
from publicdata.demo.tables_base import Hours, Maker, Row, RowDict, RowFunction, at, month_start, span, unique
from publicdata.demo.tables_geo import DistrictGeo, all_towns, district_by_code, districts, pick_district
from publicdata.demo.tables_names import TRADE_NAMES

CN_NUM = "一二三四五六七八九十"


def records(text: str) -> list[list[str]]:
    """Compact reference tables: records separated by whitespace, fields by "/" ("a/1 b/2")."""
    return [item.split("/") for item in text.split()]


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def dist(suffix: str) -> DistrictGeo:
    """The district with code ``3101`` + suffix."""
    return district_by_code()[f"3101{suffix}"]


def short_town(town: str) -> str:
    """"嘉定镇街道" → "嘉定", "川沙新镇" → "川沙", "堡镇" stays."""
    for suffix in ("街道", "新镇", "镇", "乡"):
        if town.endswith(suffix) and len(town) > len(suffix) + 1:
            town = town.removesuffix(suffix)
    return town


def road_stem(road: str) -> str:
    """"曹杨路" → "曹杨", "南京东路" → "南京", "古北路" → "古北"."""
    for suffix in ("公路", "大道", "路"):
        road = road.removesuffix(suffix)
    while len(road) > 2 and road[-1] in "东西南北中一二三四":
        road = road[:-1]
    return road


_COMPOUND_SUFFIXES = words("新村 一村 二村 三村 小区 花园 公寓 苑 家园 大楼 新苑 名邸")


def compound(rng: random.Random, d: DistrictGeo) -> str:
    """A residential compound (小区) name such as "曹杨新村" or "瑞丰苑"."""
    base = road_stem(rng.choice(d.roads)) if rng.random() < 0.6 else rng.choice(TRADE_NAMES)
    return base + rng.choice(_COMPOUND_SUFFIXES)


def pick(r: Row, options: dict[str, float]) -> str:
    """A weighted choice from {option: weight}."""
    return r.rng.choices(list(options), weights=list(options.values()))[0]


# --- tourism and culture ----------------------------------------------------------------------

_SCENIC_HOURS = {"P": "每日 6:00-18:00", "G": "每日 8:30-17:00（16:00停止入园）", "M": Hours.MUSEUM,
                 "T": "每日 9:00-21:30", "A": "每日 9:00-17:30", "O": "全天开放"}
_SCENIC_OPEN = {"P": (360, 1080), "G": (510, 1020), "M": (540, 1020), "T": (540, 1290), "A": (540, 1050),
                "O": (0, 1440)}
# name/rating/district suffix/adult ticket/hours kind/instant capacity in thousands
_SCENIC = records("""
东方明珠广播电视塔/5A/15/199/T/6 上海野生动物园/5A/15/165/G/40 上海科技馆/5A/15/45/M/20
中共一大纪念馆/5A/01/0/M/3 豫园/4A/01/40/G/8 上海城隍庙旅游区/4A/01/0/O/30 上海动物园/4A/05/40/G/50
上海植物园/4A/04/15/G/30 上海辰山植物园/4A/17/60/G/40 共青国家森林公园/4A/10/15/P/30
上海海洋水族馆/4A/15/160/A/5 金茂大厦88层观光厅/4A/15/120/T/2 上海环球金融中心观光厅/4A/15/180/T/2.5
上海中心大厦上海之巅观光厅/4A/15/180/T/3 上海天文馆/4A/15/30/M/6 上海自然博物馆/4A/06/30/M/8
上海长风海洋世界/4A/07/160/A/6 上海欢乐谷/4A/17/230/A/40 上海佘山国家森林公园/4A/17/30/G/20
广富林文化遗址/4A/17/50/G/15 上海影视乐园/4A/17/80/A/15 上海月湖雕塑公园/4A/17/60/G/8
朱家角古镇/4A/18/0/O/50 东方绿舟/4A/18/50/G/40 上海大观园/4A/18/60/G/15 枫泾古镇/4A/16/0/O/30
上海汽车博览公园/4A/14/60/G/10 古猗园/4A/14/12/G/12 上海国际赛车场/4A/14/60/A/20 上海玻璃博物馆/4A/13/40/M/3
顾村公园/4A/13/0/P/60 吴淞炮台湾湿地森林公园/4A/13/0/P/20 上海海湾国家森林公园/4A/20/40/G/20
东平国家森林公园/4A/51/40/G/30 崇明东滩湿地公园/4A/51/50/G/15 明珠湖·西沙湿地景区/4A/51/50/G/15
七宝老街/4A/12/0/O/20 新场古镇/4A/15/0/O/15 龙华烈士陵园/4A/04/0/G/10 召稼楼古镇/3A/12/0/O/10
金山嘴渔村/3A/16/0/O/10 上海碧海金沙景区/3A/20/50/G/15 多伦路文化名人街/3A/09/0/O/8
宋庆龄故居纪念馆/3A/04/20/M/1 前卫生态村/3A/51/0/O/5
""")


def _scenic(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    def make(r: Row) -> RowDict:
        name, rating, suffix, ticket, kind, _ = _SCENIC[r.index % len(_SCENIC)]
        r.district = dist(suffix)
        return {"scenic_name": name, "rating": rating, "ticket_price": int(ticket),
                "open_hours": _SCENIC_HOURS[kind]}

    return make


_COMFORT = ((30, "舒适"), (50, "较舒适"), (70, "一般"), (90, "较拥挤"), (1000, "拥挤"))


def _scenic_flow(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    spots = _SCENIC[:40]
    popularity = [rng.uniform(0.08, 0.4) for _ in spots]
    first_day = span(spec)[1] - timedelta(days=max(spec.row_count // len(spots) // 96, 1))

    def make(r: Row) -> RowDict:
        slot, i = divmod(r.index, len(spots))
        name, _, suffix, _, kind, thousands = spots[i]
        r.district, capacity = dist(suffix), int(float(thousands) * 1000)
        minutes = (slot + 1) * 15  # the end of the 15-minute period
        clock = minutes % 1440
        opens, closes = _SCENIC_OPEN[kind]
        visitors = 0
        if opens <= clock <= closes:
            ramp = max(min(1.0, (clock - opens) / 90, (closes - clock) / 60 + 0.15), 0.0)
            level = 0.25 + 0.75 * math.exp(-(((clock - 870) / 200) ** 2))
            if kind == "O" and (clock < 420 or clock > 1320):
                level *= 0.1
            visitors = int(capacity * popularity[i] * level * ramp * r.rng.uniform(0.9, 1.1))
        ratio = round(visitors / capacity * 100, 2)
        return {
            "record_time": at(first_day, minutes), "scenic_name": name, "visitors_now": visitors,
            "max_capacity": capacity, "load_ratio": ratio,
            "comfort_level": next(label for limit, label in _COMFORT if ratio <= limit),
        }

    return make


_VENUE_KINDS = {"图": "公共图书馆", "文": "文化馆", "博": "博物馆", "美": "美术馆"}
# name/kind/district suffix/free (1) or paid (0)
_VENUES = records("""
上海图书馆东馆/图/15/1 上海图书馆淮海路馆/图/04/1 上海少年儿童图书馆/图/06/1 上海市群众艺术馆/文/04/1
上海博物馆/博/01/1 上海博物馆东馆/博/15/1 上海市历史博物馆/博/01/1 上海自然博物馆/博/06/0 上海天文馆/博/15/0
上海电影博物馆/博/04/0 上海邮政博物馆/博/09/1 上海公安博物馆/博/04/1 上海中医药博物馆/博/15/1
上海纺织博物馆/博/07/1 上海汽车博物馆/博/14/0 上海玻璃博物馆/博/13/0 上海鲁迅纪念馆/博/09/1 陈云纪念馆/博/18/1
中华艺术宫/美/15/1 上海当代艺术博物馆/美/01/1 刘海粟美术馆/美/05/1 上海油画雕塑院美术馆/美/04/1
程十发美术馆/美/17/1 龙美术馆（西岸馆）/美/04/0
""")
_MUSEUM_THEMES = words("钱币 眼镜 钟表 筷子 算盘 茶叶 丝绸 印刷 航海 铁路 消防 气象 地质 琉璃 剪纸 紫砂 风筝")
_VENUE_HOURS = {"公共图书馆": Hours.LIBRARY, "博物馆": Hours.MUSEUM, "文化馆": "每日 9:00-20:30",
                "美术馆": "周二至周日 10:00-18:00（周一闭馆）", "社区文化活动中心": "每日 8:30-20:30"}


def _culture_venues(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    fixed = [(name, _VENUE_KINDS[k], dist(suffix), free == "1", "") for name, k, suffix, free in _VENUES]
    for d in districts():
        fixed += [(f"上海市{d.name}{word}", kind, d, True, "") for word, kind in
                  (("图书馆", "公共图书馆"), ("文化馆", "文化馆"), ("博物馆", "博物馆"))]
    fixed += [(f"{town}社区文化活动中心", "社区文化活动中心", d, True, town) for d, town in all_towns()]
    seen = {f[0] for f in fixed}

    def make(r: Row) -> RowDict:
        if r.index < len(fixed):
            name, kind, r.district, free, town = fixed[r.index]
            if town:
                r.town = town
        else:
            d = r.district
            kind = pick(r, {"公共图书馆": 0.5, "博物馆": 0.3, "美术馆": 0.2})
            make_name = {
                "公共图书馆": lambda: f"上海市{d.name}图书馆{short_town(r.rng.choice(d.towns))}分馆",
                "博物馆": lambda: f"上海{r.rng.choice(_MUSEUM_THEMES)}博物馆",
            }.get(kind, lambda: f"上海{r.rng.choice(TRADE_NAMES)}美术馆")
            name = unique(r.rng, seen, make_name, lambda n: f"（{d.name}{n}号馆）")
            free = kind == "公共图书馆" or r.rng.random() < 0.55
        return {"venue_name": name, "venue_type": kind, "free_admission": free,
                "open_hours": _VENUE_HOURS[kind]}

    return make


_HOMESTAY_WORDS = words("拾光 竹里 半岛 稻香 花间 东滩 西沙 瀛洲 岛屿 田园 渔村 芦苇 橘香 水杉 鹭鸣 禾下")
_HOMESTAY_KINDS = words("民宿 小院 田舍 庭院民宿 农庄 客栈 花园民宿 乡居")
_HOMESTAY_TOWNS = words("陈家镇 竖新镇 港沿镇 建设镇 新河镇 三星镇 绿华镇 向化镇 长兴镇 横沙乡 庙镇")


def _homestays(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    prices = {"甲级": (880, 2000), "乙级": (580, 1200), "丙级": (380, 800), "未评级": (260, 680)}
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        r.district, r.town = dist("51"), r.rng.choice(_HOMESTAY_TOWNS)
        grade = pick(r, {"甲级": 0.05, "乙级": 0.12, "丙级": 0.2, "未评级": 0.63})
        place = short_town(r.town) if r.rng.random() < 0.4 else ""
        choice = r.rng.choice
        name = unique(r.rng, seen, lambda: f"{place}{choice(_HOMESTAY_WORDS)}{choice(_HOMESTAY_KINDS)}",
                      lambda n: f"（{n}号院）")
        rooms = r.rng.randint(8 if grade == "甲级" else 3, 14)
        return {"homestay_name": name, "grade": grade, "rooms": rooms,
                "price_from": r.rng.randrange(*prices[grade], 20), "registered_date": r.date_in_span()}

    return make


# --- sports and parks -------------------------------------------------------------------------

_STADIUMS = records("""
上海体育场/体育场/04 上海体育馆/体育馆/04 上海游泳馆/游泳馆/04 上海东方体育中心/体育馆/15
上海源深体育中心/体育场/15 虹口足球场/体育场/09 江湾体育场/体育场/10 上海旗忠森林体育城网球中心/体育馆/12
上海国际体操中心/体育馆/05 卢湾体育馆/体育馆/01 静安体育中心/体育馆/06 浦东足球场/体育场/15
""")
# facility: (weight, share free, opening hours, fee)
_SPORT_KINDS = {
    "市民健身中心": (0.22, 0.15, "每日 8:00-21:00", "健身房 {d}元/次、羽毛球 {b}元/小时、乒乓球 20元/小时"),
    "市民球场": (0.36, 0.6, "每日 6:00-22:00", "篮球 {d}元/小时、五人制足球 {a}元/场（2小时）"),
    "健身步道": (0.25, 1.0, "全天开放", ""),
    "游泳馆": (0.07, 0.0, "每日 12:00-21:00", "游泳 {c}元/次（90分钟）"),
    "体育馆": (0.06, 0.0, "每日 9:00-21:00", "羽毛球 {b}元/小时、篮球 {a}元/场（2小时）"),
    "体育场": (0.04, 0.1, "每日 6:00-21:00", "足球场 {a}元/场（2小时）、田径跑道 5元/次"),
}


def _sports(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen = {name for name, _, _ in _STADIUMS}

    def make(r: Row) -> RowDict:
        if r.index < len(_STADIUMS):
            name, kind, suffix = _STADIUMS[r.index]
            r.district = dist(suffix)
        else:
            d, town = r.district, short_town(r.town)
            kind = pick(r, {k: v[0] for k, v in _SPORT_KINDS.items()})
            make_name = {
                "市民健身中心": lambda: f"{town}市民健身中心", "市民球场": lambda: f"{r.road}市民球场",
                "健身步道": lambda: f"{road_stem(r.rng.choice(d.roads))}{r.rng.choice(('滨河', ''))}健身步道",
            }.get(kind, lambda: f"{d.name}{town}{kind}")
            name = unique(r.rng, seen, make_name, lambda n: f"（{n}号）")
        _, free_share, hours, fee = _SPORT_KINDS[kind]
        free = r.rng.random() < free_share
        fee = fee.format(a=r.rng.choice((300, 400, 600, 800)), b=r.rng.choice((30, 40, 50, 60, 80)),
                         c=r.rng.choice((25, 30, 35, 40, 50)), d=r.rng.choice((10, 15, 20, 30)))
        return {"venue_name": name, "venue_type": kind, "free_open": free,
                "fee_standard": None if free else fee, "open_hours": hours}

    return make


_PARK_KINDS = {"综": "综合公园", "专": "专类公园", "社": "社区公园", "郊": "郊野公园"}
# name/kind/district suffix/hectares/free/open 24 hours
_PARKS = records("""
人民公园/综/01/9.82/1/0 复兴公园/综/01/8.89/1/1 黄浦公园/专/01/2.07/1/1 中山公园/综/05/21.42/1/1
鲁迅公园/综/09/28.63/1/0 和平公园/综/09/17.6/1/1 世纪公园/综/15/140.3/0/0 长风公园/综/07/36.4/1/0
共青森林公园/专/10/131/0/0 黄兴公园/综/10/34/1/1 上海植物园/专/04/81.86/0/0 上海辰山植物园/专/17/207/0/0
上海动物园/专/05/74.3/0/0 徐家汇公园/综/04/8.66/1/1 桂林公园/专/04/3.6/1/0 襄阳公园/社/04/2.2/1/1
静安雕塑公园/专/06/6.5/1/1 大宁公园/综/06/68/1/1 闵行体育公园/综/12/84/1/0 滨江森林公园/综/15/120/0/0
世博文化公园/综/15/188/1/0 前滩休闲公园/综/15/12/1/1 顾村公园/综/13/430/1/0 古猗园/专/14/10/0/0
醉白池公园/专/17/5/0/0 曲水园/专/18/1.8/0/0 秋霞圃/专/14/3/0/0 浦江郊野公园/郊/12/1500/1/0
廊下郊野公园/郊/16/2100/1/0 长兴岛郊野公园/郊/51/2970/0/0 青西郊野公园/郊/18/2200/0/0
嘉北郊野公园/郊/14/1400/1/0 广富林郊野公园/郊/17/420/1/0 松南郊野公园/郊/17/600/1/0
""")
_PARK_AREAS = {"综合公园": (10, 80), "社区公园": (0.3, 8), "口袋公园": (0.05, 0.3), "专类公园": (1, 30)}


def _parks(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen = {p[0] for p in _PARKS}

    def make(r: Row) -> RowDict:
        if r.index < len(_PARKS):
            name, short, suffix, hectares, free_flag, day_flag = _PARKS[r.index]
            r.district, kind, area = dist(suffix), _PARK_KINDS[short], float(hectares)
            free, all_day = free_flag == "1", day_flag == "1"
        else:
            d = r.district
            kind = pick(r, {"社区公园": 0.55, "口袋公园": 0.3, "专类公园": 0.07, "综合公园": 0.08})
            make_name = {
                "口袋公园": lambda: f"{r.road}{r.rng.choice(('口袋公园', '街心花园', '口袋绿地'))}",
                "专类公园": lambda: f"{short_town(r.town)}{r.rng.choice(('月季园', '樱花园', '体育公园'))}",
            }.get(kind, lambda: f"{road_stem(r.rng.choice(d.roads))}公园")
            name = unique(r.rng, seen, make_name, lambda n: f"（{short_town(r.town)}{n}期）")
            area = round(r.rng.uniform(*_PARK_AREAS[kind]), 2)
            free = kind != "专类公园" or r.rng.random() < 0.5
            all_day = free and r.rng.random() < (0.8 if kind in ("社区公园", "口袋公园") else 0.4)
        hours = Hours.ALL_DAY if all_day else "每日 6:00-18:00" if kind == "郊野公园" else Hours.PARK
        return {"park_name": name, "park_type": kind, "area_ha": area, "open_24h": all_day,
                "free_admission": free, "open_hours": hours}

    return make


# --- police, fire, shelters, traffic accidents ------------------------------------------------


def _police(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    towns = all_towns()
    hours = {"周一至周五 9:00-17:00，周六 9:00-12:00": 0.6, "周一至周六 8:30-17:00": 0.4}

    def make(r: Row) -> RowDict:
        r.district, r.town = towns[r.index % len(towns)]
        extra = "" if r.index < len(towns) else "东西南北"[r.index // len(towns) % 4]
        household = r.rng.random() < 0.9
        return {"station_name": f"{short_town(r.town)}{extra}派出所",
                "sub_bureau": f"上海市公安局{r.district.name}分局", "household_service": household,
                "service_hours": pick(r, hours) if household else None}

    return make


_SHELTERS_OUT = words("人民广场 人民公园 复兴公园 黄浦公园 古城公园 延中绿地 淮海公园 九子公园 南园滨江绿地 "
                      "太平桥绿地 丽园路绿地 世博浦西园区 老码头广场 豫园广场")
_SHELTERS_IN = words("格致中学 大同中学 向明中学 光明中学 敬业中学 卢湾高级中学 市八中学 比乐中学 储能中学 "
                     "立达中学 李惠利中学 金陵中学 尚文中学 五四中学 卢湾体育馆 黄浦区体育馆")
_FACILITIES = words("应急供水 应急供电 应急厕所 医疗救护 应急广播 消防设施 物资储备 应急照明")


def _shelters(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()
    places = _SHELTERS_OUT + _SHELTERS_IN

    def make(r: Row) -> RowDict:
        place = places[r.index] if r.index < len(places) else f"{r.road}绿地"
        if place in _SHELTERS_IN:
            kind = "室内（体育馆）" if "体育" in place else "室内（学校）"
            area, per_person = r.rng.uniform(800, 5000), 3.0
        else:
            kind = "室外（广场）" if "广场" in place else "室外（公园绿地）"
            area, per_person = r.rng.uniform(3000, 60000), 2.0
        picked = sorted({0, 2, *r.rng.sample(range(len(_FACILITIES)), r.rng.randint(2, 6))})
        return {"shelter_name": unique(r.rng, seen, lambda: f"{place}应急避难场所", lambda n: f"（{n}号）"),
                "shelter_type": kind, "usable_area": round(area, 1), "capacity": int(area / per_person),
                "facilities": "、".join(_FACILITIES[i] for i in picked)}

    return make


def _fire_stations(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    d = dist("13")
    fixed = [("宝山特勤消防救援站", "特勤消防站"), ("吴淞口特勤消防救援站", "特勤消防站")]
    fixed += [(f"{short_town(t)}消防救援站", "普通消防站") for t in d.towns]
    fixed += [(f"{short_town(t)}{w}专职消防队", "专职消防队") for t in d.towns[3:] for w in ("镇", "园区")]
    fixed += [("宝武钢铁专职消防队", "专职消防队"), ("上海石洞口发电厂专职消防队", "专职消防队")]
    engines = {"特勤消防站": (8, 14), "普通消防站": (4, 8), "专职消防队": (2, 5), "微型消防站": (0, 2)}
    seen = {name for name, _ in fixed}

    def make(r: Row) -> RowDict:
        if r.index < len(fixed):
            name, kind = fixed[r.index]
            r.town = next((t for t in d.towns if name.startswith(short_town(t))), r.town)
        else:
            kind = "微型消防站"
            name = unique(r.rng, seen, lambda: f"{compound(r.rng, d)}微型消防站",
                          lambda n: f"（{n}号）")
        return {"station_name": name, "station_type": kind, "fire_engines": r.rng.randint(*engines[kind]),
                "on_duty_24h": kind != "微型消防站" or r.rng.random() < 0.6}

    return make


_ACCIDENT_TYPES = {"机动车与非机动车": 0.45, "机动车之间": 0.3, "机动车与行人": 0.17, "单车事故": 0.08}
_VEHICLES = {"小型客车": 0.38, "电动自行车": 0.2, "货车": 0.12, "网约车": 0.08, "出租车": 0.06,
             "摩托车": 0.06, "公交客车": 0.04, "重型货车": 0.04, "大型客车": 0.02}


def _accidents(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    start, end = span(spec)
    months = (end.year - start.year) * 12 + end.month - start.month + 1

    def make(r: Row) -> RowDict:
        month = month_start(start, r.index * months // spec.row_count)
        r.district = pick_district(r.rng, urban_bias=0.8)
        kind, vehicle = pick(r, _ACCIDENT_TYPES), pick(r, _VEHICLES)
        if vehicle == "电动自行车" and kind in ("机动车之间", "单车事故"):
            vehicle = "小型客车"
        period = pick(r, {"早高峰": 0.2, "晚高峰": 0.22, "平峰": 0.4, "夜间": 0.18})
        rain = 0.35 if month.month in (6, 7, 9) else 0.18
        snow = 0.01 if month.month in (1, 2, 12) else 0.0
        weather = pick(r, {"晴": 0.58 - rain, "阴": 0.22, "雨": rain, "雾": 0.02, "雪": snow})
        deaths = 1 if r.rng.random() < (0.1 if period == "夜间" else 0.05) else 0
        injured = r.rng.choice((0, 1, 1, 2)) if deaths else r.rng.choices((1, 2, 3, 4), (70, 20, 7, 3))[0]
        return {"accident_month": month, "road_name": r.road, "accident_type": kind, "time_period": period,
                "weather": weather, "vehicle_type": vehicle, "injured": injured, "deaths": deaths}

    return make


# --- district datasets ------------------------------------------------------------------------

_LIFE_SERVICES = {  # service: (name pattern, opening hours)
    "党群服务站": ("{c}居民区党群服务站", "周一至周六 9:00-17:00"),
    "社区食堂": ("{t}社区食堂（{r}店）", "每日 10:30-13:00，16:30-19:00"),
    "便民维修点": ("{r}便民维修点", "每日 8:00-18:00"), "快递服务站": ("{c}快递服务站", "每日 8:00-21:00"),
    "社区事务受理服务分中心": ("{t}社区事务受理服务中心{r}分中心", Hours.OFFICE),
    "社区卫生服务站": ("{t}社区卫生服务中心{c}服务站", "周一至周六 8:00-16:30"),
    "菜市场": ("{s}菜市场", "每日 6:00-19:00"), "睦邻中心": ("{c}睦邻中心", "每日 8:30-20:30"),
    "社区宝宝屋": ("{t}社区宝宝屋（{c}）", "周一至周五 8:30-16:30"),
    "综合为老服务站": ("{c}综合为老服务站", "每日 8:00-17:00"),
}


def _life_circle(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()
    kinds = list(_LIFE_SERVICES)

    def make(r: Row) -> RowDict:
        kind = kinds[r.index % len(kinds)] if r.index < 2 * len(kinds) else r.rng.choice(kinds)
        pattern, hours = _LIFE_SERVICES[kind]
        name = unique(r.rng, seen, lambda: pattern.format(c=compound(r.rng, r.district), t=r.town, r=r.road,
                                                           s=road_stem(r.road)), lambda n: f"（{n}）")
        return {"point_name": name, "service_type": kind, "open_hours": hours}

    return make


def _toilets(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        kind = pick(r, {"独立式": 0.6, "附属式": 0.35, "活动式": 0.05})
        grade = "三类" if kind == "活动式" else pick(r, {"一类": 0.2, "二类": 0.6, "三类": 0.2})
        cross = road_stem(r.rng.choice([x for x in r.district.roads if x != r.road]))
        name = unique(r.rng, seen, lambda: f"{r.road}{cross}路口公厕" if r.rng.random() < 0.5
                      else f"{r.road}{r.rng.randint(1, 40)}号公厕", lambda n: f"（{n}）")
        return {"toilet_name": name, "toilet_type": kind, "toilet_grade": grade,
                "accessible": grade == "一类" or r.rng.random() < 0.7,
                "baby_room": grade == "一类" and r.rng.random() < 0.8,
                "open_hours": pick(r, {Hours.ALL_DAY: 0.5, "每日 5:00-23:00": 0.4, "每日 6:00-22:00": 0.1})}

    return make


_WASTE_POINTS = {  # point: (weight, name pattern, collection times, waste types)
    "居住区投放点": (0.82, "{c}{n}号投放点", ("7:00-9:00，18:00-20:00", "6:30-8:30，18:30-20:30"),
                   ("湿垃圾、干垃圾、可回收物、有害垃圾", "湿垃圾、干垃圾")),
    "可回收物回收服务点": (0.15, "{t}{c}两网融合回收服务点", ("每日 8:00-17:00", "周二、四、六 9:00-16:00"),
                       ("可回收物", "可回收物、有害垃圾")),
    "大件垃圾暂存点": (0.03, "{t}{r}大件垃圾暂存点", ("每周三、六上门收运", "预约上门收运"),
                     ("干垃圾（大件垃圾）",)),
}


def _waste_points(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        kind = pick(r, {k: v[0] for k, v in _WASTE_POINTS.items()})
        _, pattern, times, types = _WASTE_POINTS[kind]
        c, t, n = compound(r.rng, r.district), short_town(r.town), r.rng.randint(1, 12)
        name = unique(r.rng, seen, lambda: pattern.format(c=c, t=t, r=r.road, n=n), lambda k: f"（{k}）")
        return {"point_name": name, "point_type": kind, "collection_time": r.rng.choice(times),
                "waste_types": r.rng.choice(types)}

    return make


_INNOVATION_BRANDS = words("复旦 同济 上财 上理工 长阳创谷 互联宝地 湾谷 环同济 创智天地 五角场 大学路 "
                           "杨浦滨江 国定路 政立路 新江湾城 尚浦 智慧湾 东方渔人码头")
_CARRIERS = {"众创空间": (0.6, ("众创空间", "创客空间", "创新工场"), (500, 5000)),
             "孵化器": (0.3, ("科技企业孵化器", "孵化基地", "创业中心"), (3000, 30000)),
             "加速器": (0.1, ("加速器", "企业加速器"), (10000, 60000))}


def _innovation(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()
    first, last = (day.year for day in span(spec))

    def make(r: Row) -> RowDict:
        kind = pick(r, {k: v[0] for k, v in _CARRIERS.items()})
        _, names, sizes = _CARRIERS[kind]
        brand, area = r.rng.choice(_INNOVATION_BRANDS), round(r.rng.uniform(*sizes), 1)
        name = unique(r.rng, seen, lambda: f"{brand}{r.rng.choice(TRADE_NAMES)}{r.rng.choice(names)}",
                      lambda n: f"（{n}号楼）")
        operator = r.rng.choice(("科技园发展", "创业服务", "企业管理", "孵化器管理"))
        return {"carrier_name": name, "carrier_type": kind,
                "level": pick(r, {"国家级": 0.15, "市级": 0.35, "区级": 0.5}),
                "operator_name": f"上海{brand}{operator}有限公司", "floor_area": area,
                "incubated_count": max(3, int(area / r.rng.uniform(80, 250))),
                "recognized_year": r.rng.randint(first, last)}

    return make


_FARM_VILLAGES = {  # town: (weight, villages)
    "泖港镇": (30, words("黄桥村 腰泾村 新建村 胡光村 曹家浜村 徐厍村 兴旺村 五厍村")),
    "叶榭镇": (20, words("井凌桥村 东石村 八字桥村 金家村 团结村 徐姚村 堰泾村")),
    "新浜镇": (18, words("赵王村 胡家埭村 南杨村 鲁星村 林建村 黄家埭村")),
    "石湖荡镇": (16, words("李塔汇村 金汇村 东夏村 新源村 泖新村 洙桥村")),
    "小昆山镇": (10, words("大港村 汤村村 泾德村 港丰村 周家浜村")),
    "车墩镇": (4, words("华阳村 高桥村 打铁桥村 联建村")), "佘山镇": (2, words("新镇村 横山村 北干山村")),
}
_SURNAMES = "张王李陈沈徐朱顾吴周陆钱蒋杨黄金"
_FARM_TYPES = {"粮食生产": (0.6, ("水稻、小麦", "水稻、绿肥", "水稻、油菜")),
               "种养结合": (0.12, ("水稻、生猪",)), "机农一体": (0.23, ("水稻、小麦", "水稻、绿肥")),
               "生态循环": (0.05, ("水稻、生猪、有机肥", "水稻、蔬菜"))}


def _family_farms(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()
    first, last = (day.year for day in span(spec))

    def make(r: Row) -> RowDict:
        r.district, r.town = dist("17"), pick(r, {k: v[0] for k, v in _FARM_VILLAGES.items()})
        village = r.rng.choice(_FARM_VILLAGES[r.town][1])
        kind = pick(r, {k: v[0] for k, v in _FARM_TYPES.items()})
        name = unique(r.rng, seen, lambda: f"松江区{r.town}{village}{r.rng.choice(_SURNAMES)}氏家庭农场",
                      lambda n: f"（{n}）")
        return {"farm_name": name, "village_name": village, "farm_type": kind,
                "land_area": round(r.rng.uniform(100, 300) * (1.3 if kind == "机农一体" else 1.0), 1),
                "main_product": r.rng.choice(_FARM_TYPES[kind][1]),
                "recognized_year": r.rng.randint(first, last),
                "demonstration": r.rng.random() < 0.15}

    return make


MAKERS: dict[str, Maker] = {
    "SH-WHLYJ-0001": _scenic, "SH-WHLYJ-0002": _culture_venues, "SH-WHLYJ-0003": _scenic_flow,
    "SH-TYJ-0001": _sports, "SH-LHSRJ-0001": _parks, "SH-GAJ-0002": _police, "SH-GAJ-0003": _accidents,
    "SH-D310101-0001": _shelters, "SH-D310104-0001": _life_circle, "SH-D310105-0001": _toilets,
    "SH-D310110-0001": _innovation, "SH-D310113-0001": _fire_stations, "SH-D310115-0001": _waste_points,
    "SH-D310117-0001": _family_farms, "SH-D310151-0001": _homestays,
}
