"""Markdown for ``benchmarks/accuracy.md``: one section per task, replaced in place."""

from __future__ import annotations

import re

from newsdesk.evaluation.tasks import TaskResult

_SECTION = re.compile(r"<!-- task:(\w+) -->\n.*?<!-- /task:\1 -->\n", re.DOTALL)


def render(result: TaskResult, *, model: str, date: str) -> str:
    """One task's section: its data set, model, date and tables."""
    lines = [f"<!-- task:{result.task} -->", f"## {result.task}", "",
             f"- Data: {result.dataset}.", f"- Model: `{model}`; run {date} in "
             f"{result.seconds:.0f} s.", ""]
    for table in result.tables:
        lines += [f"**{table.title}**", "", "| " + " | ".join(table.columns) + " |",
                  "|" + "|".join("---" if i == 0 else "--:" for i in range(len(
                      table.columns))) + "|"]
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.rows]
        if table.note:
            lines += ["", table.note]
        lines.append("")
    lines += [*(f"- {note}" for note in result.notes), f"<!-- /task:{result.task} -->", ""]
    return "\n".join(lines)


def _cell(value: object) -> str:
    text = f"{value:,}" if isinstance(value, int) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def update_markdown(existing: str, sections: dict[str, str], *, header: str,
                    order: list[str]) -> str:
    """``existing`` with the given task sections replaced (or added, in ``order``)."""
    found = {m.group(1): m.group(0) for m in _SECTION.finditer(existing)}
    found.update(sections)
    body = "".join(found[name] + "\n" for name in order if name in found)
    return header + "\n" + body
