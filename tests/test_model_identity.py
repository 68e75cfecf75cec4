"""Identity numbers (GB 11643, GB 32100), persons, contacts and agents."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallflow.errors import IdentityError
from hallflow.model import (
    USCC_ALPHABET,
    Agent,
    Contact,
    LegalPerson,
    NaturalPerson,
    applicant_key,
    check_digit_resident,
    check_digit_uscc,
    validate_resident_id,
    validate_uscc,
)
from tests.strategies import applicants, resident_ids, usccs

# The two examples printed in GB 11643-1999.
PUBLISHED_RESIDENT_IDS = ["11010519491231002X", "440524188001010014"]

# Codes printed on published business licences: the example used to explain GB 32100
# (a Fuzhou enterprise, 91350100M000100Y43), Huawei Technologies Co., Ltd., and two
# Shenzhen Tencent companies.
PUBLISHED_USCCS = [
    "91350100M000100Y43",
    "914403001922038216",
    "9144030071526726XG",
    "91440300708461136T",
]


@pytest.mark.parametrize("number", PUBLISHED_RESIDENT_IDS)
def test_published_resident_ids_validate(number: str) -> None:
    assert validate_resident_id(number) == number
    assert check_digit_resident(number[:17]) == number[17]


def test_lower_case_x_is_accepted_and_upper_cased() -> None:
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"
    assert NaturalPerson("Zhang", "11010519491231002x").id_number == "11010519491231002X"


@pytest.mark.parametrize("code", PUBLISHED_USCCS)
def test_published_usccs_validate(code: str) -> None:
    assert validate_uscc(code) == code
    assert validate_uscc(code.lower()) == code
    assert check_digit_uscc(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("number", "rule"),
    [
        ("11010519491231002", "18 characters"),
        ("1101051949123100XX", "first 17 characters must be digits"),
        ("11010519491231002Y", "digit or X"),
        ("01010519491231002X", "region"),
        ("110105194902300021", "birth date"),
        ("110105179912310021", "1800 or later"),
        ("110105194912310021", "check character must be 'X'"),
    ],
)
def test_resident_id_errors_name_field_rule_and_value(number: str, rule: str) -> None:
    with pytest.raises(IdentityError) as info:
        validate_resident_id(number)
    assert info.value.field == "id_number"
    assert rule in info.value.rule
    assert info.value.value == number
    assert number in str(info.value)


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100I43", "'I' is not allowed"),
        ("B1350100M000100Y43", "authority code 'B'"),
        ("94350100M000100Y43", "type '4' is not assigned under authority '9'"),
        ("91050100M000100Y43", "region"),
        ("91350100M000100Y44", "check character must be '3'"),
    ],
)
def test_uscc_errors_name_field_rule_and_value(code: str, rule: str) -> None:
    with pytest.raises(IdentityError) as info:
        validate_uscc(code)
    assert info.value.field == "uscc"
    assert rule in info.value.rule
    assert info.value.value == code


def test_non_strings_are_refused() -> None:
    with pytest.raises(IdentityError):
        validate_resident_id(110105194912310021)  # type: ignore[arg-type]
    with pytest.raises(IdentityError):
        validate_uscc(None)  # type: ignore[arg-type]


def test_check_digit_helpers_refuse_bad_bodies() -> None:
    with pytest.raises(IdentityError):
        check_digit_resident("1234")
    with pytest.raises(IdentityError):
        check_digit_uscc("91350100M000100O4")


@given(resident_ids())
def test_generated_resident_ids_validate(number: str) -> None:
    assert validate_resident_id(number) == number


@given(resident_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_change_to_a_resident_id_is_detected(
    number: str, position: int, replacement: str
) -> None:
    if number[position] == replacement:
        replacement = "X" if replacement != "X" else "0"
    changed = number[:position] + replacement + number[position + 1 :]
    # MOD 11-2 catches every single substitution; other rules may fire first.
    with pytest.raises(IdentityError):
        validate_resident_id(changed)


@given(usccs())
def test_generated_usccs_validate(code: str) -> None:
    assert validate_uscc(code) == code


@given(usccs(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_any_single_change_to_a_uscc_is_detected(
    code: str, position: int, replacement: str
) -> None:
    if code[position] == replacement:
        replacement = USCC_ALPHABET[(USCC_ALPHABET.index(replacement) + 1) % 31]
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(IdentityError):
        validate_uscc(changed)


def test_persons_and_keys() -> None:
    rep = NaturalPerson("Li Si", "440524188001010014", Contact("13800000000"))
    company = LegalPerson("Example Co.", "91350100M000100Y43", rep)
    assert applicant_key(rep) == "440524188001010014"
    assert applicant_key(company) == "91350100M000100Y43"
    agent = Agent(NaturalPerson("Wang Wu", "11010519491231002X"), "POA-2024-001")
    assert agent.person.name == "Wang Wu"


ZHANG = NaturalPerson("Zhang", "11010519491231002X")


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: NaturalPerson(" ", "11010519491231002X"), "NaturalPerson.name"),
        (lambda: NaturalPerson("Zhang", "11010519491231002Y"), "NaturalPerson.id_number"),
        (lambda: LegalPerson("Co", "91350100M000100Y44", ZHANG), "LegalPerson.uscc"),
        (
            lambda: LegalPerson("Co", "91350100M000100Y43", "Zhang"),  # type: ignore[arg-type]
            "LegalPerson.representative",
        ),
        (lambda: Agent("Zhang", "POA-1"), "Agent.person"),  # type: ignore[arg-type]
        (lambda: Contact("12"), "Contact.phone"),
        (lambda: Contact("0833-2100000", email="nobody"), "Contact.email"),
        (
            lambda: Agent(NaturalPerson("Zhang", "11010519491231002X"), ""),
            "Agent.power_of_attorney",
        ),
    ],
)
def test_person_errors_name_the_field(build: object, field: str) -> None:
    with pytest.raises(IdentityError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field


def test_landline_and_mobile_numbers_are_accepted() -> None:
    assert Contact("0833-2100000").phone == "0833-2100000"
    assert Contact("+86 138 0000 0000", "人民路1号", "a@example.cn").email == "a@example.cn"


@given(applicants())
def test_applicant_key_is_the_identity_number(applicant: NaturalPerson | LegalPerson) -> None:
    key = applicant_key(applicant)
    assert key in (getattr(applicant, "id_number", None), getattr(applicant, "uscc", None))
