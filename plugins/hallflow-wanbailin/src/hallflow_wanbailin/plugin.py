"""The Wanbailin district government service centre (万柏林区政务服务中心) as a hallflow plugin.

Every rule comes from seed ``001_f911300f824a7822.txt``, 篇一: the centre's report on its
work (Taiyuan, Shanxi, 2003-2004). Sections are cited by the report's own numbering:
一 (the centre: its hall, windows and functions), 二(一)3 (the survey of the 32 items
departments can handle in the hall, and the cases handled), 二(二) (problems) and the
second 二 (proposals).

What the plugin contributes:

* the 32 items of the survey (二(一)3), by department, as matters;
* the kinds the hall's mechanism uses: immediate, promised, joint (一门受理、并联审批) and
  escalated (items the district only accepts or reviews first, decided by the city);
* :func:`windows`, the 17 department windows stationed in the hall (一).
"""

from __future__ import annotations

from collections.abc import Iterable

from hallflow import hookimpl
from hallflow.model.catalogue import (
    ESCALATED,
    IMMEDIATE,
    JOINT,
    PROMISED,
    CaseKind,
    Material,
    Matter,
)
from hallflow.model.org import Window, WindowKind
from hallflow.timeline.limits import Limit

__all__ = [
    "DEPARTMENTS",
    "ITEMS",
    "KINDS",
    "MECHANISM",
    "SEED",
    "SURVEY",
    "WINDOW_DEPARTMENTS",
    "hallflow_case_kinds",
    "hallflow_matters",
    "matters",
    "windows",
]

SEED = "seed 001_f911300f824a7822.txt, 篇一"
"""Where every rule of this package comes from."""

SURVEY = f"{SEED}, 二(一)3 (the survey: 8 departments, 32 items)"
"""Where the matters come from."""

MECHANISM = "一门受理,并联审批,一口收费,随时办结"
"""The hall's operating mechanism (一, the hall's functions 3): one door accepts, departments
approve in parallel, one point collects fees, cases close at any time."""

# ---------------------------------------------------------------------- kinds

KINDS: tuple[CaseKind, ...] = (IMMEDIATE, PROMISED, JOINT, ESCALATED)
"""The kinds the seed speaks of: immediate cases (二(一)3: every case handled so far was
one), promised ones (窗口受理,按时办结的承诺, 二(一)3), parallel approval (一: the
mechanism) and items the district only accepts or reviews first, most being decided by the
city (二(二)2)."""


@hookimpl
def hallflow_case_kinds() -> Iterable[CaseKind]:
    """Immediate, promised, joint and escalated (see :data:`KINDS`)."""
    return KINDS


# ---------------------------------------------------------------------- departments

DEPARTMENTS: dict[str, str] = {
    "civ": "Civil Affairs Bureau (民政局)",
    "sta": "Statistics Bureau (统计局)",
    "con": "Construction Administration Bureau (建管局)",
    "pla": "Planning Branch (规划分局)",
    "tra": "Transport Bureau (交通局)",
    "fam": "Family Planning Bureau (计生局)",
    "san": "City Appearance and Sanitation Bureau (市容环卫局)",
    "cul": "Culture and Sports Bureau (文体局)",
    "edu": "Education Bureau (教育局)",
    "lan": "Land and Resources Bureau (国土资源局)",
    "env": "Environmental Protection Branch (环保分局)",
    "saf": "Work Safety Bureau (安监局)",
    "est": "Real Estate Bureau (房地局)",
    "lab": "Labour and Social Security Bureau (劳动和社会保障局)",
    "hea": "Health Bureau (卫生局)",
    "pri": "Price Bureau (物价局)",
    "agr": "Agriculture Bureau (农业局)",
}
"""Every department named below, by a short key used in codes (English rendering, then the
seed's name)."""

_FIRST_FLOOR: tuple[str, ...] = ("edu", "pla", "lan", "con", "env", "fam", "saf")
_FIRST_FLOOR += ("est", "lab", "san", "hea", "cul", "sta", "civ")

WINDOW_DEPARTMENTS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, _FIRST_FLOOR),
    (2, ("tra", "pri", "agr")),
)
"""The windows stationed in the hall, by floor, in the seed's order (一): 14 on the first
floor, 3 on the second."""


def windows() -> tuple[Window, ...]:
    """The 17 department windows stationed in the hall (篇一 一).

    The seed says the hall was built for 31 windows, but names the 17 departments whose
    windows were stationed there at the time of the report: 14 on the first floor and 3 on
    the second. Each becomes a department window coded by its department's key (``civ``,
    ``sta``...), named with its floor, and serving every matter of its department. The
    eight departments of the survey all have one, so every matter has a window.

    Returns:
        The windows, first floor first, in the seed's order.
    """
    return tuple(
        Window(key, f"Floor {floor}: {DEPARTMENTS[key]}", WindowKind.DEPARTMENT, DEPARTMENTS[key])
        for floor, keys in WINDOW_DEPARTMENTS
        for key in keys
    )


# ---------------------------------------------------------------------- matters

