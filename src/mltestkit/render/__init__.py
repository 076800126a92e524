"""Every text made from a report: terminal, model and dataset cards, HTML, GitLab, GitHub, JUnit, comparison."""

from .compare import markdown_table, regressions
from .dataset_card import dataset_card
from .github import error_annotations, step_summary, write_step_summary
from .gitlab import openmetrics
from .html import html_report
from .junit import properties
from .model_card import hf_card, load_meta, markdown_card, mct_json, score_markdown
from .outputs import attach_baseline, comparison_lines, write_outputs
from .terminal import summary_lines

__all__ = [
    "attach_baseline",
    "comparison_lines",
    "dataset_card",
    "error_annotations",
    "hf_card",
    "html_report",
    "load_meta",
    "markdown_card",
    "markdown_table",
    "mct_json",
    "openmetrics",
    "properties",
    "regressions",
    "score_markdown",
    "step_summary",
    "summary_lines",
    "write_outputs",
    "write_step_summary",
]
