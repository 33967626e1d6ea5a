"""Report building blocks shared by all layers: tables, HTML, Markdown (figures need matplotlib).

`langgap.report.figures` is imported on its own so that reading HTML or Markdown does not pull in
matplotlib, which only the `survey` extra installs.
"""

from langgap.report.html import HtmlReport
from langgap.report.markdown import MarkdownReport
from langgap.report.tables import Cell, Link, Share, format_number, format_share

__all__ = ["Cell", "HtmlReport", "Link", "MarkdownReport", "Share", "format_number", "format_share"]
