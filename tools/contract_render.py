"""Writes the files driven by the raw data contract: the dbt sources, the column tables of the docs,
the dbt seed of the file kinds every department-year must submit and the Great Expectations suites in
expectations/.

    python -m tools.contract_render           # rewrite them
    python -m tools.contract_render --check   # exit 1 if they are out of date
"""

from __future__ import annotations

import csv
import io
import sys

import yaml

from orchestration.contract import LINEAGE_COLUMNS, PROJECT_ROOT, Contract, load_contract
from orchestration.quality.contract_suites import render_suites

SOURCES_PATH = PROJECT_ROOT / "dbt_project" / "models" / "staging" / "_reports__sources.yml"
DOCS_PATH = PROJECT_ROOT / "docs" / "raw-data.md"
# The contract's required_kinds as a dbt seed (reference.required_file_kinds), read by the check
# missing_file_kind: a seed changes no dbt var, so a contract change costs no full re-parse.
REQUIRED_KINDS_SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "required_file_kinds.csv"
BEGIN = "<!-- BEGIN GENERATED FROM contract/raw_contract.yaml -->"
END = "<!-- END GENERATED -->"

CONTRACT_FINDING_COLUMNS = (
    ("_partition_year", "Fiscal-year partition of the load; empty for what the raw folder holds beside its year "
                        "folders."),
    ("source_file", "The file (or book.xlsx#sheet) concerned."),
    ("kind", "Its file kind, where known."),
    ("department_code", "The department code the file or row states, where it states one."),
    ("source_row", "The row (header = 1), where the violation is a row's."),
    ("source_column", "The contract column concerned."),
    ("check_name", "The expectation or file check that failed."),
    ("value", "The offending cell as written (never more than that cell, invisible characters escaped, "
              "cut at 60 characters)."),
    ("reason", "What is wrong, naming the column and its Chinese header."),
    ("action", "file quarantined (with or without a previous version kept), rows removed (a source no longer "
               "in data/raw) or noted."),
    ("severity", "error (quarantined), warning (noted: loaded, or nothing to load) or info (rows removed)."),
    ("_loaded_at", "When the load ran."),
)

TYPE_NOTES = {
    "text": "text",
    "integer": "integer (`1,863` grouping allowed)",
    "amount": "amount (exact decimal, in the row's `unit`; `1,863.5`, never `135,5`)",
    "rate": "rate as stated (`80.02%` or ratio `0.8002`)",
    "number": "decimal (`1,863.5`)",
    "boolean": "true / false (是 / 否)",
    "date": "date (YYYY-MM-DD)",
    "code": "code",
    "unit": "unit (see `dbt_project/seeds/units.csv`)",
}


def render_sources(contract: Contract) -> str:
    tables = []
    for kind in contract.kinds.values():
        columns = [
            {"name": c.name, "description": f"{c.header_zh} - {c.description}",
             "meta": {"header_zh": c.header_zh, "contract_type": c.type,
                      **({"header_aliases": list(c.header_aliases)} if c.header_aliases else {}),
                      **({"values": c.values, "labels": c.labels} if c.values else {})}}
            for c in kind.columns
        ]
        columns += [{"name": name, "description": desc} for name, desc in LINEAGE_COLUMNS]
        tables.append({
            "name": kind.name,
            "description": f"{kind.label_zh} - {kind.description}",
            "meta": {"dagster": {"asset_key": ["raw", kind.name]}, "label_zh": kind.label_zh,
                     "key": list(kind.key)},
            "columns": columns,
        })
    tables.append({
        "name": "_contract_findings",
        "description": "Violations of the raw data contract found when files were loaded, by file, row and column; "
                       "written by the raw load (orchestration/raw_load.py).",
        "meta": {"dagster": {"asset_key": ["raw", "contract_findings"]}},
        "columns": [{"name": n, "description": d} for n, d in CONTRACT_FINDING_COLUMNS],
    })
    doc = {"version": 2, "sources": [{
        "name": "reports", "schema": "raw",
        "description": "Department self-evaluation reports as loaded from data/raw by the Dagster raw assets.",
        "tables": tables,
    }]}
    header = (f"# GENERATED from contract/raw_contract.yaml (contract version {contract.version}) by "
              "`python -m tools.contract_render`. Do not edit.\n")
    return header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def render_docs_section(contract: Contract) -> str:
    out = [BEGIN, "", f"Contract version **{contract.version}**. Encodings: {', '.join(contract.encodings)}. "
           f"Formats: {', '.join(contract.formats)}.", "", f"Layout: {contract.layout}", "",
           f"Numbers (amounts, integers, decimals) follow `{contract.number_grammar}` once full-width characters "
           "are read as ASCII: standard thousands grouping only. Files recognised as documentation and never "
           f"loaded: {', '.join(f'`{d}`' for d in contract.documentation_files)}; any other file or folder that "
           "is no year folder and no data file is reported (docs/reliability.md).", ""]
    for kind in contract.kinds.values():
        out += [f"### `{kind.name}` ({kind.label_zh})", "", kind.description, "",
                f"Key: {', '.join(f'`{k}`' for k in kind.key)}. File name: `{kind.name}.csv`, or a sheet "
                f"named `{kind.name}` or `{kind.label_zh}`.", "",
                "| column | 中文表头 | type | required | description |", "|---|---|---|---|---|"]
        for c in kind.columns:
            kind_text = TYPE_NOTES[c.type]
            if c.values:
                kind_text += ": " + ", ".join(
                    f"`{k}` ({' / '.join(label for label, code in c.labels.items() if code == k)})"
                    for k in c.values)
            headers = " / ".join((c.header_zh, *c.header_aliases))
            since = f" *(version {c.since})*" if c.since > 1 else ""
            out.append(f"| `{c.name}` | {headers} | {kind_text} | {'yes' if c.required else ''} | "
                       f"{c.description}{since} |")
        out.append("")
    out += ["Every raw table also carries: " + "; ".join(f"`{n}` - {d}" for n, d in LINEAGE_COLUMNS), "", END]
    return "\n".join(out)


def render_docs(contract: Contract, current: str) -> str:
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + render_docs_section(contract) + tail


def render_required_kinds(contract: Contract) -> str:
    unknown = [k for k in contract.required_kinds if k not in contract.kinds]
    if unknown:
        raise ValueError(f"required_kinds names kinds the contract does not define: {unknown}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "label_zh"])
    writer.writerows([kind, contract.kinds[kind].label_zh] for kind in contract.required_kinds)
    return out.getvalue()


def main(argv: list[str]) -> int:
    contract = load_contract()
    wanted = {
        SOURCES_PATH: render_sources(contract),
        DOCS_PATH: render_docs(contract, DOCS_PATH.read_text(encoding="utf-8")),
        REQUIRED_KINDS_SEED: render_required_kinds(contract),
        **render_suites(contract),
    }
    stale = [p for p, text in wanted.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if "--check" in argv:
        for p in stale:
            print(f"out of date: {p.relative_to(PROJECT_ROOT)} (run python -m tools.contract_render)")
        return 1 if stale else 0
    for p in stale:
        p.write_text(wanted[p], encoding="utf-8")
        print(f"wrote {p.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
