"""The Zhenlai county approval centre (镇赉县行政审批管理服务中心) as a hallflow plugin.

Every rule here comes from seed ``000_2d1bee3f43073aea.txt``, 篇三 (Zhenlai's collected
rules). Each rule names the document inside 篇三 and its article. Abbreviations used below:

* *Measures*: 镇赉县行政审批管理服务中心管理办法 (the centre's management measures).
* *Approval measures*: 镇赉县行政审批管理服务中心行政审批管理办法.
* *Procedure rules*: 窗口审批项目办理工作规程 (how windows handle items).
* *Green channel rules*: 镇赉县重点投资项目行政审批绿色通道的实施细则.
* *Item list*: 应进中心行政审批及服务项目 (the items that must enter the centre).

What the plugin contributes:

* the case kinds of the five-kind system plus escalated cases;
* a limit policy with no required compression and a green-channel factor of 1/2;
* the reminder ladder (advance notice, reminder, warning, referral) on the promised clock,
  as data (:data:`LADDER`);
* approval seals held by the department's chief representative;
* a co-department's silence on a joint matter counts as consent;
* fees given as a range are charged at the lower bound;
* a slice of the item list as matters.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from hallflow import hookimpl
from hallflow.model.catalogue import (
    ESCALATED,
    IMMEDIATE,
    JOINT,
    PROMISED,
    CaseKind,
    Material,
    Matter,
    SilencePolicy,
)
from hallflow.model.org import Role
from hallflow.plugins.policy import Escalation, EscalationAction, LimitPolicy
from hallflow.seals import SealKind
from hallflow.timeline.clock import ClockStatus
from hallflow.timeline.ladder import Ladder, Rung
from hallflow.timeline.limits import Limit

__all__ = [
    "CATALOGUE_SOURCE",
    "KINDS",
    "LADDER",
    "LADDER_CLOCKS",
    "LIMIT_POLICY",
    "NOTICE_BEFORE",
    "REFERRAL_AFTER",
    "RETURNED",
    "SEED",
    "TO_COMPLETE",
    "WARNING_AFTER",
    "hallflow_case_kinds",
    "hallflow_escalation_ladders",
    "hallflow_fee_range_rule",
    "hallflow_limit_policy",
    "hallflow_matters",
    "hallflow_seal_holder_roles",
    "hallflow_silence_policy",
    "ladder",
    "matters",
]

SEED = "seed 000_2d1bee3f43073aea.txt, 篇三"
"""Where every rule of this package comes from."""

CATALOGUE_SOURCE = f"{SEED}, Item list (应进中心行政审批及服务项目)"
"""Where the matters come from."""

# ---------------------------------------------------------------------- kinds

RETURNED = CaseKind("returned", "Returned")
"""退办件: an application the state forbids or policy excludes; the window answers in writing,
explains the policy limits and hands over a return notice (Measures, Art. 10(4))."""

TO_COMPLETE = CaseKind("to_complete", "To be completed")
"""补办件: materials are missing; the window lists everything missing at once, and the limit
counts from the day the materials are complete (Measures, Art. 10(5))."""

KINDS: tuple[CaseKind, ...] = (IMMEDIATE, PROMISED, JOINT, RETURNED, TO_COMPLETE, ESCALATED)
"""The five-kind system (五件制: 即办, 承诺, 联办, 退办, 补办 — Measures, Art. 10) plus the
escalated case (上报件), which the Measures (Art. 10(2)) and the Procedure rules (二(一), 三)
handle with its own notice and a local part that ends within the promised limit."""


@hookimpl
def hallflow_case_kinds() -> Iterable[CaseKind]:
    """Zhenlai's kinds: the five-kind system plus escalated cases (Measures, Art. 10)."""
    return KINDS


# ---------------------------------------------------------------------- limits

LIMIT_POLICY = LimitPolicy(
    min_reduction=Fraction(0),
    green_channel=Fraction(1, 2),
    source=(
        f"{SEED}: no fixed compression — the Measures (Art. 7(3)) only ask that promised "
        "limits be as short as the procedure allows; green channel: Green channel rules, "
        "Art. 4(1), half the published promised limit"
    ),
)
"""Zhenlai sets no percentage by which promised limits must undercut legal ones (Measures,
Art. 7(3): "as short as possible"), so the required reduction is 0. For key investment
projects in the green channel, every window handles the case in half the promised limit it
publishes (Green channel rules, Art. 4(1))."""


