"""Who applies: natural and legal persons, their identity numbers, contacts and agents.

Two national standards fix the identity numbers a hall sees on every application:

- GB 11643-1999, the citizen identity number: 6 digits of region, 8 of birth date,
  3 of sequence, and a check character computed with ISO 7064 MOD 11-2 (``0``–``9`` or ``X``).
- GB 32100-2015, the unified social credit code of legal persons and other organisations:
  a registration-authority code, an organisation-type code, 6 digits of region, the 9
  characters of the organisation code, and a MOD 31 check character, all drawn from an
  alphabet of 31 characters (no I, O, S, V or Z).

Both validators return the number in canonical form (upper case) or raise
:class:`~hallflow.errors.IdentityError` naming the field, the rule and the value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from hallflow.errors import IdentityError

__all__ = [
    "USCC_ALPHABET",
    "USCC_TYPES",
    "Agent",
    "Applicant",
    "Contact",
    "LegalPerson",
    "NaturalPerson",
    "applicant_key",
    "check_digit_resident",
    "check_digit_uscc",
    "validate_resident_id",
    "validate_uscc",
]

# ---- GB 11643-1999: citizen identity number

_RESIDENT_WEIGHTS = tuple(pow(2, 18 - i, 11) for i in range(1, 18))
"""Weights 2^(18-i) mod 11 for positions i = 1..17 (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, ...)."""

_RESIDENT_CHECK = "10X98765432"
"""The check character for each value of the weighted sum mod 11."""

_EARLIEST_BIRTH_YEAR = 1800


def check_digit_resident(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of a resident ID number.

    Args:
        first17: the 17 digits before the check character.

    Returns:
        ``"0"``–``"9"`` or ``"X"`` (ISO 7064 MOD 11-2).

    Raises:
        IdentityError: ``first17`` is not 17 digits.
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise IdentityError("id_number", "the first 17 characters must be digits", first17)
    total = sum(int(c) * w for c, w in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK[total % 11]


def validate_resident_id(value: str, field: str = "id_number") -> str:
    """Validate a citizen identity number (公民身份号码, GB 11643-1999).

    Checks the length (18), the characters (17 digits and a digit or ``X``), the region
    (its first digit is not 0), the birth date (a real date from 1800 on; no comparison
    with today, so that validation does not depend on the clock) and the check character.

    Args:
        value: the number; a lower-case ``x`` is accepted and returned upper-case.
        field: the field name to put in an error.

    Returns:
        The number in canonical form.

    Raises:
        IdentityError: naming the rule that failed.
    """
    if not isinstance(value, str):
        raise IdentityError(field, "must be a string", value)
    number = value.upper()
    if len(number) != 18:
        raise IdentityError(field, "must be 18 characters long", value)
    body, check = number[:17], number[17]
    if not body.isascii() or not body.isdigit():
        raise IdentityError(field, "the first 17 characters must be digits", value)
    if check not in "0123456789X":
        raise IdentityError(field, "the last character must be a digit or X", value)
    if body[0] == "0":
        raise IdentityError(field, "the region code must not start with 0", value)
    try:
        born = dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise IdentityError(field, "characters 7-14 must be a real birth date", value) from None
    if born.year < _EARLIEST_BIRTH_YEAR:
        raise IdentityError(field, f"the birth year must be {_EARLIEST_BIRTH_YEAR} or later", value)
    expected = check_digit_resident(body)
    if check != expected:
        raise IdentityError(field, f"check character must be {expected!r} (GB 11643)", value)
    return number


# ---- GB 32100-2015: unified social credit code

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters a unified social credit code is written in, in value order."""

_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
"""Weights 3^(i-1) mod 31 for positions i = 1..17 (1, 3, 9, 27, 19, 26, 16, ...)."""

USCC_TYPES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "1": frozenset("1239"),  # institutional establishment: organs, public institutions...
        "2": frozenset("19"),  # foreign affairs: resident foreign news agencies
        "3": frozenset("1234569"),  # justice administration: law firms, notaries...
        "4": frozenset("19"),  # culture: foreign cultural centres
        "5": frozenset("123459"),  # civil affairs: associations, foundations, committees
        "6": frozenset("129"),  # tourism: foreign tourism offices
        "7": frozenset("129"),  # religious affairs: venues, schools
        "8": frozenset("129"),  # trade unions
        "9": frozenset("1239"),  # market regulation: enterprises, sole traders, co-ops
        "A": frozenset("19"),  # military
        "G": frozenset("19"),  # public security: foreign NGO offices
        "J": frozenset("19"),  # housing: owners' assemblies
        "N": frozenset("1239"),  # agriculture: rural collective economic organisations
        "Q": frozenset("1239"),  # overseas Chinese federations
        "Y": frozenset("1"),  # other registration authorities
    }
)
"""Registration-authority code (position 1) → the organisation-type codes (position 2)
assigned under it. GB 32100-2015 itself assigns 1, 5, 9 and Y; the other authorities were
assigned codes later. A code outside this table is refused."""


