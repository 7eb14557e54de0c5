"""Rejects SQL that breaks or silently differs on Spark in the dbt project's models, macros and tests.

Engine-specific code belongs in dispatched macros (`duckdb__<name>` / `spark__<name>` / `default__<name>`
blocks, dbt_project/macros/portable.sql); everywhere else the rules below apply. Each rule is a pattern (or,
for window ORDER BYs, a small parser) and the reason (../docs/scale-out.md, "Portable SQL").
`python -m tools.spark_lint` prints every hit with its file and line and exits 1 if there is one.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestration.contract import PROJECT_ROOT

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
FOLDERS = ("models", "macros", "tests")


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str] | None  # None: `find` gives the offsets
    reason: str
    in_text: bool = False  # applies inside string literals and Jinja expressions too (a regular expression)
    find: Callable[[str], list[int]] | None = None

    def offsets(self, text: str) -> list[int]:
        return self.find(text) if self.find else [m.start() for m in self.pattern.finditer(text)]


def _rule(name: str, pattern: str, reason: str, in_text: bool = False) -> Rule:
    return Rule(name, re.compile(pattern, re.IGNORECASE), reason, in_text)


WINDOW = re.compile(r"\bover\s*\(", re.IGNORECASE)
ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)
FRAME = re.compile(r"\b(?:rows|range|groups)\s+(?:between|unbounded|current|\d)", re.IGNORECASE)
NULLS_ORDER = re.compile(r"\bnulls\s+(?:first|last)\s*$", re.IGNORECASE)


def _top_level_parts(text: str) -> list[tuple[int, str]]:
    """The comma-separated parts of `text` outside parentheses, each with its offset."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append((start, text[start:i]))
            start = i + 1
    parts.append((start, text[start:]))
    return parts


def window_keys_without_nulls_order(code: str) -> list[int]:
    """The offsets of the sort keys of window ORDER BYs (`over (... order by ...)`) that do not say where
    NULLs go: ascending, DuckDB puts them last and Spark first, which changes ranks and row_number()s."""
    found = []
    for window in WINDOW.finditer(code):
        depth, end = 1, window.end()
        while end < len(code) and depth:
            depth += {"(": 1, ")": -1}.get(code[end], 0)
            end += 1
        spec = code[window.end():end - 1]
        order = ORDER_BY.search(spec)
        if not order:
            continue
        keys = spec[order.end():]
        frame = FRAME.search(keys)
        keys = keys[:frame.start()] if frame else keys
        for offset, key in _top_level_parts(keys):
            if not NULLS_ORDER.search(key.strip()):
                found.append(window.end() + order.end() + offset + len(key) - len(key.lstrip()))
    return found


