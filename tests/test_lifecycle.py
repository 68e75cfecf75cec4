"""The transition table the Hall uses equals what the python-statemachine machine does."""

from __future__ import annotations

import pytest
from statemachine.exceptions import TransitionNotAllowed

from hallflow.cases.lifecycle import CaseState, Command, allowed_commands, drive, next_state


@pytest.mark.parametrize("state", list(CaseState))
@pytest.mark.parametrize("command", list(Command))
def test_table_matches_machine(state: CaseState, command: Command) -> None:
    expected = next_state(state, command)
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            drive(state, command)
        assert command not in allowed_commands(state)
    else:
        assert drive(state, command) is expected
        assert command in allowed_commands(state)


def test_final_states_take_no_command() -> None:
    for state in (CaseState.NOT_ACCEPTED, CaseState.WITHDRAWN, CaseState.REVOKED):
        assert allowed_commands(state) == ()


def test_every_state_is_reachable_from_submitted() -> None:
    seen = {CaseState.SUBMITTED}
    frontier = [CaseState.SUBMITTED]
    while frontier:
        state = frontier.pop()
        for command in allowed_commands(state):
            target = next_state(state, command)
            assert target is not None
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(CaseState)
