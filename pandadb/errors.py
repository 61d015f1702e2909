"""Typed refusals of the stored logic: one Python class per SQLSTATE the procedures raise.

Procedures signal rule violations with SQLSTATEs of class 'PD' (see the header of each
procedures/postgres/*.sql file); PostgreSQL's own "your input was wrong" SQLSTATEs (a value out of
range, a string too long, a broken foreign key, ...) count as bad input too. `pandadb.procedures.call`
turns them into these classes; services map the classes to HTTP in one place
(services/envelope.py, `HTTP_STATUS_OF_REFUSAL`), the CLI prints the message.

    PD001  InvalidRegistration   a site, queue, cloud, harvester registration is inconsistent
    PD002  BadInput              a parameter is missing, malformed or out of range (the message names it)
    PD003  UnknownObject         the job, task, queue, ... does not exist
    PD004  IllegalTransition     the object is not in a state that allows the change
    PD005  NotAllowed            the caller may not do this (owner, role, VO)
    22xxx, 23xxx, ...  BadInput  PostgreSQL itself refused a value
"""

from __future__ import annotations

PANDA_ERROR_CLASS = "PD"

# SQLSTATEs of PostgreSQL itself that mean "your input was wrong", not "the server broke"
INPUT_ERROR_SQLSTATES = frozenset(
    {
        "22001",  # string_data_right_truncation
        "22003",  # numeric_value_out_of_range
        "22007",  # invalid_datetime_format
        "22008",  # datetime_field_overflow
        "22P02",  # invalid_text_representation
        "22023",  # invalid_parameter_value
        "22004",  # null_value_not_allowed
        "23502",  # not_null_violation
        "23503",  # foreign_key_violation
        "23505",  # unique_violation
        "23514",  # check_violation
        "2202E",  # array_subscript_error
        "22P05",  # untranslatable_character
        "42883",  # undefined_function (wrong argument types)
    }
)


class ProcedureError(Exception):
    """A procedure refused the call; `sqlstate` says why, the message says what to do.

    The database is unchanged: the call's transaction was rolled back."""

    sqlstate_of_class: str | None = None

    def __init__(self, sqlstate: str, message: str):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message


class InvalidRegistration(ProcedureError):
    sqlstate_of_class = "PD001"


class BadInput(ProcedureError):
    sqlstate_of_class = "PD002"


class UnknownObject(ProcedureError):
    sqlstate_of_class = "PD003"


class IllegalTransition(ProcedureError):
    sqlstate_of_class = "PD004"


class NotAllowed(ProcedureError):
    sqlstate_of_class = "PD005"


_CLASS_OF_SQLSTATE: dict[str, type[ProcedureError]] = {
    cls.sqlstate_of_class: cls
    for cls in (InvalidRegistration, BadInput, UnknownObject, IllegalTransition, NotAllowed)
    if cls.sqlstate_of_class
}


def is_refusal(sqlstate: str | None) -> bool:
    """True for a SQLSTATE that means the caller's request was refused (not that the server broke)."""
    return sqlstate is not None and (sqlstate.startswith(PANDA_ERROR_CLASS) or sqlstate in INPUT_ERROR_SQLSTATES)


def refusal(sqlstate: str, message: str) -> ProcedureError:
    """The typed error of a refusal SQLSTATE (an unlisted PDxxx is a plain ProcedureError)."""
    if sqlstate in INPUT_ERROR_SQLSTATES:
        return BadInput(sqlstate, message)
    return _CLASS_OF_SQLSTATE.get(sqlstate, ProcedureError)(sqlstate, message)