RULES = [
    _rule("regexp_full_match", r"\bregexp_full_match\s*\(", "DuckDB only: use {{ regexp_full_match(...) }}"),
    _rule("regexp_matches", r"\bregexp_matches\s*\(", "fails on Spark: use {{ regexp_contains(...) }}"),
    _rule("regexp_extract", r"(?<![\w.])regexp_extract\s*\(",
          "escapes differ (a '\\d' in a Spark literal is 'd'): use {{ regexp_extract(...) }}"),
    _rule("regexp_replace", r"(?<![\w.])regexp_replace\s*\(",
          "first match on DuckDB, every match on Spark: use {{ regexp_replace_all(...) }}"),
    _rule("integer_division", r"(?<![/:*])//(?![/*])", "fails on Spark: use {{ integer_divide(...) }}"),
    _rule("distinct_on", r"\bdistinct\s+on\s*\(", "fails on Spark"),
    _rule("exclude", r"\*\s*exclude\b", "fails on Spark: * except (...)"),
    _rule("hugeint", r"\bhugeint\b", "DuckDB only: decimal(38, 0)"),
    _rule("strlen", r"\bstrlen\s*\(", "DuckDB only: {{ byte_length(...) }}"),
    _rule("string_split", r"\bstring_split\s*\(", "DuckDB only: {{ split_text(...) }}"),
    _rule("unnest", r"\bunnest\s*\(", "DuckDB only"),
    _rule("generate_series", r"\bgenerate_series\s*\(", "DuckDB only"),
    _rule("raw_concat", r"(?<![\w.])concat\s*\(", "NULL skipped on DuckDB, NULL result on Spark: use || or "
          "{{ concat_skipping_nulls(...) }}"),
    _rule("double_quoted_identifier", r"\b\w+\.\"\w+\"", "Spark quotes identifiers with backticks: "
          "adapter.quote(...)"),
    _rule("list_literal", r"(?<![\w\]\)'\"])\[\s*('|-?\d)", "fails on Spark: a list literal"),
    _rule("struct_literal", r"\{\s*:", "fails on Spark: a struct literal, use named_struct"),  # its key blanked
    _rule("trim_characters", r"\b[lr]trim\s*\([^()]*(\([^()]*\)[^()]*)*,",
          "Spark's two-argument rtrim/ltrim takes the characters first: {{ trim_trailing(...) }}"),
    _rule("varchar", r"\bvarchar\b", "Spark wants a length: string (DuckDB reads it as VARCHAR)"),
    _rule("string_agg", r"\bstring_agg\s*\(", "no ORDER BY inside an aggregate on Spark: {{ text_agg(...) }}"),
    _rule("backslash_d", r"\\d", "matches nothing in a Spark literal: [0-9]", in_text=True),
    Rule("window_nulls_order", None, "ascending, NULLs sort last on DuckDB and first on Spark: say nulls first "
         "or nulls last after each key of a window's ORDER BY", find=window_keys_without_nulls_order),
]

DISPATCHED = re.compile(r"{%-?\s*macro\s+(duckdb|spark|default)__\w+.*?{%-?\s*endmacro\s*-?%}", re.DOTALL)
# A macro named *_pattern gives the text of a regular expression (macros/targets.sql), not SQL.
PATTERN_MACRO = re.compile(r"{%-?\s*macro\s+\w+_pattern\(.*?{%-?\s*endmacro\s*-?%}", re.DOTALL)
JINJA_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
SQL_COMMENT = re.compile(r"--[^\n]*")
JINJA_BLOCK = re.compile(r"{%.*?%}", re.DOTALL)
JINJA_EXPRESSION = re.compile(r"{{.*?}}", re.DOTALL)
STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")


def _blank(match: re.Match[str]) -> str:
    """The matched text with every character but newlines blanked, so that line numbers stay."""
    return re.sub(r"[^\n]", " ", match.group(0))


def checked_text(text: str) -> tuple[str, str]:
    """The file's text with what the rules do not apply to blanked: comments, Jinja statements and the
    bodies of engine-specific dispatched macros; then also Jinja expressions and string literals (SQL
    code only: a Jinja list, a regex's character class or a *_pattern macro's text is no SQL list)."""
    code = text
    for pattern in (DISPATCHED, JINJA_COMMENT, JINJA_BLOCK, SQL_COMMENT):
        text = pattern.sub(_blank, text)
    for pattern in (DISPATCHED, PATTERN_MACRO, JINJA_COMMENT, JINJA_BLOCK, SQL_COMMENT, JINJA_EXPRESSION,
                    STRING_LITERAL):
        code = pattern.sub(_blank, code)
    return text, code


def hits(path: Path) -> list[tuple[int, Rule, str]]:
    text = path.read_text(encoding="utf-8")
    with_text, code = checked_text(text)
    lines = text.splitlines()
    found = []
    for rule in RULES:
        checked = with_text if rule.in_text else code
        for offset in rule.offsets(checked):
            line = checked.count("\n", 0, offset) + 1
            found.append((line, rule, lines[line - 1].strip()))
    return sorted(found, key=lambda h: (h[0], h[1].name))


def main(argv: list[str] | None = None) -> int:
    root = Path(argv[0]) if argv else DBT_PROJECT
    total = 0
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*.sql")):
            for line, rule, source in hits(path):
                total += 1
                print(f"{path.relative_to(root)}:{line}: {rule.name}: {rule.reason}\n    {source[:140]}")
    print(f"{total} Spark portability problem(s)" if total else "no Spark portability problem")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
