"""The demo-data generator: determinism, the contract's shape, internal consistency of what was not
injected, the injection manifest against the files, the injection share and realistic distributions."""

from __future__ import annotations

import csv
import re
import statistics
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.contract import load_contract
from orchestration.raw_files import RawFileReader
from orchestration.raw_load import load_year
from tools.demo_data import (
    CONSOLIDATED_FOLDER,
    DEMO_CONTRACT_VERSION,
    INJECTION_KINDS,
    MANIFEST_COLUMNS,
    MANIFEST_NAME,
    generate,
    kind_rates,
    load_profile,
    main,
    read_injections,
    tree_digest,
)

CONTRACT = load_contract()
PROFILE = load_profile()
KINDS = PROFILE["kinds"]
YEARS = [2016, 2017, 2018]
SMALL = {"departments": 4, "years": YEARS, "seed": 42, "inconsistency_rate": 0.3}
LARGE = {"departments": 40, "years": YEARS, "seed": 7, "inconsistency_rate": None}
BANDS = [(Decimal(str(b["lower"])), b["grade"]) for b in PROFILE["grade_bands"]]

DeptKey = tuple[str, int]


# --- fixtures and readers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("small") / "raw"
    return out, generate(out, layout="per-department", **SMALL)


@pytest.fixture(scope="module")
def small_consolidated(tmp_path_factory):
    out = tmp_path_factory.mktemp("small_consolidated") / "raw"
    return out, generate(out, layout="consolidated", **SMALL)


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    out = tmp_path_factory.mktemp("large") / "raw"
    return out, generate(out, layout="per-department", **LARGE)


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def data_files(out: Path) -> list[Path]:
    return sorted(out.glob("[0-9][0-9][0-9][0-9]/*/*.csv"))


def read_rows(out: Path) -> dict[str, list[dict]]:
    """Every data row by kind, keyed by contract column name, with its file and spreadsheet row."""
    rows: dict[str, list[dict]] = defaultdict(list)
    for path in data_files(out):
        kind = CONTRACT.kinds[path.stem]
        table = read_csv(path)
        names = [kind.header_aliases()[h] for h in table[0]]
        for number, values in enumerate(table[1:], start=2):
            row = dict(zip(names, values, strict=True))
            rows[path.stem].append({**row, "_file": path.relative_to(out).as_posix(), "_row": number})
    return rows


def by_department_year(rows: list[dict]) -> dict[DeptKey, list[dict]]:
    out: dict[DeptKey, list[dict]] = defaultdict(list)
    for row in rows:
        out[(row["department_code"], int(row["fiscal_year"]))].append(row)
    return out


def injected_files(out: Path) -> set[tuple[str, int, str]]:
    return {(i["department_code"], int(i["fiscal_year"]), Path(i["file"]).stem) for i in read_injections(out)}


