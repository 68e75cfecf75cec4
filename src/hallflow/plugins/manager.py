"""Building a plugin manager and assembling a hall from what the plugins say.

``plugin_manager()`` registers hallflow's national defaults first, then the plugins named,
then — only when asked — every plugin installed under the ``hallflow`` entry-point group.
Tests never load ambient plugins: entry-point loading is off unless requested.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import pluggy

from hallflow.calendar.engine import WorkCalendar
from hallflow.calendar.national import china
from hallflow.errors import CatalogueError, PluginError
from hallflow.model.catalogue import CaseKind, Catalogue, Matter, check_compression
from hallflow.model.org import Organisation
from hallflow.plugins import hookspecs
from hallflow.plugins.policy import LimitPolicy
from hallflow.seals import SealProvider, SealRegistry
from hallflow.store.base import EventStore

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall, HallSettings

__all__ = [
    "assemble_calendar",
    "assemble_catalogue",
    "assemble_hall",
    "case_kinds",
    "limit_policy",
    "loaded_plugins",
    "plugin_manager",
]


def plugin_manager(
    plugins: Iterable[object] = (),
    *,
    load_entry_points: bool = False,
    builtin: bool = True,
) -> pluggy.PluginManager:
    """A plugin manager with hallflow's hooks.

    Args:
        plugins: plugin objects or modules to register, in order (later ones are called
            first, so they win first-result hooks).
        load_entry_points: also load every plugin installed under the ``hallflow``
            entry-point group (off by default; tests leave it off).
        builtin: register the national defaults (:mod:`hallflow.plugins.builtin`) first.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    if builtin:
        from hallflow.plugins.builtin import national

        pm.register(national, name="hallflow.national")
    for plugin in plugins:
        pm.register(plugin)
    if load_entry_points:
        pm.load_setuptools_entrypoints(hookspecs.PROJECT)
    return pm


def loaded_plugins(pm: pluggy.PluginManager) -> list[tuple[str, str]]:
    """The registered plugins as ``(name, version)``, in registration order."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    out = []
    for name, plugin in pm.list_name_plugin():
        dist = dists.get(id(plugin))
        version = dist.version if dist is not None else _version_of(plugin)
        out.append((name or repr(plugin), version))
    return out


def _version_of(plugin: object) -> str:
    module = getattr(plugin, "__name__", type(plugin).__module__)
    top = str(module).split(".")[0]
    try:
        return importlib.metadata.version(top.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return ""


def _name(pm: pluggy.PluginManager, impl: Any) -> str:
    return str(pm.get_name(impl.plugin) or impl.plugin_name)


def case_kinds(pm: pluggy.PluginManager) -> frozenset[CaseKind]:
    """The union of the kinds every plugin declares."""
    return frozenset(k for kinds in pm.hook.hallflow_case_kinds() for k in kinds)


def limit_policy(pm: pluggy.PluginManager) -> LimitPolicy | None:
    """The first plugin's limit policy (a locality's wins over the national default)."""
    policy: LimitPolicy | None = pm.hook.hallflow_limit_policy()
    return policy


def assemble_catalogue(pm: pluggy.PluginManager) -> Catalogue:
    """Collect, amend and check every plugin's matters.

    Raises:
        PluginError: two plugins contribute the same matter code, or an amendment changes
            a matter's code.
        CatalogueError: a matter uses a kind no plugin declares.
        CompressionError: a promised limit breaks the limit policy.
    """
    matters: dict[str, Matter] = {}
    owner: dict[str, str] = {}
    for impl in reversed(pm.hook.hallflow_matters.get_hookimpls()):
        name = _name(pm, impl)
        contributed = cast("Iterable[Matter] | None", impl.function()) or ()
        for matter in contributed:
            if matter.code in matters:
                raise PluginError(
                    name,
                    "hallflow_matters",
                    f"matter {matter.code} is already contributed by {owner[matter.code]}; "
                    f"amend it with hallflow_amend_matter instead",
                )
            matters[matter.code] = matter
            owner[matter.code] = name
    amenders = list(reversed(pm.hook.hallflow_amend_matter.get_hookimpls()))
    for code in list(matters):
        for impl in amenders:
            amended = cast("Matter | None", impl.function(matter=matters[code]))
            if amended is None:
                continue
            if amended.code != code:
                raise PluginError(
                    _name(pm, impl),
                    "hallflow_amend_matter",
                    f"an amendment may not change the code {code} to {amended.code}",
                )
            matters[code] = amended
    kinds = case_kinds(pm)
    for matter in matters.values():
        if kinds and matter.kind not in kinds:
            raise CatalogueError(
                f"Matter[{matter.code}].kind",
                f"this hall's kinds are {sorted(k.code for k in kinds)}",
                matter.kind.code,
            )
    policy = limit_policy(pm)
    if policy is not None and policy.min_reduction:
        for matter in matters.values():
            check_compression(matter, float(policy.min_reduction))
    return Catalogue(tuple(matters.values()))


def assemble_calendar(pm: pluggy.PluginManager, *, until: int = 2030) -> WorkCalendar:
    """The national calendar with every plugin's overlays and the first plugin's hours."""
    hours = pm.hook.hallflow_hall_hours()
    calendar = china(until=until, hours=hours)
    for overlays in reversed(pm.hook.hallflow_calendar_overlays()):
        for overlay in overlays:
            calendar = calendar.with_overlay(overlay)
    return calendar


def assemble_hall(
    pm: pluggy.PluginManager,
    *,
    organisation: Organisation,
    store: EventStore,
    seals: SealRegistry,
    until: int = 2030,
    settings: HallSettings | None = None,
    seal_provider: SealProvider | None = None,
) -> Hall:
    """A hall whose catalogue, calendar, seal provider and rules come from the plugins.

    Args:
        pm: the plugin manager (see :func:`plugin_manager`).
        organisation: windows, staff and authorities.
        store: the event store.
        seals: the seal registry.
        until: the last calendar year compiled.
        settings: the hall's case rules.
        seal_provider: overrides the ``hallflow_seal_provider`` hook (a provider already
            holding the hall's keys).
    """
    from hallflow.cases.hall import Hall

    provider = seal_provider or pm.hook.hallflow_seal_provider()
    return Hall(
        catalogue=assemble_catalogue(pm),
        organisation=organisation,
        calendar=assemble_calendar(pm, until=until),
        store=store,
        seals=seals,
        seal_provider=provider,
        settings=settings,
        plugins=pm,
    )