@hookimpl
def hallflow_limit_policy() -> LimitPolicy:
    """No fixed compression; the green channel halves the promised limit."""
    return LIMIT_POLICY


# ---------------------------------------------------------------------- escalation

NOTICE_BEFORE = 3
"""The advance notice (催办预告) goes out 3 working days before the limit (Approval measures,
Art. 15(1))."""

WARNING_AFTER = 3
"""The reminder (催办通知) at the limit gives 3 more days; a warning follows when they pass
(Approval measures, Art. 15(2)-(3))."""

REFERRAL_AFTER = WARNING_AFTER + 5
"""The warning (催办警告) gives 5 more days; when they pass too the case is referred to the
county supervision authority (Approval measures, Art. 15(3)-(4)). Counted from the limit:
3 + 5 = 8 units."""

LADDER_CLOCKS = frozenset({"promised"})
"""The ladder watches the promised limit, the limit the centre publishes and supervises
(Approval measures, Art. 14(2), 15). The legal clock is left to the national plugin."""

_WINDOW = "acceptance window (受理窗口)"
_DEPARTMENT = "responsible department (审批责任部门)"
_LEADER = "responsible department (审批责任部门), copied to a county government leader"
_SUPERVISION = "county supervision authority (县行政监察机关)"

LADDER = Ladder(
    "zhenlai",
    (
        Rung(
            "zhenlai-notice",
            "reminder",
            _WINDOW,
            "Advance notice (催办预告): the limit falls due at {due} ({left}; {left_zh}).",
            LADDER_CLOCKS,
            NOTICE_BEFORE,
        ),
        Rung(
            "zhenlai-reminder",
            "reminder",
            _DEPARTMENT,
            f"Reminder (催办通知): the limit fell due at {{due}} ({{left}}; {{left_zh}}); "
            f"close within {WARNING_AFTER} {{days}}.",
            LADDER_CLOCKS,
            0,
        ),
        Rung(
            "zhenlai-warning",
            "warning",
            _LEADER,
            f"Warning (催办警告): not closed {WARNING_AFTER} {{days}} after the limit "
            f"({{left}}; {{left_zh}}); close within {REFERRAL_AFTER - WARNING_AFTER} {{days}}.",
            LADDER_CLOCKS,
            -WARNING_AFTER,
        ),
        Rung(
            "zhenlai-referral",
            "referral",
            _SUPERVISION,
            "Referral: not closed within the warning's term; the staff and department "
            "leaders responsible are to be held to account.",
            LADDER_CLOCKS,
            -REFERRAL_AFTER,
        ),
    ),
    source=f"{SEED}, Approval measures, Art. 15",
)
"""Zhenlai's reminder ladder (Approval measures, Art. 15), as data:

1. ``zhenlai-notice`` (催办预告): 3 working days or less before the limit, an advance
   notice to the acceptance window.
2. ``zhenlai-reminder`` (催办通知): at the limit, a reminder to the responsible department:
   close within 3 days.
3. ``zhenlai-warning`` (催办警告): 3 days after the limit, a warning to the department,
   reported to a county government leader: close within 5 days.
4. ``zhenlai-referral``: 5 days after the warning, referral to the county supervision
   authority, which pursues the staff and leaders responsible.

For a clock counted in working days, "days" are working days; for one in calendar days they
are calendar days (the seed writes the 3 and 5 as plain days). A same-day or working-hour
clock has no days to count down: the advance notice follows the clock's own reminder window
(none for a same-day limit), the reminder fires once the limit has passed, and the 3 and 8
days after it are wall time (the ladder's wall-time rule, :mod:`hallflow.timeline.ladder`).
A stopped or paused clock reaches nothing: a stopped case is closed, and a paused one is not
counting (a correction, an excluded period), so nothing is due from the department."""


