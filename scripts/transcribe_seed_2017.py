"""Writes the seed department's 2017 record (data/raw/2017/WH-DHZB/) from the transcription below.

The figures are typed from ../shared/seeds/000_7648df10c86314e6.txt exactly as the report writes
them (thousands separators, dashes and full-width brackets included); see SOURCES.md beside the
files for the section each one comes from. Kept as a script so that the transcription is
reviewable in one place; the CSV files it writes are the bundled data.
"""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data/raw/2017/WH-DHZB"
DEPT = "WH-DHZB"
FY = 2017

PROFILE = [
    dict(department_name="武汉东湖综合保税区建设管理办公室", established_date="2012-03-15",
         internal_division_count=3, internal_divisions="保税业务处（综合处）、规划建设处、投资促进处",
         retiree_count=0, is_synthetic="false",
         source_document="武汉东湖综合保税区建设管理办公室2017年整体支出绩效自评报告 (seed 000_7648df10c86314e6)"),
]

STAFFING = [
    dict(line_no=1, headcount_kind="authorized", category="事业编制", headcount=16, line_type="item",
         note="本部门列事业编制16人"),
    dict(line_no=2, headcount_kind="actual", category="公务员", headcount=6, line_type="item", note="含1名挂职领导"),
    dict(line_no=3, headcount_kind="actual", category="全额事业编", headcount=2, line_type="item", note=""),
    dict(line_no=4, headcount_kind="actual", category="聘用制", headcount=7, line_type="item", note=""),
    dict(line_no=5, headcount_kind="actual", category="借调人员", headcount=1, line_type="item", note=""),
    dict(line_no=6, headcount_kind="actual", category="派遣制", headcount=3, line_type="item",
         note="统计专员、安全生产专员、党建专员"),
    dict(line_no=7, headcount_kind="actual", category="在职实有人员", headcount=19, line_type="total", note=""),
]

BUDGET_SUMMARY = [
    dict(statement_no=1, scope="all", initial_budget="1,863", budget_adjustment="1,043.28",
         final_budget="2,906.28", actual_spend="2,325.59", stated_execution_rate="80.02%",
         project_count_initial=11, project_count_final=13, unit="万元",
         source_section="二（一）1．支出规模和结构"),
    dict(statement_no=2, scope="project", initial_budget="1,863", budget_adjustment="1,043.28",
         final_budget="2906.28", actual_spend="2,325.59", stated_execution_rate="80.02%",
         project_count_initial="", project_count_final="", unit="万元",
         source_section="二（一）3．项目支出情况"),
    dict(statement_no=3, scope="basic", initial_budget="0", budget_adjustment="", final_budget="0",
         actual_spend="", stated_execution_rate="", project_count_initial="", project_count_final="",
         unit="万元", source_section="二（一）1-2 无基本支出（预算总支出全部用于项目支出）"),
]

BUDGET_BY_CLASS = [
    dict(classification="function", class_name="一般公共服务支出", initial_budget="1,863", unit="万元",
         source_section="二（一）1．支出规模和结构（按支出功能分类科目，全部用于一般公共服务支出）"),
    dict(classification="economic", class_name="商品和服务支出", initial_budget="1,026", unit="万元",
         source_section="二（一）1．支出规模和结构（按支出经济分类科目）"),
    dict(classification="economic", class_name="对企事业单位的补贴", initial_budget="837", unit="万元",
         source_section="二（一）1．支出规模和结构（按支出经济分类科目）"),
]

REASONS = {
    "国内招商经费": "国内招商经费预算完成率仅为54.12%，主要原因系测算日常国内差旅费42万元，实际发生16.3万元",
    "招商宣传经费": "招商宣传经费使用率为83.21%，主要原因系整体封关活动未开展，预算10万元经费未发生，"
    "各类媒体宣传推广费计划30万元，实际发生13.32万元",
    "党建经费": "党建经费预算使用率为76.90%，主要原因系2017年未开展党员交流学习、共青团活动、"
    "职工文体活动等党建方面专项活动",
    "自贸办专项工作经费": "自贸办专项工作经费使用率为81.16%，主要原因系国内差旅费预算20万元，实际仅发生1.8万元，"
    "计划8万元培训费未发生，计划迎接国务院有关部委检查及调研活动经费14万元未发生",
    "国检经费": "国检经费使用率为85.87%，主要原因系计划运维费145万元，实际使用109.47万元",
    "园区管理经费": "园区管理经费预算600万元，实际使用213.09万元，主要原因系经费测算中有二期道路清扫保洁"
    "306.89万元，实际二期在2017年未封关，故未支出",
}