ITEMS: dict[str, tuple[str, ...]] = {
    "civ": (
        "Approval of a social organisation (社团审批)",
        "Approval of a private non-enterprise unit (民办非企业单位审批)",
        "Approval of a welfare institution (福利机构审批)",
    ),
    "sta": (
        "Issue of the statistical survey registration certificate (〈统计调查登记证〉办理)",
        "Change of the statistical survey registration certificate (〈统计调查登记证〉变更)",
        "Annual review of the statistical survey registration certificate (〈统计调查登记证〉年审)",
        "Surrender and cancellation of the statistical survey registration certificate "
        "(〈统计调查登记证〉的缴销)",
        "Handling of a statistical violation case (统计违法案件的处理)",
    ),
    "con": (
        "Preliminary review for the construction permit (〈施工许可证〉的初审)",
        "Approval of changes to city trees and of the occupation of green space "
        "(城市树木变动及占用绿地审批)",
    ),
    "pla": (
        "Acceptance of an application for a village and town construction site opinion "
        "(申请〈村镇建设项目选址意见书〉的受理)",
        "Acceptance of an application for a village and town construction land-use planning "
        "permit (申办〈村镇建设用地规划许可证〉的受理)",
        "Acceptance of an application for a construction project planning permit "
        "(申办〈建设工程规划许可证〉的受理)",
        "Acceptance of an application for a house renovation permit (申办〈房屋翻修许可证〉的受理)",
        "Acceptance of an application for a shop sign or temporary advertisement planning "
        "permit (申办〈店名牌匾、临时性广告规划许可证〉的受理)",
        "Acceptance of an application for planning acceptance of construction works "
        "(申请〈建设工程规划验收〉的受理)",
    ),
    "tra": (
        "Acceptance of the opening or suspension of business under a road transport "
        "certificate (〈道路运输证〉开、停业受理)",
        "Acceptance of the opening or suspension of business of a motor vehicle repair "
        "enterprise (汽车维修企业的开、停业受理)",
    ),
    "fam": (
        "Issue of the marriage and childbearing certificate to a migrant "
        "(为流动人口办理〈流动人口婚育证明〉)",
        "Check of the pregnancy test certificate of a married migrant woman of childbearing "
        "age (为流动人口中的已婚育龄妇女审验孕检证明)",
        "Check of the marriage and childbearing certificate of a migrant running an individual "
        "business (为流动人口中的个体营业户审验〈流动人口婚育证明〉)",
    ),
    "san": (
        "Refuse transport permit (垃圾准运证)",
        "Approval of temporary and construction occupation of roads (市容临时占道、施工占道审批)",
        "Approval of non-fixed large outdoor advertisements, slogans, banners and street "
        "promotions or sales (非固定大型户外广告、标语、条幅及设点宣传展销审批)",
        "Review and countersigning of non-permanent buildings and structures and other "
        "facade decoration (搭建非永久性建筑物构筑物和其它立面装修审核、会签)",
        "Review of night-scene lighting (夜景灯饰<审核>)",
        "Countersigning of keeping poultry and livestock (饲养家禽、家畜<会签>)",
    ),
    "cul": (
        "Book and periodical rental and retail (图书、报刊出租、零售)",
        "Typing, photocopying and business card printing (打字、复印、名片制作)",
        "Printing (印刷)",
        "Preliminary review of a chess and card room (棋牌初审)",
        "Preliminary review of audio-visual products (音像制品初审)",
    ),
}
"""The 32 items of the survey, by department, in the seed's order and numbering (二(一)3):
civil affairs 3, statistics 5, construction administration 2, planning 6, transport 2,
family planning 3, city appearance and sanitation 6, culture and sports 5."""

_ESCALATING_WORDS = ("受理", "初审")
"""An item whose name ends in "acceptance" (受理) or says "preliminary review" (初审): the
district's part ends when it passes the case on, the city deciding (二(二)2)."""

_FORM = Material("form", "Application form (申请表)", original=True, copies=0)
"""The seed lists names only; the one material every application has is its form."""


def _escalated(name: str) -> bool:
    chinese = name[name.rfind("(") :]
    return any(word in chinese for word in _ESCALATING_WORDS)


def _matter(key: str, number: int, name: str) -> Matter:
    escalated = _escalated(name)
    article = "Art. 43 (preliminary review by a lower level)" if escalated else "Art. 42"
    return Matter(
        code=f"wbl-{key}-{number:02d}",
        name=name,
        department=DEPARTMENTS[key],
        kind=ESCALATED if escalated else PROMISED,
        legal_basis=(
            f"Administrative Licensing Law of the PRC, {article}: 20 working days, the "
            "national default (the survey gives no legal basis or limit for the item)",
        ),
        conditions=("As the department's published service guide states.",),
        materials=(_FORM,),
        legal_limit=Limit.working_days(20),
        promised_limit=Limit.working_days(20),
        summary=(
            f"Item {number} of the {DEPARTMENTS[key]} in the Wanbailin centre's survey of "
            f"items that can be handled in the hall ({SURVEY})."
        ),
    )


def matters() -> tuple[Matter, ...]:
    """The 32 items of the survey (篇一 二(一)3), as matters.

    The seed gives each item's name and department only. So each matter has:

    * the code ``wbl-<department key>-<number>``, the number being the item's under its
      department in the survey (``wbl-pla-03``: the planning branch's third item);
    * kind :data:`~hallflow.model.catalogue.ESCALATED` when the name says the district only
      accepts it (受理) or reviews it first (初审) — most decisions rest with the city
      (二(二)2); otherwise :data:`~hallflow.model.catalogue.PROMISED`;
    * the Administrative Licensing Law's default legal limit, 20 working days (Art. 42;
      Art. 43 for a first review), with a promised limit equal to it: placeholders, as the
      seed gives no limit for any item — a hall that publishes its own promises amends them
      (``hallflow_amend_matter``);
    * one material, the application form.
    """
    return tuple(
        _matter(key, number, name)
        for key, names in ITEMS.items()
        for number, name in enumerate(names, 1)
    )


@hookimpl
def hallflow_matters() -> Iterable[Matter]:
    """The 32 items of the survey (see :func:`matters`)."""
    return matters()
