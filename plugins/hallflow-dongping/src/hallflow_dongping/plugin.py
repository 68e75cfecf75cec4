"""Dongping county, 2017, as a hallflow plugin.

The opinion: 东平县人民政府办公室关于进一步加强政务服务中心建设深入推进行政审批制度改革的意见.

Source: ``seeds/003_ca2b1136b21da75c.txt`` (the whole file is the one opinion). Sections are
the opinion's own: 二 (main tasks) with parts (一)–(五), each numbered 1, 2, 3...

* **一审一核** (二(一)2): an ordinary matter — one needing no site inspection, collective
  discussion or expert review — is closed by the window directly once the materials are
  complete and lawful; when it cannot be, the window handles it fully by one review and one
  approval. :func:`check_matter` refuses an ordinary matter whose procedure is anything
  else than a single deciding step or :func:`one_review_one_approval`; a
  :class:`DongpingPlugin` checks the matters it contributes.
* **Notify and pledge, except where a site inspection is needed** (二(四)3):
  ``hallflow_amend_matter`` withdraws ``pledge_allowed`` from every matter needing a site
  inspection (a procedure step coded :data:`SITE_INSPECTION`, or a code listed in
  ``site_inspection=``), so the core's ``approve_on_pledge`` refuses it.
* **容缺预审, accept with gaps for construction projects** (二(五)1): a matter's
  :class:`~hallflow.model.GapPolicy`; the core accepts with the listed materials missing and
  refuses approval until they are supplied (the seed's "simulated approval").
* **Parallel steps are not each other's prerequisites** (二(四)2): enforced by the core —
  :class:`~hallflow.model.JointHandling` refuses a cycle among co-departments.
* **Kinds** (二(一)2, 二(四)2): matters closed directly (immediate), by the window's review
  and approval (promised), and across departments under one lead (joint).

The county's matters are its own: the seed lists none, so :class:`DongpingPlugin` takes them
as an argument and the module's default contributes none.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from hallflow import hookimpl
from hallflow.errors import CatalogueError
from hallflow.model.catalogue import (
    IMMEDIATE,
    JOINT,
    PROMISED,
    CaseKind,
    Matter,
    Procedure,
    Step,
    StepKind,
)
from hallflow.model.org import Power
from hallflow.timeline.events import PauseReason

__all__ = [
    "COLLECTIVE_DISCUSSION",
    "EXPERT_REVIEW",
    "SITE_INSPECTION",
    "SOURCE",
    "DongpingPlugin",
    "check_matter",
    "configure",
    "default",
    "needs_site_inspection",
    "one_review_one_approval",
    "site_inspection_step",
]

SOURCE = "seed 003_ca2b1136b21da75c.txt (Dongping 2017)"
"""Where the rules come from."""

SITE_INSPECTION = "site_inspection"
"""The step code of a site inspection (现场勘查)."""
COLLECTIVE_DISCUSSION = "collective_discussion"
"""The step code of a collective discussion (集体讨论)."""
EXPERT_REVIEW = "expert_review"
"""The step code of an expert review (专家论证)."""

_SPECIAL = frozenset({SITE_INSPECTION, COLLECTIVE_DISCUSSION, EXPERT_REVIEW})


def one_review_one_approval() -> Procedure:
    """The window's one review and one approval (一审一核, 二(一)2).

    Returns:
        A reviewer's step, then an approver's deciding step.
    """
    return Procedure(
        (
            Step("review", "Review at the window (一审)", power=Power.REVIEW),
            Step("approve", "Approval at the window (一核)", power=Power.DECIDE),
        )
    )


def site_inspection_step(name: str = "Site inspection (现场勘查)") -> Step:
    """A site-inspection step; a matter with one is excluded from notify-and-pledge."""
    return Step(SITE_INSPECTION, name, power=Power.REVIEW)


def _special(matter: Matter) -> bool:
    codes = {step.code for step in matter.procedure.steps}
    return bool(codes & _SPECIAL) or PauseReason.EXPERT_REVIEW in matter.excludable


def needs_site_inspection(matter: Matter, listed: Iterable[str] = ()) -> bool:
    """Whether a matter needs a site inspection.

    Args:
        matter: the matter.
        listed: codes of further matters known to need one.

    Returns:
        True when a step is coded :data:`SITE_INSPECTION` or the code is listed.
    """
    return matter.code in set(listed) or any(
        step.code == SITE_INSPECTION for step in matter.procedure.steps
    )


def check_matter(matter: Matter) -> list[str]:
    """What breaks Dongping's one-review-one-approval rule in a matter (二(一)2).

    An ordinary matter (no site inspection, collective discussion or expert review) is
    either closed by the window directly — one deciding step — or handled by one review and
    one approval: a single reviewer's step, then a single approver's deciding step.

    Args:
        matter: the matter.

    Returns:
        The problems found; empty when the matter is fine or not ordinary.
    """
    if _special(matter):
        return []
    steps = matter.procedure.steps
    shape = [(s.power, s.kind) for s in steps]
    direct = [(Power.DECIDE, StepKind.SINGLE)]
    reviewed = [(Power.REVIEW, StepKind.SINGLE), (Power.DECIDE, StepKind.SINGLE)]
    if shape in (direct, reviewed):
        return []
    return [
        f"matter {matter.code}: an ordinary matter is closed directly or by one review and "
        f"one approval (一审一核), not by {[s.code for s in steps]} (Dongping 二(一)2)"
    ]


class DongpingPlugin:
    """Dongping's rules and, optionally, its catalogue.

    Args:
        matters: the county's matters (checked with :func:`check_matter`).
        site_inspection: codes of matters needing a site inspection that their procedure
            does not show.

    Raises:
        CatalogueError: a matter breaks the one-review-one-approval rule.
    """

    def __init__(self, *, matters: Iterable[Matter] = (), site_inspection: Iterable[str] = ()):
        self.matters = tuple(matters)
        self.site_inspection = frozenset(site_inspection)
        problems = [p for m in self.matters for p in check_matter(m)]
        if problems:
            bad = [m.code for m in self.matters if check_matter(m)]
            raise CatalogueError("DongpingPlugin.matters", "; ".join(problems), bad)

    @hookimpl
    def hallflow_matters(self) -> Iterable[Matter]:
        """The county's matters (none in the seed)."""
        return self.matters

    @hookimpl
    def hallflow_case_kinds(self) -> Iterable[CaseKind]:
        """Immediate, promised and joint matters (二(一)2, 二(四)2)."""
        return (IMMEDIATE, PROMISED, JOINT)

    @hookimpl
    def hallflow_amend_matter(self, matter: Matter) -> Matter | None:
        """No notify-and-pledge where a site inspection is needed (二(四)3)."""
        if matter.pledge_allowed and needs_site_inspection(matter, self.site_inspection):
            return attrs.evolve(matter, pledge_allowed=False)
        return None


default = DongpingPlugin()
"""The instance the module's hooks answer with (see :func:`configure`)."""


def configure(
    *, matters: Iterable[Matter] = (), site_inspection: Iterable[str] = ()
) -> DongpingPlugin:
    """Replace :data:`default`, the instance the module-level hooks use.

    Use this when the plugin is loaded through its entry point. The arguments are those of
    :class:`DongpingPlugin`.

    Returns:
        The new default instance.
    """
    global default
    default = DongpingPlugin(matters=matters, site_inspection=site_inspection)
    return default


# ---------------------------------------------------------------------- module-level hooks
# The entry point registers this module; each hook answers with the current default.


@hookimpl
def hallflow_matters() -> Iterable[Matter]:
    """See :meth:`DongpingPlugin.hallflow_matters`."""
    return default.hallflow_matters()


@hookimpl
def hallflow_case_kinds() -> Iterable[CaseKind]:
    """See :meth:`DongpingPlugin.hallflow_case_kinds`."""
    return default.hallflow_case_kinds()


@hookimpl
def hallflow_amend_matter(matter: Matter) -> Matter | None:
    """See :meth:`DongpingPlugin.hallflow_amend_matter`."""
    return default.hallflow_amend_matter(matter)