def ladder(status: ClockStatus) -> tuple[Escalation, ...]:
    """The rungs of :data:`LADDER` a clock has reached, as escalations, in ladder order.

    The rungs reached are all returned, so a sweep that comes late records the whole ladder
    at once; the hall records each code once per case and clock. Only the clocks the ladder
    watches (:data:`LADDER_CLOCKS`) reach anything. Total over every :class:`ClockStatus`:
    it never raises.

    Args:
        status: the clock's status.

    Returns:
        The escalations reached (empty when none is).
    """
    return tuple(
        Escalation(r.code, EscalationAction(r.action), r.to, r.text(status))
        for r in LADDER.reached(status)
    )


@hookimpl
def hallflow_escalation_ladders(matter: Matter) -> Iterable[Ladder]:
    """Zhenlai's reminder ladder on every matter's promised clock (Approval measures, Art. 15)."""
    return (LADDER,)


# ---------------------------------------------------------------------- seals


@hookimpl
def hallflow_seal_holder_roles(kind: SealKind) -> Iterable[Role]:
    """Seals are kept and used by the department's chief representative.

    The chief representative is responsible for using and managing the department's
    approval seal (Measures, Art. 15(6)) and manages it day to day under the department
    leader (Art. 19). The seal is used only at the centre's window (Art. 17): a matter of
    where the seal is affixed, which no hook expresses — the hall operator keeps the seal's
    key at the window.
    """
    return (Role.CHIEF_REPRESENTATIVE,)


# ---------------------------------------------------------------------- joint and fees


@hookimpl
def hallflow_silence_policy(matter: Matter) -> SilencePolicy:
    """A co-department that does not reply in time is taken to consent.

    A related department that misses the joint review or site visit without good reason,
    or does not give its opinion within the limit, is taken to agree once the lead reports
    to the centre and the opinion is countersigned; it bears the responsibility (Procedure
    rules, 三(三)8).
    """
    return SilencePolicy.CONSENT


@hookimpl
def hallflow_fee_range_rule() -> str:
    """A fee given as a range is charged at its lower bound.

    The Approval measures (Art. 7(4)) charge every range at its lower bound. The Measures
    (Art. 7(4)) only say the charge must lie within the range; the stricter rule is kept.
    """
    return "lower"


# ---------------------------------------------------------------------- matters

_DEPARTMENTS = {
    "env": "Environmental Protection Bureau (环境保护局)",
    "com": "Commerce Bureau (商务局)",
    "agr": "Agriculture Bureau (农业局)",
    "cul": "Culture, Press, Publication and Sports Bureau (文化新闻出版和体育局)",
    "hea": "Health Bureau (卫生局)",
    "aic": "Administration for Industry and Commerce (工商局)",
    "civ": "Civil Affairs Bureau (民政局)",
    "eco": "Economic Bureau (经济局)",
    "con": "Construction Bureau (建设局)",
    "pol": "Public Security Bureau (公安局)",
    "tra": "Transport Bureau (交通局)",
    "wat": "Water Resources Bureau (水利局)",
    "for": "Forestry Bureau (林业局)",
}

# (department key, item number in the Item list, name) — the item's number under its
# department in the Item list; the names are the seed's, with an English rendering.
_PROMISED_ITEMS: tuple[tuple[str, int, str], ...] = (
    ("env", 16, "EIA document approval (建设项目环境影响评价文件的审批)"),
    ("env", 22, "Pollutant discharge permit (企事业单位排污许可证的发放)"),
    ("com", 1, "Approval of a domestic travel agency (国内旅行社设立审批)"),
    ("agr", 1, "Crop seed production licence (核发农作物种子生产许可证)"),
    ("agr", 2, "Crop seed trading licence (核发农作物种子经营许可证)"),
    ("cul", 7, "Approval of an internet café (申请互联网上网服务营业场所经营单位的审批)"),
    ("cul", 20, "Publication retail or rental business (申请设立出版物零售、出租企业或者其他单位)"),
    ("hea", 19, "Hygiene licence, catering (卫生许可证(餐饮业))"),
    ("hea", 21, "Hygiene licence, public places (卫生许可证(公共场所))"),
    ("aic", 5, "Registration of an individual business (个体工商户登记)"),
    ("aic", 10, "Approval and registration of an enterprise name (企业名称核准登记)"),
    ("civ", 1, "Approval of a welfare lottery outlet (福利彩票投注站设立审批)"),
    ("civ", 5, "Approval of a new or changed welfare enterprise (新办、变更社会福利企业审批)"),
    ("con", 22, "Construction permit for building works (建筑工程施工许可证)"),
    ("con", 34, "Commercial housing pre-sale permit (商品房销(预)售许可)"),
    ("con", 63, "Land-use planning permit for construction (建设用地规划许可证)"),
    ("con", 69, "Construction project planning permit (建设工程规划许可证)"),
    ("pol", 6, "Review of opening a hotel or bathhouse (旅馆业、洗浴业(含住宿)开业的审核)"),
    ("tra", 5, "Freight transport business licence (核发货运经营许可证)"),
    ("wat", 1, "Water abstraction permit (核发《取水许可证(含年检)》)"),
    ("for", 5, "Logging permit (核发《采伐许可证》)"),
)