# (序号, 支出项目名称, 最终预算, 决算金额, 差异数, 完成率) exactly as the table writes them.
PROJECT_TABLE = [
    (1, "日常办公经费", "135.00", "130.84", "-4.16", "96.92%"),
    (2, "办公场所运转经费", "393.00", "387.21", "-5.79", "98.53%"),
    (3, "接待经费", "14.00", "6.00", "-8.00", "42.86%"),
    (4, "国内招商经费", "77.00", "41.67", "-35.33", "54.12%"),
    (5, "国外招商经费", "40.00", "36.40", "-3.60", "91.00%"),
    (6, "招商宣传经费", "155.00", "128.98", "-26.02", "83.21%"),
    (7, "党建经费", "42.00", "32.30", "-9.70", "76.90%"),
    (8, "自贸办专项工作经费", "160.00", "129.85", "-30.15", "81.16%"),
    (9, "机动经费-区内外配套产业分析与研究咨询服务费", "10.00", "9.90", "-0.10", "99.00%"),
    (10, "海关经费", "800.00", "800.00", "     -   ", "100.00%"),
    (11, "国检经费", "247.00", "212.11", "-34.89", "85.87%"),
    (12, "追加湖北自贸区武汉片区挂牌相关工作及宣传项目等经费", "233.28", "197.24", "-36.04", "84.55%"),
    (13, "园区管理经费", "600.00", "213.09", "-386.91", "35.52%"),
]
PROJECT_TOTAL = (14, "合计", "2906.28", "2,325.59", "-580.69", "80.02%")

THREE_PUBLIC = [
    dict(line_no=1, category="overseas_travel", category_name="因公出国（境）费用", budget="40",
         actual="36.41", stated_usage_rate="91.03%", line_type="item", unit="万元"),
    dict(line_no=2, category="official_vehicles", category_name="公务用车购置及运行维护费用", budget="4",
         actual="1.89", stated_usage_rate="47.25%", line_type="item", unit="万元"),
    dict(line_no=3, category="official_reception", category_name="公务接待费", budget="14", actual="6",
         stated_usage_rate="42.86%", line_type="item", unit="万元"),
    # The text beside the table: 节约13.7万元，比2016年降低12.54万元，降低22.06% (a decrease, hence the signs).
    dict(line_no=4, category="total", category_name="合计", budget="58", actual="44.3",
         stated_usage_rate="76.38%", stated_saving="13.7", stated_yoy_change="-12.54",
         stated_yoy_change_rate="-22.06%", line_type="total", unit="万元"),
]

INDICATOR_NAMES = [
    "工业投资",
    "规模以上工业总产值",
    "工业企业“小进规”新增/净增户数",
    "招商引资总额/实际利用外资",
    "外贸出口",
    "引进世界500强项目数/100亿元以上项目数/投资50-99亿元项目数/投资10-49亿元项目数/1-10亿元以上项目数/"
    "世界500强及跨国公司研发机构/引进大型央企投资项目/中国民营500强项目数",
    "高新技术产业产值/新增高新技术企业家数",
    "重点项目开工数/竣工数/投产数/项目到资额",
    "其他营利性服务业单位营业收入增长率",
    "财源建设工作任务",
]
TARGETS = [
    "40亿元", "200亿元", "2户/2户", "37.74亿元/1.92亿美元", "49.55亿美元",
    "1个/—/1个/3个/3个/1个/—/1个", "176亿元/5家", "按考核要求完成", "80%", "按考核要求完成",
]
ACTUALS = [
    "20.28亿元（50.7%）",
    "162.75亿元（81.4%）",
    "6月已完成宏鼎新增进规申报；12月完成德润特进规，认定证明于2月份出红头文件",
    "42.02亿元（111.34%）/1.45亿美元（75.91%）",
    "1-11月完成61.25亿美元（即人民币398.25元，进度123.61%，占高新区60.48%，武汉市38%）",
    "已完成，分别对应： 民商大宗/民生整体/费舍尔、金宇、均和/鸿盛华、长江金控、绿地/ "
    "工世达网络计算机软硬件研发项目/均和",
    "科创局反馈已完成",
    "重点办回复，暂无项目。",
    "目标1.2亿元，1-11月完成1.17亿元（进度97.5%）（ 4家在库企业合作银通、依迅北斗、综保投、佳特金财）",
    "已提前超额完成全年税收指标（4.5亿元，完成进度149.5%）。",
]

