"""A small scanner of converted PL/pgSQL: balanced brackets, statement ends and substitutions outside string
literals and comments, for the patches of this package."""

from __future__ import annotations

import re
from collections.abc import Callable

# --------------------------------------------------------------------------------------------
# A small scanner: balanced parentheses outside string literals and comments
# --------------------------------------------------------------------------------------------


def skip_literal_or_comment(sql: str, i: int) -> int:
    """The index after the string literal, quoted identifier or comment starting at i (i if none does)."""
    if sql.startswith("--", i):
        end = sql.find("\n", i)
        return len(sql) if end < 0 else end
    if sql.startswith("/*", i):
        end = sql.find("*/", i + 2)
        return len(sql) if end < 0 else end + 2
    if sql[i] in "'\"":
        quote, j = sql[i], i + 1
        while j < len(sql):
            if sql[j] == quote:
                if sql[j + 1 : j + 2] == quote:
                    j += 2
                    continue
                return j + 1
            j += 1
        return len(sql)
    if sql.startswith("$body$", i):
        return i  # the routine's body is code
    return i


def code_with_depth(sql: str, start: int):
    """(index, character, bracket depth after it) of each character of code from `start` on: string
    literals, quoted identifiers and comments are stepped over."""
    depth, i = 0, start
    while i < len(sql):
        after = skip_literal_or_comment(sql, i)
        if after != i:
            i = after
            continue
        if sql[i] in "([":
            depth += 1
        elif sql[i] in ")]":
            depth -= 1
        yield i, sql[i], depth
        i += 1


def closing_bracket(sql: str, opening: int) -> int:
    """The index of the bracket closing the '(' or '[' at `opening`."""
    for i, character, depth in code_with_depth(sql, opening):
        if depth == 0 and character in ")]":
            return i
    raise ValueError(f"unbalanced bracket at {opening}: {sql[opening : opening + 80]!r}")


def opening_bracket(sql: str, closing: int) -> int:
    """The index of the '(' or '[' that the bracket at `closing` closes (scanning back; the twin's
    literals hold no unbalanced brackets in the expressions this is used on)."""
    depth, i = 0, closing
    while i >= 0:
        if sql[i] in ")]":
            depth += 1
        elif sql[i] in "([":
            depth -= 1
            if depth == 0:
                return i
        elif sql[i] == "'":
            i = sql.rfind("'", 0, i)  # back over a literal
        i -= 1
    raise ValueError(f"unbalanced bracket before {closing}")


def in_code(sql: str, position: int) -> bool:
    """Whether `position` is in code, not in a string literal or a comment of its line."""
    line_start = sql.rfind("\n", 0, position) + 1
    i = line_start
    while i < position:
        after = skip_literal_or_comment(sql, i)
        if after != i:
            if after > position:
                return False
            i = after
            continue
        i += 1
    return True


def rewrite_tokens(sql: str, rewrite: Callable[[str, str], str]) -> str:
    """sql with each string literal, quoted identifier and comment replaced by rewrite(token, the code
    between the previous token and this one); the code itself is kept."""
    out, i, start = [], 0, 0
    while i < len(sql):
        after = skip_literal_or_comment(sql, i)
        if after == i:
            i += 1
            continue
        out.append(sql[start:i] + rewrite(sql[i:after], sql[start:i]))
        i = start = after
    return "".join(out) + sql[start:]


def sub_in_code(pattern: str, replacement: str, sql: str) -> str:
    """re.sub applied to the code only, not to string literals and comments."""
    out, i, segment_start = [], 0, 0
    while i < len(sql):
        after = skip_literal_or_comment(sql, i)
        if after != i:
            out.append(re.sub(pattern, replacement, sql[segment_start:i]))
            out.append(sql[i:after])
            i = segment_start = after
            continue
        i += 1
    out.append(re.sub(pattern, replacement, sql[segment_start:]))
    return "".join(out)


def receiver_start(sql: str, end: int) -> int:
    """Where the receiver of a method call ending at `end` (exclusive) starts: an identifier chain
    (v_job, r.field), a call or subscript (f(x), v(i), CAST(... AS jsonb)), or a parenthesised expression."""
    i = end
    while True:
        if i > 0 and sql[i - 1] in ")]":
            i = opening_bracket(sql, i - 1)
            continue
        word = re.search(r"[\w$.]+$", sql[:i])
        if word and word.start() < i:
            i = word.start()
            if i > 0 and sql[i - 1] in ")]":
                continue
        return i