def dec(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def rate_agrees(stated: str, num: Decimal, den: Decimal) -> bool:
    """A stated rate equals num / den rounded half up at the stated number of decimals."""
    assert stated.endswith("%"), stated
    digits = stated[:-1]
    decimals = len(digits.partition(".")[2])
    expected = (num * 100 / den).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return expected == Decimal(digits)


def grade_of(score: Decimal) -> str:
    return next(grade for lower, grade in BANDS if score >= lower)


# --- determinism -----------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    first = generate(tmp_path / "a", layout="per-department", **SMALL)
    second = generate(tmp_path / "b", layout="per-department", **SMALL)
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    assert first.injections == second.injections
    generate(tmp_path / "c", layout="per-department", **{**SMALL, "seed": 43})
    assert tree_digest(tmp_path / "c") != tree_digest(tmp_path / "a")


def test_rerun_into_the_same_folder_leaves_no_stale_files(tmp_path):
    generate(tmp_path / "reused", layout="per-department", **SMALL)
    generate(tmp_path / "reused", layout="per-department", **{**SMALL, "departments": 2})
    generate(tmp_path / "fresh", layout="per-department", **{**SMALL, "departments": 2})
    assert tree_digest(tmp_path / "reused") == tree_digest(tmp_path / "fresh")


def test_both_layouts_hold_the_same_rows_and_injections(small, small_consolidated):
    (per_dept, _), (consolidated, _) = small, small_consolidated

    def row_set(out: Path) -> Counter:
        return Counter((kind, tuple(v for k, v in row.items() if not k.startswith("_")))
                       for kind, rows in read_rows(out).items() for row in rows)

    def injection_set(out: Path) -> Counter:
        return Counter(tuple(v for k, v in i.items() if k not in ("file", "row")) for i in read_injections(out))

    assert row_set(per_dept) == row_set(consolidated)
    assert injection_set(per_dept) == injection_set(consolidated)
    assert {p.parent.name for p in data_files(consolidated)} == {CONSOLIDATED_FOLDER}
    assert len(data_files(consolidated)) == len(YEARS) * len(KINDS)
    assert len(data_files(per_dept)) == len(YEARS) * len(KINDS) * SMALL["departments"]


# --- the contract's shape --------------------------------------------------------------------------------


def version_1_columns(kind: str) -> list:
    """The demo writes version-1 files (DEMO_CONTRACT_VERSION): the contract's columns of that version."""
    return [c for c in CONTRACT.kinds[kind].columns if c.since <= DEMO_CONTRACT_VERSION]


def test_every_file_has_the_contracts_chinese_header(small, small_consolidated):
    for out, _ in (small, small_consolidated):
        for path in data_files(out):
            assert read_csv(path)[0] == [c.header_zh for c in version_1_columns(path.stem)], path


def test_every_department_year_has_every_kind(small, small_consolidated):
    expected = {(f"DEMO-{n:03d}", year) for n in range(1, SMALL["departments"] + 1) for year in YEARS}
    for out, _ in (small, small_consolidated):
        rows = read_rows(out)
        assert set(rows) == set(KINDS)
        for kind in KINDS:
            assert set(by_department_year(rows[kind])) == expected, kind
    per_dept = small[0]
    for code, year in expected:
        for kind in KINDS:
            table = read_csv(per_dept / str(year) / code / f"{kind}.csv")
            assert {(r[0], r[1]) for r in table[1:]} == {(code, str(year))}


def test_departments_are_marked_synthetic_with_their_seed(small):
    profiles = read_rows(small[0])["department_profile"]
    assert profiles and all(p["is_synthetic"] == "true" for p in profiles)
    assert all("seed 42" in p["source_document"] for p in profiles)
    names = {p["department_code"]: p["department_name"] for p in profiles}
    assert len(set(names.values())) == len(names) == SMALL["departments"]


def test_amounts_and_rates_are_written_as_people_write_them(large):
    amount = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)\.\d{2}$")
    rate = re.compile(r"^-?\d+(\.\d{1,2})?%$")
    decimals_seen = set()
    for kind, rows in read_rows(large[0]).items():
        columns = version_1_columns(kind)
        for row in rows:
            for c in columns:
                value = row[c.name]
                if c.type == "amount" and value:
                    assert amount.match(value), (kind, c.name, value)
                if c.type == "rate" and value:
                    assert rate.match(value), (kind, c.name, value)
                    decimals_seen.add(len(value.rstrip("%").partition(".")[2]))
                if c.type == "unit":
                    assert value == "万元"
    assert decimals_seen == {0, 1, 2}  # 96.92%, 81.4%, 97%


# --- consistency of what was not injected ------------------------------------------------------------------