SELF_EVALUATION = [
    dict(line_no=1, dimension="投入", weight=20, deduction=2, self_score=18, line_type="item",
         comment="综保办对2017年预算各项目支出均设置了绩效目标，但未就部门整体绩效设置年度目标……“投入”方面扣减2分，得18分。"),
    dict(line_no=2, dimension="过程", weight=20, deduction=3, self_score=17, line_type="item",
         comment="预算编制及调整不尽合理，整体执行率仅达到80%，部分项目预算使用率不足50%……“过程”方面扣减3分，得17分。"),
    dict(line_no=3, dimension="产出", weight=30, deduction=6, self_score=24, line_type="item",
         comment="部分具体指标尚不理想，如工业投资仅完成目标值的50.7%，规上工业总产值仅完成目标值的81.4%，"
         "实际利用外资仅完成目标值的75.91%……“产出”方面扣减6分，得24分。"),
    dict(line_no=4, dimension="效果", weight=30, deduction=2, self_score=28, line_type="item",
         comment="除个别经济指标外，均较好地实现了年初工作预期，“效果”方面扣2分，得28分。"),
    dict(line_no=5, dimension="合计", weight=100, deduction="", self_score=87, stated_grade="良好",
         line_type="total", comment="综保办2017年度整体预算支出绩效评价得分87分，评价结果为“良好”。"),
]

GRADE_BANDS = [
    dict(band_no=1, interval_text="【100，90】", grade="优秀"),
    dict(band_no=2, interval_text="（90，80】", grade="良好"),
    dict(band_no=3, interval_text="（80，60】", grade="一般"),
    dict(band_no=4, interval_text="（60，0】", grade="不合格"),
]


def budget_lines() -> list[dict]:
    rows = []
    for no, name, final, actual, variance, rate in [*PROJECT_TABLE, PROJECT_TOTAL]:
        rows.append(dict(line_no=no, project_name=name, expenditure_type="" if name == "合计" else "project",
                         final_budget=final, actual_spend=actual, stated_variance=variance,
                         stated_execution_rate=rate, variance_reason=REASONS.get(name, ""),
                         line_type="total" if name == "合计" else "item", unit="万元"))
    return rows


def indicators() -> list[dict]:
    rows = []
    for table in ("goal", "result"):
        for i, (name, target, actual) in enumerate(zip(INDICATOR_NAMES, TARGETS, ACTUALS, strict=True), 1):
            rows.append(dict(source_table=table, indicator_no=i, indicator_name=name, target_text=target,
                             actual_text=actual if table == "result" else ""))
    return rows


def write(kind: str, rows: list[dict], headers_zh: dict[str, str], columns: list[str]) -> None:
    path = OUT / f"{kind}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([headers_zh[c] for c in columns])
        for row in rows:
            full = {"department_code": DEPT, "fiscal_year": FY, **row}
            writer.writerow([full.get(c, "") for c in columns])


def main() -> None:
    contract = yaml.safe_load((ROOT / "contract/raw_contract.yaml").read_text(encoding="utf-8"))
    OUT.mkdir(parents=True, exist_ok=True)
    data = {
        "department_profile": PROFILE, "staffing": STAFFING, "budget_summary": BUDGET_SUMMARY,
        "budget_by_class": BUDGET_BY_CLASS, "budget_lines": budget_lines(), "three_public": THREE_PUBLIC,
        "indicators": indicators(), "self_evaluation": SELF_EVALUATION, "grade_bands": GRADE_BANDS,
    }
    for kind, rows in data.items():
        cols = []
        for col in contract["file_kinds"][kind]["columns"]:
            cols.extend(col if isinstance(col, list) else [col])
        write(kind, rows, {c["name"]: c["header_zh"] for c in cols}, [c["name"] for c in cols])


if __name__ == "__main__":
    main()