def check_digit_uscc(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters of a credit code.

    Args:
        first17: the 17 characters before the check character, from :data:`USCC_ALPHABET`.

    Returns:
        One character of :data:`USCC_ALPHABET` (MOD 31: 31 minus the weighted sum mod 31,
        with 31 written as ``0``).

    Raises:
        IdentityError: ``first17`` is not 17 characters of the alphabet.
    """
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise IdentityError(
            "uscc", f"the first 17 characters must come from {USCC_ALPHABET}", first17
        )
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str, field: str = "uscc") -> str:
    """Validate a unified social credit code (统一社会信用代码, GB 32100-2015).

    Checks the length (18), the alphabet (digits and upper-case letters except I, O, S, V,
    Z), the registration-authority and organisation-type codes (:data:`USCC_TYPES`), the
    region (6 digits, not starting with 0) and the check character. The organisation code
    inside (positions 9–17) is not checked against GB 11714.

    Args:
        value: the code; lower-case letters are accepted and returned upper-case.
        field: the field name to put in an error.

    Returns:
        The code in canonical form.

    Raises:
        IdentityError: naming the rule that failed.
    """
    if not isinstance(value, str):
        raise IdentityError(field, "must be a string", value)
    code = value.upper()
    if len(code) != 18:
        raise IdentityError(field, "must be 18 characters long", value)
    bad = next((c for c in code if c not in USCC_ALPHABET), None)
    if bad is not None:
        raise IdentityError(
            field, f"character {bad!r} is not allowed (only {USCC_ALPHABET})", value
        )
    authority, kind, region = code[0], code[1], code[2:8]
    if authority not in USCC_TYPES:
        raise IdentityError(
            field, f"registration authority code {authority!r} is not assigned", value
        )
    if kind not in USCC_TYPES[authority]:
        raise IdentityError(
            field,
            f"organisation type {kind!r} is not assigned under authority {authority!r}",
            value,
        )
    if not region.isdigit() or region[0] == "0":
        raise IdentityError(field, "characters 3-8 must be a region code (6 digits)", value)
    expected = check_digit_uscc(code[:17])
    if code[17] != expected:
        raise IdentityError(field, f"check character must be {expected!r} (GB 32100)", value)
    return code


# ---- persons

_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{3,22}[0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _nonblank(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise IdentityError(
            f"{type(instance).__name__}.{attribute.name}", "must be a non-blank string", value
        )


def _phone(instance: Contact, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _PHONE.match(value):
        raise IdentityError(
            "Contact.phone", "must be a telephone number (digits, spaces, -, (), +)", value
        )
    if sum(c.isdigit() for c in value) < 5:
        raise IdentityError("Contact.phone", "must have at least 5 digits", value)


def _email(instance: Contact, attribute: attrs.Attribute[str], value: str) -> None:
    if value and not _EMAIL.match(value):
        raise IdentityError("Contact.email", "must be empty or an e-mail address", value)


@attrs.define(frozen=True, slots=True)
class Contact:
    """How to reach an applicant or an agent.

    Attributes:
        phone: a telephone number (mobile or landline).
        address: a postal address, for delivery by post.
        email: an e-mail address, or empty.
    """

    phone: str = attrs.field(validator=_phone)
    address: str = ""
    email: str = attrs.field(default="", validator=_email)


def _resident(value: str) -> str:
    return validate_resident_id(value, "NaturalPerson.id_number")


def _uscc(value: str) -> str:
    return validate_uscc(value, "LegalPerson.uscc")


@attrs.define(frozen=True, slots=True)
class NaturalPerson:
    """A citizen (公民) who applies, represents a legal person, or acts as an agent.

    Attributes:
        name: the name as on the identity card.
        id_number: the citizen identity number (GB 11643), validated and upper-cased.
        contact: how to reach them, if known.
    """

    name: str = attrs.field(validator=_nonblank)
    id_number: str = attrs.field(converter=_resident)
    contact: Contact | None = None


def _natural(instance: object, attribute: attrs.Attribute[NaturalPerson], value: object) -> None:
    if not isinstance(value, NaturalPerson):
        raise IdentityError(
            f"{type(instance).__name__}.{attribute.name}", "must be a NaturalPerson", value
        )


@attrs.define(frozen=True, slots=True)
class LegalPerson:
    """A legal person or other organisation (法人和其他组织) that applies.

    Attributes:
        name: the registered name.
        uscc: the unified social credit code (GB 32100), validated and upper-cased.
        representative: the legal representative (or person in charge).
        contact: how to reach the organisation, if known.
    """

    name: str = attrs.field(validator=_nonblank)
    uscc: str = attrs.field(converter=_uscc)
    representative: NaturalPerson = attrs.field(validator=_natural)
    contact: Contact | None = None


@attrs.define(frozen=True, slots=True)
class Agent:
    """A person who applies on the applicant's behalf (代办人) under a power of attorney.

    Attributes:
        person: the agent.
        power_of_attorney: a reference to the signed power of attorney (委托书).
    """

    person: NaturalPerson = attrs.field(validator=_natural)
    power_of_attorney: str = attrs.field(validator=_nonblank)


Applicant = NaturalPerson | LegalPerson
"""Whoever a case is for: a citizen or an organisation."""


def applicant_key(applicant: Applicant) -> str:
    """The number that identifies an applicant across cases.

    Args:
        applicant: a natural or a legal person.

    Returns:
        The resident ID number of a natural person, the credit code of a legal person.
    """
    if isinstance(applicant, LegalPerson):
        return applicant.uscc
    return applicant.id_number