def budget_line_problems(key: DeptKey, rows: list[dict]) -> list[str]:
    problems = []
    items = [r for r in rows if r["line_type"] == "item"]
    (total,) = [r for r in rows if r["line_type"] == "total"]
    for column in ("initial_budget", "budget_adjustment", "final_budget", "actual_spend", "stated_variance"):
        if sum(dec(r[column]) for r in items) != dec(total[column]):
            problems.append(f"{key} budget_lines 合计 {column}")
    for r in rows:
        final, actual = dec(r["final_budget"]), dec(r["actual_spend"])
        arithmetic = dec(r["initial_budget"]) + dec(r["budget_adjustment"]) == final
        if not arithmetic or dec(r["stated_variance"]) != actual - final:
            problems.append(f"{key} budget_lines row {r['_row']} arithmetic")
        if final and not rate_agrees(r["stated_execution_rate"], actual, final):
            problems.append(f"{key} budget_lines row {r['_row']} rate {r['stated_execution_rate']}")
    return problems


def summary_problems(key: DeptKey, summary: dict, lines_total: dict | None) -> list[str]:
    problems = []
    final, actual = dec(summary["final_budget"]), dec(summary["actual_spend"])
    if dec(summary["initial_budget"]) + dec(summary["budget_adjustment"]) != final:
        problems.append(f"{key} budget_summary arithmetic")
    if not rate_agrees(summary["stated_execution_rate"], actual, final):
        problems.append(f"{key} budget_summary rate")
    columns = ("initial_budget", "budget_adjustment", "final_budget", "actual_spend", "stated_execution_rate")
    if lines_total is not None and any(summary[c] != lines_total[c] for c in columns):
        problems.append(f"{key} budget_summary differs from the 合计 row")
    return problems


def three_public_problems(key: DeptKey, rows: list[dict], prior_total: dict | None) -> list[str]:
    problems = []
    items = [r for r in rows if r["line_type"] == "item"]
    (total,) = [r for r in rows if r["line_type"] == "total"]
    for column in ("budget", "actual"):
        if sum(dec(r[column]) for r in items) != dec(total[column]):
            problems.append(f"{key} three_public 合计 {column}")
    for r in rows:
        budget, actual = dec(r["budget"]), dec(r["actual"])
        if budget and not rate_agrees(r["stated_usage_rate"], actual, budget):
            problems.append(f"{key} three_public row {r['_row']} usage rate")
        if actual > budget:
            problems.append(f"{key} three_public row {r['_row']} over budget")
    if dec(total["stated_saving"]) != dec(total["budget"]) - dec(total["actual"]):
        problems.append(f"{key} three_public saving")
    if prior_total is not None and dec(prior_total["actual"]):
        change = dec(total["actual"]) - dec(prior_total["actual"])
        if dec(total["stated_yoy_change"]) != change:
            problems.append(f"{key} three_public yoy change")
        if not rate_agrees(total["stated_yoy_change_rate"], change, dec(prior_total["actual"])):
            problems.append(f"{key} three_public yoy rate")
    return problems


def staffing_problems(key: DeptKey, rows: list[dict]) -> list[str]:
    actual = [int(r["headcount"]) for r in rows if r["headcount_kind"] == "actual" and r["line_type"] == "item"]
    authorized = sum(int(r["headcount"]) for r in rows if r["headcount_kind"] == "authorized")
    (total,) = [int(r["headcount"]) for r in rows if r["line_type"] == "total"]
    problems = [f"{key} staffing total"] if sum(actual) != total else []
    return problems + ([f"{key} staffing over authorized"] if total > authorized else [])


def indicator_problems(key: DeptKey, rows: list[dict]) -> list[str]:
    problems = []
    level_weights = {lv["name"]: Decimal(lv["weight"]) for lv in PROFILE["indicators"]["levels"]}
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        sums[r["level1"]] += Decimal(r["weight"])
        if Decimal(r["self_score"]) > Decimal(r["weight"]):
            problems.append(f"{key} indicator row {r['_row']} score above weight")
        as_target = r["target_text"].startswith(("≥", "≤")) and r["actual_text"] == r["target_text"]
        if as_target or r["actual_text"].startswith(("1-11月", "1-10月", "1-9月")):
            problems.append(f"{key} indicator row {r['_row']} actual {r['actual_text']}")
    if dict(sums) != level_weights:
        problems.append(f"{key} indicator level weights {dict(sums)}")
    return problems


