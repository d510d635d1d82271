"""Word lists for the value-level detectors (SEC-4): Chinese surnames, place and organization endings,
the ethnic groups of GB 3304, the political-status values of GB/T 4762 and the common religions; plus
two derived lists read from data the platform already has — the NBS division names
(`reference.divisions`) and jieba's dictionary of common words (`jieba/dict.txt`).

Pure Python, no database. The derived lists are built once, on first use.

Why not a library for the names themselves: `jionlp` (1.5) has the 百家姓 and a location parser, but
installs 250 MB (jiojio's 145 MB models, numpy), prints a banner to stdout on import (which would
corrupt `publicdata scan`'s JSON), unzips its dictionaries into its own package folder on first import
(fails on a read-only install), keeps only the "unambiguous" surnames for its name check (黄 孙 周 林
高 马 胡 are not among them) and parses about 350 addresses a second. `cpca` needs pandas and ships
2018 divisions; the repository already has the NBS 2023 table.
"""

from __future__ import annotations

import os
from functools import cache

# ---------------------------------------------------------------------------------------------
# Surnames
# ---------------------------------------------------------------------------------------------

# Single-character surnames, the most common first (the Ministry of Public Security's 2020 ranking
# for the first hundred, then the next most frequent). Rare surnames that are mostly ordinary words
# (区 门 海 国 云 原 南 位 来 由 信 智 富 普 公 元 …) are left out: a column of names does not need
# every surname to be recognized (a high share of its values suffices).
SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱侯江尹薛闫阎段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严"
    "莫孔向常汤康易乔赖文施牛洪樊葛邢安齐伍庞颜倪温俞聂章鲁岳翟殷詹申欧耿关兰焦左柳甘祝包宁尚符舒阮柯"
    "纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪"
    "简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛"
    "仲虞敖巩佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥班储栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻厉伊仝郜阚权强帅屠"
    "朴练廉禹晋芮戈薄雍羊裘邰杭宿茹诸慕嵇湛茅揭檀昝衡"
)

# Two-character surnames (复姓) of the 百家姓 that are still in use.
COMPOUND_SURNAMES = (
    "欧阳", "上官", "司马", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯",
    "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "百里", "呼延", "赫连", "澹台", "公羊", "万俟",
    "闻人", "濮阳", "淳于", "单于", "太叔", "申屠", "仲孙", "鲜于", "闾丘", "司空", "亓官", "司寇", "子车",
    "颛孙", "巫马", "公西", "漆雕", "乐正", "壤驷", "公良", "拓跋", "夹谷", "宰父", "谷梁", "段干", "东郭",
    "梁丘", "左丘", "东门", "第五", "公冶", "宗政", "羊舌", "微生",
)  # fmt: skip

# Placeholders that stand where a name is unknown or withheld.
NOT_NAMES = frozenset(
    {"不详", "未知", "暂无", "匿名", "无名", "本人", "先生", "女士", "同上", "其他", "其它", "无", "空", "略",
     "暂缺", "待定", "待填", "测试", "某某", "佚名", "无名氏", "不祥", "未填", "未填写", "见附件", "详见附件"}
)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Endings of places, organizations and things (a value ending so is not a person's name)
# ---------------------------------------------------------------------------------------------

# Last characters that name places, buildings, bodies or categories and are rare in given names.
PLACE_ENDINGS = frozenset(
    "区市县镇乡村街路巷弄站园院馆局委所厂店场港湾桥浜泾塘嘴寺庙塔宫观楼厦城湖河岛洲滩渡口门坊苑庄营屯堡"
    "寨坝埠墩圩宅埭角庵祠坛库房室厅堂屋校系处部署队组会社团网报刊铺器机线段项物品料菜茶酒药剂族党教病"
    "症炎税费类级型式性制号期届次年日时分秒点车船座层栋幢棚廊亭阁斋池沟渠井泵厢"
)
# Longer endings (organizations, sectors, units, positions).
LONG_ENDINGS = (
    "中心", "公司", "集团", "银行", "医院", "学校", "大学", "中学", "小学", "学院", "幼儿园", "协会", "学会",
    "商会", "委员会", "办公室", "事务所", "研究所", "研究院", "合作社", "工作室", "服务部", "经营部",
    "门市部",
    "基金会", "联合会", "促进会", "管委会", "居委会", "村委会", "开发区", "园区", "新区", "新城", "广场",
    "大道", "公路", "高速", "地铁", "车站", "码头", "机场", "花园", "公园", "小区", "新村", "公寓", "大厦",
    "产业", "行业", "企业", "农业", "工业", "商业", "渔业", "牧业", "物业", "事业", "职业", "专业", "作业",
    "营业", "就业", "创业", "筑业", "造业", "务业", "售业", "融业", "饮业", "宿业", "游业", "输业", "信业",
    "产品", "设备", "材料", "项目", "工程", "科技", "技术", "信息", "服务", "管理", "咨询", "贸易", "实业",
    "投资", "控股", "传媒", "文化", "电子", "物流", "餐饮", "医药", "环保", "建设", "发展", "研究", "监测",
    "主任", "经理", "局长", "处长", "科长", "书记", "委员", "主席", "代表", "部长", "院长", "校长", "所长",
    "高科", "之家", "人民", "政府", "地区", "流域", "水系", "林场", "农场", "渔场",
)  # fmt: skip

# Place names built as "<surname>家<place>" (陆家嘴, 徐家汇, 曹家渡, 朱家角, 王家宅): the third character.
JIA_PLACE_ENDINGS = frozenset(
    "嘴汇渡角浜宅桥埭湾港巷村庄圩墩滩坞塘浦泾弄楼铺店集寨屯营堡坝坪湖河口门山岭洼沟"
)

# ---------------------------------------------------------------------------------------------
# Ethnic groups (GB 3304-1991 中国各民族名称的罗马字母拼写法和代码), political status (GB/T 4762-1984
# 政治面貌代码) and religions
# ---------------------------------------------------------------------------------------------

ETHNIC_GROUPS = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族",
    "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族",
    "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族",
    "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族",
    "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族",
    "门巴族", "珞巴族", "基诺族",
)  # fmt: skip
# GB 3304 codes 97 and 98: persons whose group is not one of the 56.
ETHNIC_OTHER = ("外国血统中国籍人士", "外国血统", "未识别民族", "其他未识别民族")

