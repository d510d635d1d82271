"""Geography for the demo rows: Shanghai's districts, their streets and towns, and real road names.

District codes and names come from ``publicdata.reference.divisions`` (NBS 2023). Town (街道/镇/乡)
and road names are real; the centre points and spreads are approximate and only used to place demo
points inside plausible bounds (WGS-84, lon 120.85–122.0, lat 30.67–31.88).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from publicdata.reference.divisions import Division, shanghai_districts

LON_MIN, LON_MAX = 120.85, 122.0
LAT_MIN, LAT_MAX = 30.67, 31.88

# code: (centre lon, centre lat, lon spread, lat spread, weight ~ resident population in 10k)
_CENTRES: dict[str, tuple[float, float, float, float, float]] = {
    "310101": (121.484, 31.226, 0.018, 0.015, 54),
    "310104": (121.437, 31.175, 0.030, 0.035, 111),
    "310105": (121.400, 31.210, 0.040, 0.015, 69),
    "310106": (121.452, 31.262, 0.020, 0.035, 95),
    "310107": (121.405, 31.255, 0.035, 0.020, 123),
    "310109": (121.485, 31.275, 0.015, 0.025, 68),
    "310110": (121.525, 31.282, 0.030, 0.025, 121),
    "310112": (121.410, 31.100, 0.080, 0.080, 268),
    "310113": (121.420, 31.390, 0.060, 0.060, 224),
    "310114": (121.260, 31.350, 0.080, 0.070, 184),
    "310115": (121.640, 31.120, 0.140, 0.180, 578),
    "310116": (121.240, 30.830, 0.100, 0.060, 82),
    "310117": (121.220, 31.030, 0.100, 0.070, 193),
    "310118": (121.090, 31.140, 0.120, 0.080, 128),
    "310120": (121.520, 30.920, 0.120, 0.060, 115),
    "310151": (121.560, 31.620, 0.300, 0.080, 61),
}

_TOWNS: dict[str, tuple[str, ...]] = {
    "310101": (
        "南京东路街道",
        "外滩街道",
        "半淞园路街道",
        "小东门街道",
        "豫园街道",
        "老西门街道",
        "五里桥街道",
        "打浦桥街道",
        "淮海中路街道",
        "瑞金二路街道",
    ),
    "310104": (
        "天平路街道",
        "湖南路街道",
        "斜土路街道",
        "枫林路街道",
        "长桥街道",
        "田林街道",
        "虹梅路街道",
        "康健新村街道",
        "徐家汇街道",
        "凌云路街道",
        "龙华街道",
        "漕河泾街道",
        "华泾镇",
    ),
    "310105": (
        "华阳路街道",
        "江苏路街道",
        "新华路街道",
        "周家桥街道",
        "天山路街道",
        "仙霞新村街道",
        "虹桥街道",
        "程家桥街道",
        "北新泾街道",
        "新泾镇",
    ),
    "310106": (
        "江宁路街道",
        "石门二路街道",
        "南京西路街道",
        "静安寺街道",
        "曹家渡街道",
        "天目西路街道",
        "北站街道",
        "宝山路街道",
        "共和新路街道",
        "大宁路街道",
        "彭浦新村街道",
        "临汾路街道",
        "芷江西路街道",
        "彭浦镇",
    ),
    "310107": (
        "曹杨新村街道",
        "长风新村街道",
        "长寿路街道",
        "甘泉路街道",
        "石泉路街道",
        "宜川路街道",
        "万里街道",
        "真如镇街道",
        "长征镇",
        "桃浦镇",
    ),
    "310109": (
        "欧阳路街道",
        "曲阳路街道",
        "广中路街道",
        "嘉兴路街道",
        "凉城新村街道",
        "四川北路街道",
        "北外滩街道",
        "江湾镇街道",
    ),
    "310110": (
        "定海路街道",
        "平凉路街道",
        "江浦路街道",
        "四平路街道",
        "控江路街道",
        "长白新村街道",
        "延吉新村街道",
        "殷行街道",
        "大桥街道",
        "五角场街道",
        "新江湾城街道",
        "长海路街道",
    ),
    "310112": (
        "江川路街道",
        "古美街道",
        "新虹街道",
        "浦锦街道",
        "莘庄镇",
        "七宝镇",
        "颛桥镇",
        "华漕镇",
        "虹桥镇",
        "梅陇镇",
        "吴泾镇",
        "马桥镇",
        "浦江镇",
    ),
    "310113": (
        "吴淞街道",
        "张庙街道",
        "友谊路街道",
        "杨行镇",
        "月浦镇",
        "罗泾镇",
        "罗店镇",
        "顾村镇",
        "大场镇",
        "庙行镇",
        "淞南镇",
        "高境镇",
    ),
    "310114": (
        "新成路街道",
        "真新街道",
        "嘉定镇街道",
        "南翔镇",
        "安亭镇",
        "马陆镇",
        "徐行镇",
        "华亭镇",
        "外冈镇",
        "江桥镇",
    ),
    "310115": (
        "潍坊新村街道",
        "陆家嘴街道",
        "周家渡街道",
        "塘桥街道",
        "上钢新村街道",
        "南码头路街道",
        "沪东新村街道",
        "金杨新村街道",
        "洋泾街道",
        "浦兴路街道",
        "东明路街道",
        "花木街道",
        "川沙新镇",
        "高桥镇",
        "北蔡镇",
        "合庆镇",
        "唐镇",
        "曹路镇",
        "金桥镇",
        "高行镇",
        "高东镇",
        "张江镇",
        "三林镇",
        "惠南镇",
        "周浦镇",
        "新场镇",
        "大团镇",
        "康桥镇",
        "航头镇",
        "祝桥镇",
        "泥城镇",
        "宣桥镇",
        "书院镇",
        "万祥镇",
        "老港镇",
        "南汇新城镇",
    ),
    "310116": (
        "石化街道",
        "朱泾镇",
        "枫泾镇",
        "张堰镇",
        "亭林镇",
        "吕巷镇",
        "廊下镇",
        "金山卫镇",
        "漕泾镇",
        "山阳镇",
    ),
    "310117": (
        "岳阳街道",
        "永丰街道",
        "方松街道",
        "中山街道",
        "广富林街道",
        "九里亭街道",
        "泗泾镇",
        "佘山镇",
        "车墩镇",
        "新桥镇",
        "洞泾镇",
        "九亭镇",
        "泖港镇",
        "石湖荡镇",
        "新浜镇",
        "叶榭镇",
        "小昆山镇",
    ),
    "310118": (
        "夏阳街道",
        "盈浦街道",
        "香花桥街道",
        "朱家角镇",
        "练塘镇",
        "金泽镇",
        "赵巷镇",
        "徐泾镇",
        "华新镇",
        "重固镇",
        "白鹤镇",
    ),
    "310120": (
        "西渡街道",
        "奉浦街道",
        "金海街道",
        "南桥镇",
        "奉城镇",
        "庄行镇",
        "金汇镇",
        "四团镇",
        "青村镇",
        "柘林镇",
        "海湾镇",
    ),
    "310151": (
        "城桥镇",
        "堡镇",
        "新河镇",
        "庙镇",
        "竖新镇",
        "向化镇",
        "三星镇",
        "港沿镇",
        "中兴镇",
        "陈家镇",
        "绿华镇",
        "港西镇",
        "建设镇",
        "新海镇",
        "东平镇",
        "长兴镇",
        "新村乡",
        "横沙乡",
    ),
}

_ROADS: dict[str, tuple[str, ...]] = {
    "310101": (
        "南京东路",
        "淮海中路",
        "西藏中路",
        "人民路",
        "中山东一路",
        "河南中路",
        "复兴中路",
        "打浦路",
        "瑞金二路",
        "陆家浜路",
        "九江路",
        "福州路",
    ),
    "310104": (
        "肇嘉浜路",
        "漕溪北路",
        "衡山路",
        "天钥桥路",
        "虹桥路",
        "宜山路",
        "田林路",
        "龙华中路",
        "零陵路",
        "桂林路",
        "钦州路",
        "龙吴路",
    ),
    "310105": (
        "延安西路",
        "长宁路",
        "天山路",
        "仙霞路",
        "古北路",
        "娄山关路",
        "遵义路",
        "定西路",
        "愚园路",
        "金钟路",
        "哈密路",
        "威宁路",
    ),
    "310106": (
        "南京西路",
        "延安中路",
        "北京西路",
        "共和新路",
        "大宁路",
        "广中西路",
        "芷江西路",
        "西藏北路",
        "天目西路",
        "恒丰路",
        "武定路",
        "常德路",
        "汶水路",
        "临汾路",
    ),
    "310107": (
        "中山北路",
        "曹杨路",
        "长寿路",
        "武宁路",
        "真北路",
        "铜川路",
        "金沙江路",
        "梅川路",
        "大渡河路",
        "光新路",
        "兰溪路",
        "真华路",
    ),
    "310109": (
        "四川北路",
        "西江湾路",
        "曲阳路",
        "大连西路",
        "东大名路",
        "周家嘴路",
        "海宁路",
        "东江湾路",
        "中州路",
        "水电路",
    ),
    "310110": (
        "四平路",
        "邯郸路",
        "国权路",
        "黄兴路",
        "控江路",
        "长阳路",
        "杨树浦路",
        "江浦路",
        "政立路",
        "国定路",
        "翔殷路",
        "殷行路",
        "军工路",
        "平凉路",
    ),
    "310112": (
        "莘松路",
        "七莘路",
        "沪闵路",
        "都市路",
        "虹井路",
        "银都路",
        "剑川路",
        "吴中路",
        "顾戴路",
        "漕宝路",
        "春申路",
        "莲花南路",
    ),
    "310113": (
        "牡丹江路",
        "友谊路",
        "沪太路",
        "长江西路",
        "泰和路",
        "蕴川路",
        "殷高西路",
        "场中路",
        "一二八纪念路",
        "宝杨路",
        "共和新路",
    ),
    "310114": (
        "城中路",
        "博乐路",
        "塔城路",
        "沪宜公路",
        "曹安公路",
        "嘉松北路",
        "叶城路",
        "墨玉南路",
        "白银路",
        "天祝路",
        "双丁路",
    ),
    "310115": (
        "世纪大道",
        "张杨路",
        "陆家嘴环路",
        "东方路",
        "浦东南路",
        "杨高中路",
        "锦绣路",
        "龙阳路",
        "张江路",
        "祖冲之路",
        "川沙路",
        "沪南公路",
        "罗山路",
        "金科路",
        "浦建路",
        "高科西路",
    ),
    "310116": ("卫零路", "龙胜路", "蒙山路", "金山大道", "亭卫公路", "卫清西路", "板桥西路", "沪杭公路"),
    "310117": (
        "人民北路",
        "中山中路",
        "荣乐东路",
        "文诚路",
        "广富林路",
        "思贤路",
        "谷阳北路",
        "新松江路",
        "沪松公路",
        "泗陈公路",
    ),
    "310118": (
        "公园东路",
        "城中北路",
        "外青松公路",
        "盈港东路",
        "淀山湖大道",
        "崧泽大道",
        "沪青平公路",
        "诸光路",
    ),
    "310120": ("解放东路", "南奉公路", "环城东路", "金海公路", "望园路", "奉浦大道", "八字桥路", "航南公路"),
    "310151": ("八一路", "东门路", "鳌山路", "陈海公路", "北沿公路", "崇明大道", "南门路"),
}


@dataclass(frozen=True)
class DistrictGeo:
    division: Division
    towns: tuple[str, ...]
    roads: tuple[str, ...]
    lon: float
    lat: float
    lon_spread: float
    lat_spread: float
    weight: float

    @property
    def code(self) -> str:
        return self.division.code

    @property
    def name(self) -> str:
        return self.division.name


@cache
def districts() -> tuple[DistrictGeo, ...]:
    """Shanghai's 16 districts in code order, with towns, roads and a centre point."""
    result = []
    for d in shanghai_districts():
        lon, lat, dlon, dlat, weight = _CENTRES[d.code]
        result.append(DistrictGeo(d, _TOWNS[d.code], _ROADS[d.code], lon, lat, dlon, dlat, weight))
    return tuple(result)


