"""Accuracy on real, human-labelled news (``make eval``): the development sets described in
``../shared/eval/README.md``, run through the real pipeline and scored beside a baseline.

    python -m newsdesk.evaluation [--task ner|quotes|furniture|html|corpus] [--data DIR]
                                  [--out FILE] [--work DIR]

writes ``benchmarks/accuracy.md`` (a run of one task replaces only its section). The data
are never copied into the repository. ``tests/test_evaluation.py`` runs a fast subset of each
task with floors just under the figures measured here (the regression guard).
"""

from __future__ import annotations

from newsdesk.evaluation.report import render, update_markdown
from newsdesk.evaluation.tasks import TASKS, Limits, TaskResult, Workspace, run_task

__all__ = ["TASKS", "Limits", "TaskResult", "Workspace", "render", "run_task",
           "update_markdown"]
