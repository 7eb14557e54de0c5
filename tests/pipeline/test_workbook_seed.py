"""The whole seed report as one workbook (and one GB18030 CSV) through Dagster and dbt: the same marts as
its CSVs. (The reader and loader's own tests, without a refresh: tests/unit/test_raw_load.py.)"""

from __future__ import annotations

from decimal import Decimal as D

import openpyxl
from conftest import SEED_DIR
from corpus import seed_rows, write_csv


def test_bundled_seed_converted_to_one_workbook_gives_the_same_marts(warehouse):
    """The whole seed as one GB18030/XLSX mix through Dagster and dbt: same figures as the CSVs."""
    year = warehouse.raw_dir / "2017"
    book = openpyxl.Workbook()
    book.remove(book.active)
    for path in sorted(SEED_DIR.glob("*.csv")):
        if path.stem == "indicators":
            write_csv(year / "WH-DHZB" / path.name, seed_rows(path.stem), "gb18030")
            continue
        sheet = book.create_sheet(path.stem)
        for r in seed_rows(path.stem):
            sheet.append(r)
    book.save(year / "WH-DHZB.xlsx")
    warehouse.refresh()
    assert warehouse.query("select final_budget, actual_spend, stated_execution_rate from "
                           "marts.department_execution") == [(D("2906.28"), D("2325.59"), D("0.8002"))]
    assert warehouse.query("select count(*), sum(final_budget) from marts.project_execution") \
        == [(13, D("2906.28"))]
    assert warehouse.query("select count(*) from marts.indicator_completion") == [(20,)]
    assert warehouse.query("select distinct source_file from marts.project_execution") \
        == [("2017/WH-DHZB.xlsx#budget_lines",)]
