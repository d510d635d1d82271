"""A deterministic ground-truth file for the detectors (SEC-4 accuracy tests and benchmark P5).

Every cell is one of: a valid value of some detector's kind, a near miss (bad checksum ID, impossible
birth date, 11-digit non-mobile number, Luhn failure, malformed e-mail / passport / plate / IP, an
address without a house number or with a document number, a place or organization where a name could
be, a word ending in 族 that is no ethnic group, a party or a religious body instead of a person's
membership or belief, a short or one-letter "sequence", a file that is no image), or plain text /
numbers. Columns mix the kinds, so a detector also has to leave the other kinds alone.
`truth[column][row]` names the detector a cell belongs to (None for near misses and plain values).
"""

from __future__ import annotations

import base64
import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stdnum import luhn
from stdnum.cn import ric, uscc

from publicdata.privacy.lexicon import ETHNIC_GROUPS, POLITICAL_STATUS, RELIGIONS

AREAS = ("310101", "310104", "310115", "310151", "110101", "440305", "620102", "510104", "410102")
MOBILE_PREFIXES = (
    *(f"13{d}" for d in range(10)),
    "145", "147", "149", "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "162", "165", "166", "167", "170", "171", "172", "173", "175", "176", "177", "178",
    *(f"18{d}" for d in range(10)),
    "190", "191", "192", "193", "195", "196", "197", "198", "199",
)  # fmt: skip
NON_MOBILE_PREFIXES = ("100", "101", "110", "120", "121", "125", "128", "140", "154", "160", "168")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PROVINCES = "京沪苏浙粤川鄂"


@dataclass
class GroundTruth:
    header: list[str]
    rows: list[list[str]]
    truth: dict[str, list[str | None]]  # column -> per row: detector name or None

    def expected(self, detector: str) -> set[tuple[str, int]]:
        return {(c, i) for c, cells in self.truth.items() for i, d in enumerate(cells) if d == detector}

    def write(self, path: Path, encoding: str = "utf-8") -> Path:
        with open(path, "w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(self.header)
            writer.writerows(self.rows)
        return path


def _digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


def resident_id(rng: random.Random) -> str:
    birth = f"{rng.randint(1940, 2015)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    base = rng.choice(AREAS) + birth + _digits(rng, 3)
    return base + ric.calc_check_digit(base + "0")


def bad_resident_id(rng: random.Random) -> str:
    good = resident_id(rng)
    trap = rng.randrange(3)
    if trap == 0:  # wrong check digit
        wrong = "0123456789X".replace(good[-1], "")
        return good[:-1] + rng.choice(wrong)
    if trap == 1:  # impossible birth date (Feb 30 / month 13), correct check digit
        base = good[:6] + rng.choice(("19900230", "19881301", "20010231")) + good[14:17]
        return base + ric.calc_check_digit(base + "0")
    base = "990" + good[3:17]  # unknown area code
    return base + ric.calc_check_digit(base + "0")


def mobile(rng: random.Random) -> str:
    number = rng.choice(MOBILE_PREFIXES) + _digits(rng, 8)
    style = rng.randrange(4)
    if style == 1:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if style == 2:
        return "+86" + number
    return number


def bad_mobile(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return rng.choice(NON_MOBILE_PREFIXES) + _digits(rng, 8)
    return "13" + _digits(rng, rng.choice((8, 10)))  # 10 or 12 digits


def landline(rng: random.Random) -> str:
    area, length = rng.choice((("021", 8), ("010", 8), ("0571", 8), ("0755", 8), ("0931", 7)))
    return f"{area}-{rng.choice('2345678')}{_digits(rng, length - 1)}"


def bad_landline(rng: random.Random) -> str:
    return rng.choice(("021-", "010-")) + rng.choice(("0", "1")) + _digits(rng, 7)


def credit_code(rng: random.Random) -> str:
    base = (
        rng.choice(("91", "12", "52"))
        + rng.choice(AREAS)
        + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    )
    return base + uscc.calc_check_digit(base)


def bad_credit_code(rng: random.Random) -> str:
    good = credit_code(rng)
    return good[:-1] + rng.choice([c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != good[-1]])


def bank_card(rng: random.Random) -> str:
    prefix, length = rng.choice((("62", 16), ("62", 19), ("4", 16), ("51", 16), ("55", 16), ("2221", 16)))
    body = prefix + _digits(rng, length - len(prefix) - 1)
    number = body + luhn.calc_check_digit(body)
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4)) if rng.random() < 0.3 else number


def bad_bank_card(rng: random.Random) -> str:
    body = "62" + _digits(rng, 13)
    good = body + luhn.calc_check_digit(body)
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)  # Luhn failure