@cache
def district_by_code() -> dict[str, DistrictGeo]:
    return {d.code: d for d in districts()}


@cache
def _weights() -> tuple[float, ...]:
    return tuple(d.weight for d in districts())


def pick_district(rng: random.Random, *, urban_bias: float = 1.0) -> DistrictGeo:
    """A district weighted by population; ``urban_bias`` > 1 favours the seven central districts."""
    if urban_bias == 1.0:
        return rng.choices(districts(), weights=_weights())[0]
    weights = [d.weight * (urban_bias if d.code < "310112" else 1.0) for d in districts()]
    return rng.choices(districts(), weights=weights)[0]


def all_towns() -> list[tuple[DistrictGeo, str]]:
    """Every (district, town) pair in code order: 215 streets, towns and townships."""
    return [(d, town) for d in districts() for town in d.towns]


def point_in(rng: random.Random, d: DistrictGeo) -> tuple[float, float]:
    """A plausible WGS-84 point in a district, rounded to 6 decimals (≈ 0.1 m)."""
    lon = rng.gauss(d.lon, d.lon_spread / 2)
    lat = rng.gauss(d.lat, d.lat_spread / 2)
    lon = min(max(lon, d.lon - d.lon_spread, LON_MIN), d.lon + d.lon_spread, LON_MAX)
    lat = min(max(lat, d.lat - d.lat_spread, LAT_MIN), d.lat + d.lat_spread, LAT_MAX)
    return round(lon, 6), round(lat, 6)


def address_in(rng: random.Random, d: DistrictGeo, road: str | None = None) -> str:
    """A street address such as "上海市浦东新区世纪大道1568号"."""
    road = road or rng.choice(d.roads)
    number = rng.randint(1, 2200) if road.endswith("公路") else rng.randint(1, 1600)
    suffix = rng.choice(("号", "号", "号", "弄", "号1楼", "号2楼"))
    return f"上海市{d.name}{road}{number}{suffix}"
