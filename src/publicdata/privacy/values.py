"""Detectors of whole values and free text (SEC-4): precise addresses, person names, ethnic group,
political status, religious belief, genetic sequences, photos and biometric templates. Their
validators read the word lists of `privacy.lexicon` (surnames, jieba's common words, the NBS division
names, GB 3304 ethnic groups, GB/T 4762 political status, religions). Pure Python; the patterns are RE2
for DuckDB. `detectors` registers them after the identifier detectors.

Most of these are judged per distinct value (`Detector.by_value`): a column is reported without a
label only when most of its distinct values are of the kind, because one value alone (张江, 汉) can be
a place or a word.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from publicdata.privacy import lexicon
from publicdata.privacy.model import Detector

_HAN = r"\x{4e00}-\x{9fa5}"

# ---------------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------------

# RE2 (DuckDB) and Python spellings of the Han range; 第 (U+7B2C) left out of the second.
_HAN_PY = "\u4e00-\u9fa5"
_HAN_NOT_DI = r"\x{4e00}-\x{7b2b}\x{7b2d}-\x{9fa5}"
_ROAD_SUFFIX = "(?:路|街|大道|道|巷|弄|里|村|公路)"
# A road, street or lane and a house number: 南京东路100号, 长乐路200弄.
_ROAD_NUMBER_RE2 = "[" + _HAN + "]{2,}" + _ROAD_SUFFIX + "[0-9]+(?:号|弄)"
_ROAD_NUMBER = re.compile("[" + _HAN_PY + "]{2,}" + _ROAD_SUFFIX + "[0-9]+(?:号|弄)")
# An administrative prefix (…省, …市, …区, …县, …旗, …盟, …州) and a numbered detail without a road:
# 浦东新区张江镇中心村3组15号, 闵行区莘建小区12号楼302室, 黄浦区外滩18号. The character before the
# number is not 第 (上海市…第3号 is a document number) and 号线 is a metro line. Valid when the prefix
# holds a division name of the NBS table (is_precise_address).
_ADMIN_DETAIL_RE2 = (
    "(?:[" + _HAN + "]{1,12}?(?:省|市|区|县|旗|盟|州)){1,3}"
    "(?:[" + _HAN + "0-9A-Za-z（）()-]*[" + _HAN_NOT_DI + "A-Za-z（）()-])?"
    "[0-9]{1,5}(?:号楼|号院|弄|室|栋|幢|单元|组|号(?:[^线]|$))[" + _HAN + "0-9A-Za-z-]*"
)


@cache
def _division_names_sql() -> str:
    return "(?:" + "|".join(sorted(lexicon.division_names())) + ")"


@cache
def _division_name_lengths() -> tuple[int, ...]:
    return tuple(sorted({len(n) for n in lexicon.division_names()}))


def _has_division_name(text: str) -> bool:
    names = lexicon.division_names()
    lengths = _division_name_lengths()
    return any(text[i : i + n] in names for i in range(len(text)) for n in lengths)


def is_precise_address(value: str) -> bool:
    """A road and house number (南京东路100号), or an NBS division name with a numbered detail
    (上海市浦东新区张江镇中心村3组15号) — candidates of the address pattern."""
    return _ROAD_NUMBER.search(value) is not None or _has_division_name(value)


def address_sql(x: str) -> str:
    """`is_precise_address` in DuckDB SQL: the road-number form first (most addresses), the division
    names (one RE2 alternation) only for the others."""
    return (
        f"(CASE WHEN regexp_matches({x}, '{_ROAD_NUMBER_RE2}') THEN true "
        f"ELSE coalesce(regexp_matches({x}, '{_division_names_sql()}'), false) END)"
    )


# ---------------------------------------------------------------------------------------------
# Person names
# ---------------------------------------------------------------------------------------------

_NAME_HAN = re.compile("[" + _HAN_PY + "]{2,4}")
_SEPARATED_NAME = re.compile("[" + _HAN_PY + "]{1,6}[·•][" + _HAN_PY + "]{1,8}")


_SINGLE_SURNAMES = frozenset(lexicon.SINGLE_SURNAMES)
_COMPOUND_SURNAMES = frozenset(lexicon.COMPOUND_SURNAMES)


def is_person_name(value: str) -> bool:
    """In a column labelled as names (姓名, 联系人, …), a 2–4 character Han value (or a ·-joined
    transliterated name: the detector's pattern) that is not a placeholder (不详, 未知 …)."""
    return value.strip() not in lexicon.NOT_NAMES


def is_name_value(value: str) -> bool:
    """A value that reads as a person's name without a column label: 2–3 Han characters starting with
    a common surname, or 3–4 starting with a compound one (欧阳, 司马 …), or a ·-joined transliterated
    name; not ending like a place, body or thing (…区, …路, …站, …公司, …中心, …业), not a
    "<surname>家<place>" (陆家嘴, 徐家汇), not a division name without its ending (黄浦, 昆山), not one
    of jieba's frequent common words (高速, 黄河, 王国) and not a placeholder.

    A value alone can still be a place (张江, 周浦): the scan reports a column only when most of its
    distinct values read as names (`Detector.column_share`)."""
    text = value.strip()
    if text[-1:] in lexicon.PLACE_ENDINGS or text.endswith(lexicon.LONG_ENDINGS):
        return False
    if _SEPARATED_NAME.fullmatch(text):
        return True
    if _NAME_HAN.fullmatch(text) is None or text in lexicon.NOT_NAMES:
        return False
    if text[:2] in _COMPOUND_SURNAMES:
        if len(text) == 2:
            return False  # a surname alone
    elif len(text) == 4 or text[0] not in _SINGLE_SURNAMES:
        return False
    if len(text) == 3 and text[1] == "家" and text[2] in lexicon.JIA_PLACE_ENDINGS:
        return False
    return text not in lexicon.division_stems() and text not in lexicon.common_words()


# ---------------------------------------------------------------------------------------------
# Ethnic group, political status, religion (whole values)
# ---------------------------------------------------------------------------------------------


def _one_of(values: frozenset[str]) -> Callable[[str], bool]:
    """A validator accepting exactly `values` (surrounding blanks ignored)."""

    def check(value: str) -> bool:
        return value.strip() in values

    return check


# Ethnic groups: the 56 of GB 3304 by name (汉族, 维吾尔族 …) and codes 97/98 (外国血统中国籍人士 …);
# in a column labelled 民族 also the bare names (汉, 回, 蒙古), which alone name other things.
_ETHNIC = frozenset(lexicon.ETHNIC_GROUPS) | frozenset(lexicon.ETHNIC_OTHER)
_ETHNIC_BARE = frozenset(g[:-1] for g in lexicon.ETHNIC_GROUPS)
is_ethnic_group = _one_of(_ETHNIC)
is_ethnic_group_labelled = _one_of(_ETHNIC | _ETHNIC_BARE)
# GB/T 4762 political status (中共党员, 共青团员, 民盟盟员 … 群众), full or short form: a person's
# membership, not the party's name (中国共产党, 九三学社 are organizations).
is_political_status = _one_of(frozenset(lexicon.POLITICAL_STATUS))
# A religion or its believers (佛教, 伊斯兰教, 基督徒 …); in a column labelled as a person's belief
# also 无宗教信仰, 不信教, 无 …
_RELIGIONS = frozenset(lexicon.RELIGIONS)
is_religion = _one_of(_RELIGIONS)
is_religion_labelled = _one_of(_RELIGIONS | frozenset(lexicon.NO_RELIGION))


def _category(
    name: str,
    label_zh: str,
    label_en: str,
    *,
    values: frozenset[str],
    labelled: frozenset[str] | None = None,
    hints: tuple[str, ...],
    personal: bool = True,
    personal_hints: tuple[str, ...] = (),
) -> Detector:
    """A personal sensitive category (SEC-4) of whole values, each distinct value validated once;
    without a label, a column is reported when at least half of its distinct values are of the kind.
    A column in which no value repeats lists the categories (各民族人口: a statistics table's
    dimension) rather than describing persons: reported, but not personal. Few values, so a pseudonym
    would be undone by trying them all: the suggested rule drops the column. `labelled`: the values
    accepted in a column with a hint (default `values`)."""
    every = values | (labelled or frozenset())
    alternatives = "|".join(sorted(every, key=lambda v: (-len(v), v)))  # longest first
    return Detector(
        name=name,
        label_zh=label_zh,
        label_en=label_en,
        personal=personal,
        pattern=r"^\s*(" + alternatives + r")\s*$",
        validate=_one_of(values),
        validate_hinted=_one_of(every) if labelled else None,
        hints=hints,
        personal_hints=personal_hints,
        confidence=0.9,
        by_value=True,
        column_share=0.5,
        column_min_values=2,
        personal_if_repeated=True,
        suggested_rule={"kind": "drop"},
    )


# ---------------------------------------------------------------------------------------------
# Genetic data, photos and biometric templates
# ---------------------------------------------------------------------------------------------

MIN_SEQUENCE = 20  # nucleotides: shorter runs of A/C/G/T are codes, primers or words


def is_dna_sequence(value: str) -> bool:
    """A nucleotide sequence: at least MIN_SEQUENCE of A/C/G/T/N (the pattern), at least three of the
    four bases, and at most a tenth unknown (N)."""
    text = value.upper()
    return (
        len(text) >= MIN_SEQUENCE
        and sum(base in text for base in "ACGT") >= 3
        and text.count("N") * 10 <= len(text)
    )


def dna_sequence_sql(x: str) -> str:
    """`is_dna_sequence` in DuckDB SQL."""
    bases = " + ".join(f"CAST(contains(upper({x}), '{b}') AS INTEGER)" for b in "ACGT")
    unknown = f"(length({x}) - length(replace(upper({x}), 'N', '')))"
    return f"(length({x}) >= {MIN_SEQUENCE} AND {bases} >= 3 AND {unknown} * 10 <= length({x}))"


def is_image_value(value: str) -> bool:
    return True  # the pattern (data: URI, image magic in base64, image file name) is the check


# Base64 of the leading bytes of PNG, JPEG, GIF, WebP (RIFF), TIFF, and of ISO/IEC 19794 biometric
# records: finger minutiae (FMR), face (FAC), finger image (FIR).
_IMAGE_MAGIC_B64 = ("iVBORw0KGg", "/9j/", "R0lGOD", "UklGR", "SUkqA", "TU0AK", "Rk1SA", "RkFDA", "RklSA")
_IMAGE_EXTENSIONS = "jpe?g|png|gif|bmp|webp|tiff?|heic|heif|jp2|wsq"
_FILE_CHAR = r"[^\s:*?\"<>|,，;；]"  # a character of a file name or path


# ---------------------------------------------------------------------------------------------
# The detectors
# ---------------------------------------------------------------------------------------------

# fmt: off
VALUE_DETECTORS: tuple[Detector, ...] = (
    Detector(
        name="address",
        label_zh="精确地址",
        label_en="Precise address",
        personal=False,  # organizations' addresses are public; a person's home address is personal
        pattern="(" + _ROAD_NUMBER_RE2 + "[0-9" + _HAN + "]*|" + _ADMIN_DETAIL_RE2 + ")",
        validate=is_precise_address,
        hints=("地址", "住址", "address", "住所"),
        personal_hints=("住址", "家庭地址", "居住地", "户籍地", "现住", "home_address", "residence"),
        confidence=0.8,
        sql_validate=address_sql,
        suggested_rule={"kind": "generalize", "to": "district"},
    ),
    Detector(
        name="person_name",
        label_zh="姓名",
        label_en="Person name",
        personal=True,
        pattern=r"^\s*([" + _HAN + "]{2,4}|[" + _HAN + "]{1,6}[·•][" + _HAN + r"]{1,8})\s*$",
        validate=is_name_value,
        validate_hinted=is_person_name,
        hints=("姓名", "联系人", "负责人", "法定代表人", "经营者", "person_name", "real_name", "full_name"),
        confidence=0.85,
        by_value=True,
        column_share=0.7,
        column_min_values=5,
        suggested_rule={"kind": "mask", "keep_first": 1, "keep_last": 0},
    ),
    _category("ethnicity", "民族", "Ethnic group", values=_ETHNIC, labelled=_ETHNIC_BARE,
              hints=("民族", "ethnic", "minzu")),
    _category("political_status", "政治面貌", "Political affiliation",
              values=frozenset(lexicon.POLITICAL_STATUS), hints=("政治面貌", "党派", "political", "party")),
    # Personal when the label says it is a person's belief: a list of places of worship has a column
    # of religions too (宗教类别), and is published by law.
    _category("religion", "宗教信仰", "Religious belief", values=_RELIGIONS,
              labelled=frozenset(lexicon.NO_RELIGION), personal=False,
              hints=("宗教", "信仰", "信教", "religion", "faith", "belief"),
              personal_hints=("宗教信仰", "信仰", "信教", "religion", "faith", "belief")),
    Detector(
        name="genetic",
        label_zh="基因信息",
        label_en="Genetic data",
        personal=True,  # a sequence in open data is a person's unless the provider justifies otherwise
        pattern=r"(?:^|[^A-Za-z])([ACGTNacgtn]{" + str(MIN_SEQUENCE) + r",})(?:[^A-Za-z]|$)",
        validate=is_dna_sequence,
        hints=("基因", "dna", "序列", "sequence", "genotype", "snp", "gene"),
        confidence=0.9,
        sql_validate=dna_sequence_sql,
        suggested_rule={"kind": "drop"},
    ),
    Detector(
        name="photo_biometric",
        label_zh="照片与生物识别信息",
        label_en="Photo / biometric data",
        # Images in general (scenic spots, logos) are not personal; photos of persons, faces and
        # fingerprints are (the column label says which).
        personal=False,
        pattern=(
            r"(?:^|[^A-Za-z0-9+/])(data:image/[A-Za-z0-9.+-]{2,20};base64,"
            r"|(?:" + "|".join(_IMAGE_MAGIC_B64) + r")[A-Za-z0-9+/]{60}"
            r"|" + _FILE_CHAR + "{0,200}" + r"[^\s:*?\"<>|,，;；./\\]\.(?i:" + _IMAGE_EXTENSIONS + r")"
            r"(?:[^A-Za-z0-9]|$))"
        ),
        validate=is_image_value,
        hints=("照片", "相片", "图片", "图像", "头像", "人脸", "指纹", "photo", "image", "picture", "face"),
        personal_hints=(
            "照片", "相片", "头像", "人像", "肖像", "证件照", "免冠", "人脸", "面部", "面像", "指纹",
            "掌纹", "虹膜", "声纹", "静脉", "生物特征", "生物识别", "photo", "portrait", "avatar", "selfie",
            "headshot", "face", "fingerprint", "iris", "biometric",
        ),
        confidence=0.9,
        sql_validate=lambda x: "true",
        suggested_rule={"kind": "drop"},
    ),
)
# fmt: on
