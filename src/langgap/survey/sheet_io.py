"""Spreadsheet plumbing for annotation work: problems, CSV/XLSX writers and raw cell readers.

Sheets travel through Excel, LibreOffice and Google Sheets, which add BOMs, merge cells and turn
ids into dates; the readers here keep every cell's raw type so the importer can say so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from langgap._io import atomic_write_bytes, atomic_write_text

Cell = object  # str, int, float, bool, datetime/date/time or None, as the file gave it


@dataclass(frozen=True, slots=True)
class SheetProblem:
    """One thing wrong with a sheet: where it is, what it is, and how to fix it."""

    file: str
    row: int | None  # spreadsheet numbering (header = 1); None for the whole file
    column: str  # "" when the problem is not about one column
    message: str
    fix: str

    def __str__(self) -> str:
        where = self.file + (f":{self.row}" if self.row is not None else "")
        where += f" [{self.column}]" if self.column else ""
        return f"{where}: {self.message}. Fix: {self.fix}"


class SheetError(ValueError):
    """A sheet (or several) could not be used; carries every problem found, not only the first."""

    def __init__(self, problems: Sequence[SheetProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s):\n{lines}")


@dataclass(slots=True)
class RawTable:
    """The non-empty rows of one sheet with their spreadsheet row numbers, and merged ranges."""

    rows: list[tuple[int, list[Cell]]]
    merged: list[tuple[str, int, int, int, int]] = field(default_factory=list)  # ref, rows, cols


@dataclass(frozen=True, slots=True)
class XlsxLayout:
    """How a sheet is presented in Excel: drop-downs, wrapped and wide columns, a help sheet."""

    title: str
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)
    wrap: Sequence[str] = ()
    widths: Mapping[str, int] = field(default_factory=dict)
    text_columns: Sequence[str] = ()  # formatted as Text so Excel does not turn ids into dates
    instructions: Sequence[tuple[str, str]] = ()


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> Path:
    """Write rows as UTF-8 CSV with a BOM so that Excel opens accents correctly."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, "\ufeff" + buffer.getvalue())
    return path


def write_xlsx(
    path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, str]], layout: XlsxLayout
) -> Path:
    """Write rows as a workbook: bold frozen header, drop-downs, wrapped text, instructions."""
    import openpyxl  # here, not at import: it is most of `langgap`'s start-up time
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = layout.title
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(name, "") for name in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    last = max(len(rows) + 1, 2)
    for index, name in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = layout.widths.get(name, 16)
        if name in layout.wrap or name in layout.text_columns:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=last, min_col=index, max_col=index):
                if name in layout.wrap:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                if name in layout.text_columns:
                    cell.number_format = "@"
        if name in layout.choices:
            _add_choices(sheet, f"{letter}2:{letter}{last}", name, layout.choices[name])
    if layout.instructions:
        _add_instructions(workbook, layout.instructions)
    buffer = io.BytesIO()
    workbook.save(buffer)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def _add_choices(sheet: object, cells: str, name: str, choices: Sequence[str]) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    validation = DataValidation(
        type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True
    )
    validation.error = f"{name}: choose one of {', '.join(choices)}"
    validation.errorTitle = f"invalid {name}"
    validation.showErrorMessage = True
    sheet.add_data_validation(validation)  # type: ignore[attr-defined]
    validation.add(cells)


def _add_instructions(workbook: object, lines: Sequence[tuple[str, str]]) -> None:
    from openpyxl.styles import Alignment, Font

    help_sheet = workbook.create_sheet("instructions")  # type: ignore[attr-defined]
    help_sheet.append(["field", "what to write"])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for name, text in lines:
        help_sheet.append([name, text])
    help_sheet.column_dimensions["A"].width = 22
    help_sheet.column_dimensions["B"].width = 110
    for (cell,) in help_sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def read_raw(path: Path, sheet_name: str) -> RawTable:
    """The non-empty rows of a .csv or .xlsx file (the named sheet, else the first one)."""
    if not path.is_file():
        raise SheetError([SheetProblem(str(path), None, "", "file not found", "check the path")])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_table(path, sheet_name)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return RawTable(_csv_rows(path))
    raise SheetError(
        [
            SheetProblem(
                str(path),
                None,
                "",
                f"unsupported file type {path.suffix!r}",
                "save the sheet as .xlsx or .csv (UTF-8)",
            )
        ]
    )


def _csv_rows(path: Path) -> list[tuple[int, list[Cell]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig drops Excel's BOM
    except UnicodeDecodeError as error:
        raise SheetError(
            [
                SheetProblem(
                    str(path),
                    None,
                    "",
                    f"not UTF-8 text ({error.reason})",
                    "save it as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)')",
                )
            ]
        ) from error
    first_line = text.split("\n", 1)[0]
    delimiter = (
        "\t" if path.suffix.lower() == ".tsv" else max((",", ";", "\t"), key=first_line.count)
    )
    try:
        parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise SheetError(
            [SheetProblem(str(path), None, "", str(error), "check the quoting in the file")]
        ) from error
    # csv.reader counts records, not lines; a quoted newline inside a cell would shift numbers,
    # but spreadsheet programs number records the same way, so this matches what the user sees.
    rows: list[tuple[int, list[Cell]]] = []
    for number, cells in enumerate(parsed, start=1):
        if any(cell.strip() for cell in cells):
            rows.append((number, list(cells)))
    return rows


def _xlsx_table(path: Path, sheet_name: str) -> RawTable:
    import openpyxl

    try:
        # Not read-only: merged-cell ranges are only available on a fully loaded sheet.
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as error:  # openpyxl raises zip, XML and key errors alike on a bad file
        raise SheetError(
            [
                SheetProblem(
                    str(path),
                    None,
                    "",
                    f"not a readable .xlsx workbook ({error})",
                    "re-save it from Excel as .xlsx",
                )
            ]
        ) from error
    try:
        names = workbook.sheetnames
        sheet = workbook[sheet_name] if sheet_name in names else workbook.worksheets[0]
        rows: list[tuple[int, list[Cell]]] = []
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            values = list(cells)
            if any(not _blank(value) for value in values):
                rows.append((number, values))
        merged = [
            (str(r.coord), r.min_row, r.max_row, r.min_col, r.max_col)
            for r in sheet.merged_cells.ranges
        ]
        return RawTable(rows, merged)
    finally:
        workbook.close()


def _blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.replace("\ufeff", "").strip())