POLITICAL_STATUS = (
    "中国共产党党员", "中共党员", "共产党员", "中国共产党预备党员", "中共预备党员", "预备党员",
    "中国共产主义青年团团员", "共青团员", "团员", "中国国民党革命委员会会员", "民革会员", "民革党员",
    "中国民主同盟盟员", "民盟盟员", "中国民主建国会会员", "民建会员", "中国民主促进会会员", "民进会员",
    "中国农工民主党党员", "农工党党员", "中国致公党党员", "致公党党员", "九三学社社员",
    "台湾民主自治同盟盟员", "台盟盟员", "无党派民主人士", "无党派人士", "无党派", "民主党派",
    "民主党派成员", "党员", "群众", "普通群众", "普通居民", "普通公民",
)  # fmt: skip

RELIGIONS = (
    "佛教", "道教", "伊斯兰教", "天主教", "基督教", "基督新教", "基督教新教", "新教", "东正教", "藏传佛教",
    "汉传佛教", "南传佛教", "上座部佛教", "犹太教", "印度教", "锡克教", "巴哈伊教", "萨满教", "耆那教",
    "神道教", "琐罗亚斯德教", "摩门教", "佛教徒", "道教徒", "穆斯林", "天主教徒", "基督徒", "基督教徒",
    "东正教徒",
)  # fmt: skip
# Answers in a column labelled as a person's belief that are still a statement about it.
NO_RELIGION = ("无宗教信仰", "无宗教", "不信教", "无信仰", "无神论", "无神论者", "无")

# ---------------------------------------------------------------------------------------------
# Derived lists: NBS division names, jieba's common words
# ---------------------------------------------------------------------------------------------

_DIVISION_SUFFIXES = (
    "特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "自治旗",
    "新区", "林区", "特区", "矿区", "省", "市", "区", "县", "旗", "盟", "州",
)  # fmt: skip
_PLACEHOLDER_DIVISIONS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


def _named_divisions() -> list[str]:
    from publicdata.reference.divisions import all_divisions

    return [d.name for d in all_divisions() if d.name not in _PLACEHOLDER_DIVISIONS]


@cache
def division_names() -> frozenset[str]:
    """Full names of every province, city and county-level division in the NBS table, at least three
    characters long (two-character ones such as 城区 or 郊区 are also ordinary words)."""
    return frozenset(n for n in _named_divisions() if len(n) >= 3)


def _stem(name: str) -> str:
    for suffix in _DIVISION_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@cache
def division_stems() -> frozenset[str]:
    """Division names without their administrative ending (黄浦, 浦东, 徐汇, 昆山), two characters or
    more: written alone they name places, not people."""
    return frozenset(stem for stem in map(_stem, _named_divisions()) if len(stem) >= 2)


_PERSON_TAGS = frozenset({"nr", "nrfg", "nrt"})
# jieba's rare entries are often names under another tag (马建国 ns, 高军 n): only words at least this
# frequent in its corpus count as common words.
COMMON_WORD_FREQUENCY = 100


@cache
def common_words() -> frozenset[str]:
    """Words of jieba's dictionary, 2–4 characters, starting with a known surname, not tagged as a
    person's name (nr, nrfg, nrt) and frequent: 高速, 黄河, 方案, 居住, 王国 … A value that is such a
    word is not read as a name. jieba is already a dependency (full-text search); its dictionary is
    read once (about 0.5 s), and only when a value has passed every cheaper test."""
    import jieba

    first = frozenset(SINGLE_SURNAMES) | {c[0] for c in COMPOUND_SURNAMES}
    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    words: set[str] = set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if (
                len(parts) == 3
                and 2 <= len(parts[0]) <= 4
                and parts[0][0] in first
                and parts[2] not in _PERSON_TAGS
                and int(parts[1]) >= COMMON_WORD_FREQUENCY
            ):
                words.add(parts[0])
    return frozenset(words)