# Items whose names say the county only reviews or rates them first (初审, 初评) and
# reports them to a higher authority: escalated cases.
_ESCALATED_ITEMS: tuple[tuple[str, int, str], ...] = (
    ("com", 24, "Initial rating of an A-grade tourist attraction (A级旅游景区(点)质量等级初评)"),
    ("hea", 3, "Preliminary review of a medical institution's preparation (医疗机构制剂初审)"),
    ("eco", 1, "Preliminary review of a refined-oil retail certificate (成品油零售经营证书初审)"),
    ("eco", 2, "Preliminary review of a coal trading licence (煤炭经营许可证初审)"),
)

_FORM = Material("form", "Application form (申请表)", original=True, copies=0)
"""The item list gives names only; the one material every application has is its form."""


def _matter(key: str, number: int, name: str, escalated: bool) -> Matter:
    article = "Art. 43 (preliminary review by a lower level)" if escalated else "Art. 42"
    return Matter(
        code=f"zl-{key}-{number:02d}",
        name=name,
        department=_DEPARTMENTS[key],
        kind=ESCALATED if escalated else PROMISED,
        legal_basis=(
            f"Administrative Licensing Law of the PRC, {article}: 20 working days, the "
            "national default (the item list gives no limit for the item)",
        ),
        conditions=("As the department's published service guide states.",),
        materials=(_FORM,),
        legal_limit=Limit.working_days(20),
        promised_limit=Limit.working_days(20),
        seal_required=True,
        summary=(
            f"Item {number} of the {_DEPARTMENTS[key]} in Zhenlai's list of items handled "
            f"in the centre ({CATALOGUE_SOURCE})."
        ),
    )


def matters() -> tuple[Matter, ...]:
    """A slice of Zhenlai's item list (Item list, by department), as matters.

    The seed lists items by name under each department, with no limits, materials or
    fees. So each matter has:

    * its code ``zl-<department>-<number>``, the number being the item's in the list;
    * kind :data:`~hallflow.model.catalogue.ESCALATED` when its name says the county only
      reviews or rates it first (初审, 初评), else
      :data:`~hallflow.model.catalogue.PROMISED` (the seed marks no item as immediate or
      joint);
    * the national default legal limit of the Administrative Licensing Law (20 working
      days, Art. 42; Art. 43 for a preliminary review), and a promised limit equal to it —
      a hall publishing shorter promises amends them (``hallflow_amend_matter``);
    * one material, the application form;
    * the approval seal, which makes an approval valid (Measures, Art. 17).
    """
    return tuple(_matter(k, n, name, False) for k, n, name in _PROMISED_ITEMS) + tuple(
        _matter(k, n, name, True) for k, n, name in _ESCALATED_ITEMS
    )


@hookimpl
def hallflow_matters() -> Iterable[Matter]:
    """A slice of Zhenlai's item list (see :func:`matters`)."""
    return matters()


# ---------------------------------------------------------------------- scoring
# The monthly assessment lives in hallflow_zhenlai.scoring (Window and Staff rules of 篇三).

from hallflow.supervision.scoring import ScoringScheme  # noqa: E402
from hallflow_zhenlai.scoring import SCHEME  # noqa: E402


@hookimpl
def hallflow_scoring_scheme() -> ScoringScheme:
    """Zhenlai's window and staff assessment (see :mod:`hallflow_zhenlai.scoring`)."""
    return SCHEME


__all__ += ["hallflow_scoring_scheme"]