def self_evaluation_problems(key: DeptKey, rows: list[dict]) -> list[str]:
    problems = []
    items = [r for r in rows if r["line_type"] == "item"]
    (total,) = [r for r in rows if r["line_type"] == "total"]
    for r in items:
        if Decimal(r["weight"]) - Decimal(r["deduction"]) != Decimal(r["self_score"]):
            problems.append(f"{key} self_evaluation row {r['_row']} weight - deduction")
    if sum(Decimal(r["self_score"]) for r in items) != Decimal(total["self_score"]):
        problems.append(f"{key} self_evaluation scores do not sum to the total")
    if sum(Decimal(r["weight"]) for r in items) != Decimal(total["weight"]):
        problems.append(f"{key} self_evaluation weights do not sum to the total")
    if grade_of(Decimal(total["self_score"])) != total["stated_grade"]:
        problems.append(f"{key} self_evaluation grade")
    return problems


def department_year_problems(key: DeptKey, rows: dict[str, dict], injected: set) -> dict[str, list[str]]:
    """The problems of each file of a department-year that carries no injection."""
    lines = rows["budget_lines"][key]
    lines_total = next(r for r in lines if r["line_type"] == "total")
    prior_total = next((r for r in rows["three_public"].get((key[0], key[1] - 1), []) if r["line_type"] == "total"),
                       None)
    checks = {
        "budget_lines": lambda: budget_line_problems(key, lines),
        "budget_summary": lambda: summary_problems(
            key, rows["budget_summary"][key][0], None if (*key, "budget_lines") in injected else lines_total),
        "three_public": lambda: three_public_problems(key, rows["three_public"][key], prior_total),
        "staffing": lambda: staffing_problems(key, rows["staffing"][key]),
        "indicators": lambda: indicator_problems(key, rows["indicators"][key]),
        "self_evaluation": lambda: self_evaluation_problems(key, rows["self_evaluation"][key]),
    }
    return {kind: check() for kind, check in checks.items() if (*key, kind) not in injected}


def test_figures_are_consistent_wherever_nothing_was_injected(large):
    out = large[0]
    rows = {kind: by_department_year(r) for kind, r in read_rows(out).items()}
    injected = injected_files(out)
    problems: list[str] = []
    checked: Counter = Counter()
    for key in sorted(rows["budget_lines"]):
        for kind, found in department_year_problems(key, rows, injected).items():
            problems += found
            checked[kind] += 1
    assert problems == []
    assert len(checked) == 6 and all(n >= 80 for n in checked.values()), checked  # most of 120 were checked


# --- the injections ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("run", ["small", "small_consolidated", "large"])
def test_every_recorded_injection_is_in_its_file_at_its_row_and_column(run, request):
    out, report = request.getfixturevalue(run)
    manifest = read_injections(out)
    assert read_csv(out / MANIFEST_NAME)[0] == list(MANIFEST_COLUMNS)
    assert CONTRACT.kind_for_name(Path(MANIFEST_NAME).stem) is None  # the loader never takes it for data
    assert [tuple(i.values()) for i in manifest] == [
        tuple(str(v) for v in (i.kind, i.department_code, i.fiscal_year, i.file, i.row, i.column, i.stated_value,
                               i.correct_value, i.note)) for i in report.injections]
    cells: Counter = Counter()
    for injection in manifest:
        path = out / injection["file"]
        table = read_csv(path)
        header = [CONTRACT.kinds[path.stem].header_aliases()[h] for h in table[0]]
        row = table[int(injection["row"]) - 1]
        assert row[header.index(injection["column"])] == injection["stated_value"], injection
        assert (row[0], row[1]) == (injection["department_code"], injection["fiscal_year"]), injection
        assert injection["stated_value"] != injection["correct_value"], injection
        assert injection["kind"] in INJECTION_KINDS
        cells[(injection["file"], injection["row"], injection["column"])] += 1
    assert max(cells.values(), default=1) == 1  # no cell carries two injections
    if run != "large":
        assert {i["kind"] for i in manifest} == set(INJECTION_KINDS)  # a high rate exercises every kind


