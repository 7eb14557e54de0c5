"""The raw data contract (contract/raw_contract.yaml), read once and shared by loader, dbt and docs."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from orchestration.yaml_files import read_yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONTRACT_PATH = PROJECT_ROOT / "contract" / "raw_contract.yaml"

# Lineage columns the loader adds to every raw table.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "Path of the file the row was read from, relative to the raw data folder "
                     "(an XLSX sheet as book.xlsx#sheet)."),
    ("_source_row", "Row number in that file as a spreadsheet shows it: the header is row 1."),
    ("_partition_year", "Fiscal-year partition (year folder) the file was loaded under."),
    ("_loaded_at", "When the row was loaded (UTC)."),
)


@dataclass(frozen=True)
class Column:
    name: str
    header_zh: str
    type: str
    description: str
    required: bool = False
    values: dict[str, str] = field(default_factory=dict)  # code -> its name (first label)
    signed: bool = False
    range: tuple[float, float] | None = None
    header_aliases: tuple[str, ...] = ()  # other Chinese headers accepted for the column
    labels: dict[str, str] = field(default_factory=dict)  # every accepted label -> its code
    since: int = 1  # the contract version that added the column

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.name, self.header_zh, *self.header_aliases)


@dataclass(frozen=True)
class FileKind:
    name: str
    label_zh: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def header_aliases(self) -> dict[str, str]:
        """Every accepted header (English name or Chinese header) mapped to the column name."""
        return {header: c.name for c in self.columns for header in c.headers}


@dataclass(frozen=True)
class Contract:
    version: int
    encodings: tuple[str, ...]
    formats: tuple[str, ...]
    layout: str
    kinds: dict[str, FileKind]
    amount_max_wan: float = 1e8
    integer_range: tuple[float, float] = (0, 1e7)
    number_range: tuple[float, float] = (0, 1e4)
    required_kinds: tuple[str, ...] = ()
    number_grammar: str = ""  # contract number_grammar
    documentation_files: tuple[str, ...] = ()

    def kind_for_name(self, name: str) -> FileKind | None:
        """The file kind a file stem or sheet name refers to (English name or Chinese label)."""
        for kind in self.kinds.values():
            if name in (kind.name, kind.label_zh):
                return kind
        return None


def _flatten(items: list) -> list[dict]:
    out: list[dict] = []
    for item in items:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _column(c: dict) -> Column:
    labels_of = {code: tuple(v) if isinstance(v, list) else (v,) for code, v in (c.get("values") or {}).items()}
    return Column(
        name=c["name"], header_zh=c["header_zh"], type=c["type"], description=" ".join(c["description"].split()),
        required=bool(c.get("required", False)), values={code: labels[0] for code, labels in labels_of.items()},
        signed=bool(c.get("signed", False)), range=tuple(c["range"]) if "range" in c else None,
        header_aliases=tuple(c.get("header_aliases", ())),
        labels={label: code for code, labels in labels_of.items() for label in labels},
        since=int(c.get("since", 1)),
    )


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    doc = read_yaml(path)
    kinds = {}
    for name, spec in doc["file_kinds"].items():
        columns = tuple(_column(c) for c in _flatten(spec["columns"]))
        kinds[name] = FileKind(
            name=name, label_zh=spec["label_zh"], description=" ".join(spec["description"].split()),
            key=tuple(spec["key"]), columns=columns,
        )
    checks = doc.get("checks", {})
    return Contract(
        version=int(doc["contract_version"]), encodings=tuple(doc["encodings"]),
        formats=tuple(doc["formats"]), layout=" ".join(doc["layout"].split()), kinds=kinds,
        amount_max_wan=float(checks.get("amount_max_wan", 1e8)),
        integer_range=tuple(checks.get("integer_range", (0, 1e7))),
        number_range=tuple(checks.get("number_range", (0, 1e4))),
        required_kinds=tuple(doc.get("required_kinds", ())),
        number_grammar=doc["number_grammar"],
        documentation_files=tuple(doc.get("documentation_files", ())),
    )
