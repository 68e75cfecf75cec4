"""Zhenlai's monthly assessment of windows and window staff, as a hallflow scoring scheme.

Every rule comes from seed ``000_2d1bee3f43073aea.txt``, 篇三, two documents in it:

* *Window rules*: 镇赉县行政审批管理服务中心窗口考核实施细则 (sections 一–九);
* *Staff rules*: 镇赉县行政审批管理服务中心工作人员考核实施细则 (sections 一–七).

Both set a base of 100 points and up to 20 bonus points, assessed monthly. The scheme scores
only what hallflow's events establish (see :mod:`hallflow.supervision.scoring`): attendance,
dress, tidiness, peer review and the briefing contributions are recorded outside hallflow, so
their categories keep their points here. Where the seed gives a range (2–5, 5–10 points), the
lower bound is deducted: a larger one needs a person's judgement of the case.
"""

from __future__ import annotations

from hallflow.supervision.scoring import (
    Bonus,
    Category,
    Deduction,
    FactKind,
    Grade,
    ScoringScheme,
    Table,
)

__all__ = ["SCHEME", "SOURCE", "STAFF", "WINDOWS"]

SOURCE = "seed 000_2d1bee3f43073aea.txt, 篇三"
"""Where the scheme comes from."""

_W = f"{SOURCE}, Window rules"
_S = f"{SOURCE}, Staff rules"

WINDOWS = Table(
    base=100,
    bonus_cap=20,
    categories=(
        Category("attendance", "Attendance and discipline", 10),  # 一
        Category("conduct", "Conduct", 28),  # 二
        Category("service", "Service quality", 22),  # 三
        Category("results", "Results", 20),  # 四
        Category("fees", "Fee management", 10),  # 五
        Category("tidiness", "Tidiness and files", 5),  # 六
        Category("rating", "Window rating", 5),  # 七
    ),
    deductions=(
        Deduction(
            FactKind.ATTITUDE, "conduct", 2, f"{_W} 二: rude words or a harsh manner, 2 each"
        ),
        Deduction(
            FactKind.IMPROPER_DEMANDS,
            "conduct",
            28,
            f"{_W} 二: asking for, taking or demanding from applicants loses all 28 points",
        ),
        Deduction(
            FactKind.WRONGFUL_REJECTION,
            "service",
            2,
            f"{_W} 三: not accepting what should be accepted, 2 each",
        ),
        Deduction(FactKind.REVOKED_CASE, "results", 5, f"{_W} 四: an error in the result, 5 each"),
        Deduction(
            FactKind.OVERDUE_CASE,
            "results",
            5,
            f"{_W} 四: the category rewards closing within the promised limit; breaking the "
            "handling rules costs 5 each (hallflow reads a case past its promise as such)",
        ),
        Deduction(
            FactKind.BAD_RATING,
            "results",
            2,
            f"{_W} 四: an applicant dissatisfied, the window found responsible, 2-5 each",
        ),
        Deduction(
            FactKind.UPHELD_COMPLAINT,
            "results",
            5,
            f"{_W} 四: a complaint found true costs a further 5-10",
        ),
        Deduction(FactKind.FEES, "fees", 2, f"{_W} 五: a fee against the rules, 2 each"),
    ),
    bonuses=(
        Bonus(
            FactKind.COMMENDATION,
            2,
            f"{_W} 八: praised by an applicant (a banner, a letter), 2 each; hallflow counts a "
            "real-name very-satisfied rating with written words",
        ),
    ),
)
"""The window table (Window rules 一–八): 100 points in seven categories, 20 bonus."""

STAFF = Table(
    base=100,
    bonus_cap=20,
    categories=(
        Category("character", "Character and conduct", 25),  # 一
        Category("skills", "Skills", 23),  # 二
        Category("attendance", "Attendance and duty", 12),  # 三
        Category("performance", "Performance", 35),  # 四
        Category("peer", "Peer review", 5),  # 五
    ),
    deductions=(
        Deduction(
            FactKind.ATTITUDE, "character", 2, f"{_S} 一: rude words or a harsh manner, 2 each"
        ),
        Deduction(
            FactKind.IMPROPER_DEMANDS,
            "character",
            25,
            f"{_S} 一: asking for, taking or demanding from applicants loses the category",
        ),
        Deduction(
            FactKind.WRONGFUL_REJECTION,
            "performance",
            2,
            f"{_S} 四: not receiving what should be received, 2 each",
        ),
        Deduction(
            FactKind.REVOKED_CASE,
            "performance",
            5,
            f"{_S} 四: an error in the result, 5-10 each",
        ),
        Deduction(
            FactKind.OVERDUE_CASE,
            "performance",
            5,
            f"{_S} 四: breaking the handling rules, 5-10 each (a case past its promise)",
        ),
        Deduction(
            FactKind.UPHELD_COMPLAINT,
            "performance",
            5,
            f"{_S} 四: a complaint found true against the staff member, 5-10 each",
        ),
    ),
    bonuses=(
        Bonus(
            FactKind.COMMENDATION,
            2,
            f"{_S} 六: praised by an applicant, 2 each (a real-name very-satisfied rating "
            "with written words)",
        ),
    ),
)
"""The staff table (Staff rules 一–六): 100 points in five categories, 20 bonus."""

SCHEME = ScoringScheme(
    name="Zhenlai monthly window and staff assessment",
    source=f"{_W}; {_S}",
    window=WINDOWS,
    staff=STAFF,
    grades=(
        Grade(90, "优秀"),
        Grade(80, "良好"),
        Grade(60, "基本合格"),
        Grade(0, "不合格"),
    ),
    model_windows=5,
    window_flags=1,
    warning_after_flags=2,
    fail_below=60,
    sent_back_after=2,
)
"""Zhenlai's scheme. Window rules 七: the top five windows of the month may be named model
windows and the last one is a yellow-flag window; a window flagged twice is warned, ordered
to correct and its staff may be changed. Staff rules 五: 90 and above excellent, 80-89 good,
60-79 basically qualified, below 60 unqualified; two assessments running below 60 and the
staff member is proposed for return to their department."""