def test_injected_cells_are_where_the_raw_loader_puts_them(small_consolidated, tmp_path):
    out, report = small_consolidated
    files = RawFileReader(CONTRACT, out, tmp_path / "converted").collect(2017)
    assert files.rejections == []
    assert {f.kind for f in files.files} == set(KINDS)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        load_year(con, CONTRACT, files)
        for i in (i for i in report.injections if i.fiscal_year == 2017):
            kind = Path(i.file).stem
            value = con.execute(f'select "{i.column}" from raw.{kind} where _source_file = ? and _source_row = ?',
                                [i.file, i.row]).fetchone()
            assert value == (i.stated_value,), i
    finally:
        con.close()


def test_realized_injection_share_is_close_to_the_configured_rate(large):
    out, report = large
    rate = PROFILE["defaults"]["inconsistency_rate"]
    counts = Counter(i["kind"] for i in read_injections(out))
    department_years = LARGE["departments"] * len(YEARS)
    with_prior_year = LARGE["departments"] * (len(YEARS) - 1)
    for kind, expected in kind_rates(PROFILE, rate).items():
        eligible = report.eligible[kind]
        assert eligible == (with_prior_year if kind == "growth_from_zero" else department_years), kind
        assert abs(counts[kind] / eligible - expected) <= 1 / eligible, (kind, counts[kind], eligible, expected)
    overall = sum(counts.values()) / sum(report.eligible.values())
    assert abs(overall - rate) < 0.015, overall


def test_zero_rate_injects_nothing(tmp_path):
    report = generate(tmp_path / "clean", layout="per-department", **{**SMALL, "inconsistency_rate": 0})
    assert report.injections == () and read_injections(tmp_path / "clean") == []


# --- distributions -------------------------------------------------------------------------------------------


def test_distributions_look_like_real_reports(large):
    rows = read_rows(large[0])
    rates = [dec(r["actual_spend"]) / dec(r["final_budget"])
             for r in rows["budget_lines"] if r["line_type"] == "item" and dec(r["final_budget"]) > 0]
    assert Decimal("0.85") <= statistics.median(rates) <= 1
    assert 0.03 <= sum(r < Decimal("0.7") for r in rates) / len(rates) <= 0.25
    totals = [Decimal(r["self_score"]) for r in rows["self_evaluation"] if r["line_type"] == "total"]
    assert sum(totals) / len(totals) >= 85
    assert Counter(map(grade_of, totals)).most_common(2)[0][0] in ("优秀", "良好")
    initial = [dec(r["initial_budget"]) for r in rows["budget_summary"]]
    assert min(initial) < 2000 and max(initial) > 10000  # departments differ in size
    adjustments = [dec(r["budget_adjustment"]) / dec(r["initial_budget"]) for r in rows["budget_summary"]]
    assert sum(a > 0 for a in adjustments) / len(adjustments) > 0.7

    public = {(r["department_code"], int(r["fiscal_year"])): dec(r["actual"])
              for r in rows["three_public"] if r["line_type"] == "total"}
    pairs = [(public[(code, year - 1)], now) for (code, year), now in public.items() if (code, year - 1) in public]
    assert sum(now < before for before, now in pairs) / len(pairs) > 0.5


# --- command line -------------------------------------------------------------------------------------------


def test_command_line_writes_what_generate_writes(tmp_path, capsys):
    args = ["--departments", "2", "--years", "2017-2018", "--seed", "5", "--layout", "consolidated"]
    assert main(["--out", str(tmp_path / "cli"), *args]) == 0
    assert "injections recorded" in capsys.readouterr().out
    generate(tmp_path / "api", 2, [2017, 2018], 5, "consolidated", PROFILE["defaults"]["inconsistency_rate"])
    assert tree_digest(tmp_path / "cli") == tree_digest(tmp_path / "api")
    assert (tmp_path / "cli" / "2018" / CONSOLIDATED_FOLDER / "budget_lines.csv").is_file()