def email(rng: random.Random) -> str:
    user = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))
    return f"{user}{rng.randint(1, 999)}@{rng.choice(('qq.com', '163.com', 'sh.gov.cn', 'example.org'))}"


def bad_email(rng: random.Random) -> str:
    return rng.choice(("user@@qq.com", "a..b@163.com", "name@localhost", "x@y.c", "@qq.com", "mail.qq.com"))


def passport(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice("EG") + _digits(rng, 8)
    return "E" + rng.choice("ABCDEFGHJKLMN") + _digits(rng, 7)


def bad_passport(rng: random.Random) -> str:
    return rng.choice(("E" + _digits(rng, 7), "EI" + _digits(rng, 7), "X" + _digits(rng, 8)))


def plate(rng: random.Random) -> str:
    head = rng.choice(PROVINCES) + rng.choice(PLATE_LETTERS)
    kind = rng.randrange(3)
    if kind == 0:
        return head + _digits(rng, 5)
    if kind == 1:
        return head + rng.choice("DF") + _digits(rng, 5)
    return head + rng.choice(PLATE_LETTERS) + _digits(rng, 4)


def bad_plate(rng: random.Random) -> str:
    head = rng.choice(PROVINCES)
    return rng.choice((head + "I" + _digits(rng, 5), head + "A" + _digits(rng, 3), head + "ABCDE1"))


def ipv4(rng: random.Random) -> str:
    return ".".join(str(rng.randint(1, 254)) for _ in range(4))


def bad_ipv4(rng: random.Random) -> str:
    return f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"


def ipv6(rng: random.Random) -> str:
    groups = [f"{rng.randint(0, 65535):x}" for _ in range(8)]
    return "2001:db8:" + ":".join(groups[2:]) if rng.random() < 0.5 else f"fe80::{groups[0]}:{groups[1]}"


def bad_ipv6(rng: random.Random) -> str:
    return rng.choice(
        (f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}", "1::2::3")
    )


def address(rng: random.Random) -> str:
    if rng.random() < 0.3:  # an administrative prefix and a numbered detail, no road
        n, m = rng.randint(1, 40), rng.randint(101, 2404)
        return rng.choice(
            (
                f"上海市浦东新区张江镇中心村{rng.randint(1, 9)}组{n}号",
                f"上海市闵行区莘庄镇莘建小区{n}号楼{m}室",
                f"上海市黄浦区外滩{n}号",
                f"江苏省苏州市昆山市花桥镇{n}幢{m}室",
                f"崇明区陈家镇{n}号",
            )
        )
    road = rng.choice(("南京东路", "淮海中路", "世纪大道", "长宁路", "漕溪北路"))
    return f"上海市{rng.choice(('黄浦区', '徐汇区', '浦东新区'))}{road}{rng.randint(1, 2000)}号"


def bad_address(rng: random.Random) -> str:
    return rng.choice(
        (
            "南京东路",
            "黄浦区人民政府",
            "世纪大道沿线",
            "第12号",
            "上海市2号线",  # a metro line
            f"上海市人民政府令第{rng.randint(1, 99)}号",  # document numbers
            f"沪府发〔2023〕{rng.randint(1, 99)}号",
            f"阳光小区{rng.randint(1, 9)}号楼{rng.randint(101, 909)}室",  # no division
            "浦东新区2024年度第1批",
        )
    )


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐")
SEPARATED = (
    ("阿依古丽", "热依拉", "买买提", "艾力", "古丽娜尔", "帕提古丽", "阿不都"),
    ("买买提", "艾买提", "吐尔逊", "阿不力孜", "热合曼", "玉素甫"),
)


def any_person_name(rng: random.Random) -> str:
    """A name as a value alone must show it: common and compound surnames, ·-joined names."""
    roll = rng.random()
    if roll < 0.1:
        return rng.choice(COMPOUND) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    if roll < 0.15:
        return rng.choice(SEPARATED[0]) + "·" + rng.choice(SEPARATED[1])
    return person_name(rng)


# Where an unlabeled column of names could hold something else: districts, places built like names,
# stations, bodies, division names without their ending, common words, placeholders.
NAME_TRAPS = (
    "徐汇区", "浦东新区", "陆家嘴", "徐家汇", "曹家渡", "朱家角", "王家宅", "张江高科", "莘庄站", "周浦镇",
    "上海市民政局", "东方医院", "杨浦公园", "华东师范大学", "黄浦", "金山", "昆山", "黄河", "高速", "方案",
    "不详", "未知", "陈家镇", "林业局", "高科技园区",
)  # fmt: skip
# A column of places and bodies (no names): Shanghai towns and stations, some read alone like names
# (张江, 周浦, 马陆), parties and religious bodies, words ending in 族.
PLACES = (
    "张江", "周浦", "马陆", "金桥", "唐镇", "高桥", "川沙", "三林", "北蔡", "花木", "惠南", "航头", "新场",
    "康桥", "合庆", "曹路", "祝桥", "泥城", "书院", "万祥", "老港", "大团", "宣桥", "外滩", "豫园", "静安寺",
    "人民广场", "五角场", "龙华", "七宝", "虹桥", "江湾", "徐泾", "朱家角", "练塘", "金泽", "枫泾", "亭林",
    "张堰", "廊下", "佘山", "泗泾", "九亭", "洞泾", "罗店", "顾村", "大场", "庙行", "淞南", "高境", "月浦",
    "杨行", "罗泾", "南翔", "安亭", "江桥", "外冈", "华亭", "徐行", "上海市民政局", "中国共产党", "九三学社",
    "共青团上海市委", "佛教协会", "天主教堂", "上班族", "水族馆", "少数民族", "东方明珠塔", "世纪公园",
)  # fmt: skip


def ethnic_group(rng: random.Random, *, bare: bool = False) -> str:
    value = "汉族" if rng.random() < 0.4 else rng.choice(ETHNIC_GROUPS)
    return value[:-1] if bare else value


ETHNIC_TRAPS = (
    "上班族", "月光族", "追星族", "打工族", "水族馆", "少数民族", "民族", "穿青人", "摩梭人", "犹太族",
    "汉字", "汉服", "家族", "贵族", "不详", "其他",
)  # fmt: skip


def political_status(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(("群众", "中共党员", "共青团员"))
    return rng.choice(POLITICAL_STATUS)


POLITICAL_TRAPS = (
    "中国共产党", "共青团", "民革", "民盟", "九三学社", "党支部", "中共上海市委", "党员活动室",
    "党群服务中心", "人民群众",
)  # fmt: skip


def religion(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(("无宗教信仰", "无", "不信教"))  # still a statement about a belief
    return rng.choice(RELIGIONS)


RELIGION_TRAPS = (
    "佛教协会", "道观", "天主教堂", "基督教青年会", "佛山", "伊斯兰风味", "宗教事务局", "佛学院", "寺庙",
    "未填写",
)  # fmt: skip


def dna_sequence(rng: random.Random) -> str:
    sequence = "".join(rng.choice("ACGT") for _ in range(rng.randint(20, 160)))
    if rng.random() < 0.2:
        at = rng.randrange(len(sequence))
        sequence = sequence[:at] + "N" + sequence[at + 1 :]
    if rng.random() < 0.2:
        sequence = sequence.lower()
    return f"样本序列：{sequence}" if rng.random() < 0.2 else sequence


def bad_dna_sequence(rng: random.Random) -> str:
    return rng.choice(
        (
            "".join(rng.choice("ACGT") for _ in range(rng.randint(4, 19))),  # too short
            "A" * rng.randint(20, 60),  # one base
            "AT" * rng.randint(10, 30),  # two bases
            "ACGT" + "N" * rng.randint(16, 40),  # mostly unknown
            "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ",  # a protein
            f"rs{rng.randint(1000, 9999999)} CT",  # a genotype call: too short to tell
            "-".join("".join(rng.choice("ACGT") for _ in range(10)) for _ in range(3)),  # short runs
        )
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def photo(rng: random.Random) -> str:
    payload = bytes(rng.randrange(256) for _ in range(rng.randint(60, 120)))
    kind = rng.randrange(5)
    if kind == 0:
        extension = rng.choice(("jpg", "png", "JPEG"))
        return f"photos/{rng.randint(2018, 2026)}/p_{rng.randint(1, 999999):06d}.{extension}"
    if kind == 1:
        return f"https://img.example.cn/face/{rng.randint(1, 99999)}.{rng.choice(('webp', 'png'))}"
    if kind == 2:
        return "data:image/jpeg;base64," + _b64(b"\xff\xd8\xff\xe0" + payload)
    if kind == 3:
        return _b64(b"\x89PNG\r\n\x1a\n" + payload)
    return _b64(b"FMR\x00 20\x00" + payload)  # an ISO/IEC 19794-2 fingerprint template


def bad_photo(rng: random.Random) -> str:
    payload = bytes(rng.randrange(256) for _ in range(rng.randint(60, 120)))
    return rng.choice(
        (
            f"p_{rng.randint(1, 9999)}.txt",
            "附件.pdf",
            "data:text/plain;base64,SGVsbG8=",
            _b64(b"PK\x03\x04" + payload),  # a zip archive
            "image/jpeg",
            ".jpg",
            "未上传",
            "照片已收集",
        )
    )


def plain(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        # plain numbers of ID-like lengths (a leading 90: no area, mobile, landline or card prefix)
        return "90" + _digits(rng, rng.choice((4, 6, 9, 10, 13, 16)))
    if kind == 1:
        return f"{rng.randint(0, 99999)}.{rng.randint(0, 99)}"
    if kind == 2:
        return rng.choice(("制造业", "批发和零售业", "已办结", "正常", "无"))
    if kind == 3:
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return f"第{rng.randint(1, 300)}号文件"


Maker = Callable[[random.Random], str]
KINDS: dict[str, tuple[Maker, Maker]] = {
    "resident_id": (resident_id, bad_resident_id),
    "mobile": (mobile, bad_mobile),
    "landline": (landline, bad_landline),
    "credit_code": (credit_code, bad_credit_code),
    "bank_card": (bank_card, bad_bank_card),
    "email": (email, bad_email),
    "passport": (passport, bad_passport),
    "vehicle_plate": (plate, bad_plate),
    "ipv4": (ipv4, bad_ipv4),
    "ipv6": (ipv6, bad_ipv6),
    "address": (address, bad_address),
}


# The columns for the value-level detectors: (name, detector, maker of a valid value, near misses,
# share of valid values). The column names carry no hint except where the detector is tested by label.
def _value_columns() -> tuple[tuple[str, str, Maker, tuple[str, ...] | Maker, float], ...]:
    return (
        ("值班", "person_name", any_person_name, NAME_TRAPS, 0.88),  # names by value alone
        ("地点", "", any_person_name, PLACES, 0.0),  # places only: no names
        ("民族", "ethnicity", lambda r: ethnic_group(r, bare=r.random() < 0.05), ETHNIC_TRAPS, 0.9),
        ("分类", "ethnicity", ethnic_group, ETHNIC_TRAPS, 0.85),  # ethnic groups by value alone
        ("政治面貌", "political_status", political_status, POLITICAL_TRAPS, 0.9),
        ("宗教信仰", "religion", religion, RELIGION_TRAPS, 0.85),
        ("样本", "genetic", dna_sequence, bad_dna_sequence, 0.6),
        ("照片", "photo_biometric", photo, bad_photo, 0.6),
    )


def generate(rows: int = 2000, *, seed: int = 20261123) -> GroundTruth:
    """Columns `mixed_1..3` (any kind, valid or near miss, or plain), `证件号码` (IDs and traps),
    `联系电话` (mobiles, landlines, traps), `姓名` (person names, by label), then one column per
    value-level detector (`_value_columns`: names without a label, a column of places, ethnic groups
    with and without the label, political status, religion, DNA sequences, photos), drawn from their
    own random generator so that the first columns stay as they were."""
    rng = random.Random(seed)
    values = random.Random(seed + 1)
    kinds = list(KINDS)
    specs = _value_columns()
    header = ["mixed_1", "mixed_2", "mixed_3", "证件号码", "联系电话", "姓名", *(c[0] for c in specs)]
    truth: dict[str, list[str | None]] = {h: [] for h in header}
    out: list[list[str]] = []

    def mixed() -> tuple[str, str | None]:
        roll = rng.random()
        if roll < 0.15:
            return plain(rng), None
        kind = rng.choice(kinds)
        good, bad = KINDS[kind]
        return (good(rng), kind) if roll < 0.6 else (bad(rng), None)

    for _ in range(rows):
        row: list[str] = []
        for column in header[:3]:
            value, kind = mixed()
            row.append(value)
            truth[column].append(kind)
        ok = rng.random() < 0.6
        row.append(resident_id(rng) if ok else bad_resident_id(rng))
        truth["证件号码"].append("resident_id" if ok else None)
        roll = rng.random()
        if roll < 0.45:
            row.append(mobile(rng))
            truth["联系电话"].append("mobile")
        elif roll < 0.7:
            row.append(landline(rng))
            truth["联系电话"].append("landline")
        else:
            row.append(bad_mobile(rng))
            truth["联系电话"].append(None)
        if rng.random() < 0.9:
            row.append(person_name(rng))
            truth["姓名"].append("person_name")
        else:
            row.append(rng.choice(("", "N/A", "-")))
            truth["姓名"].append(None)
        for column, kind, good, bad, share in specs:
            if values.random() < share:
                row.append(good(values))
                truth[column].append(kind or None)
            else:
                row.append(values.choice(bad) if isinstance(bad, tuple) else bad(values))
                truth[column].append(None)
        out.append(row)
    return GroundTruth(header, out, truth)
