"""Turn evaluation numbers into what a person reads: Markdown tables and a confusion plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stanceml.labels import LABELS


def _ci(value: float, ci: list[float]) -> str:
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def render_report(name: str, out: dict[str, Any]) -> str:
    """The evaluation report as Markdown."""
    systems = out["systems"]
    b = out["bootstrap"]
    lines = [
        f"# Evaluation: {name}",
        "",
        f"{out['n']} held-out triples from {out['articles']} articles (`{out['eval_data']}`).",
        f"Brackets: 95% intervals from {b['resamples']} bootstrap resamples of whole articles. "
        "p: paired bootstrap p-value that the model is not better than that system (macro-F1).",
        "",
        "| system | accuracy | macro-F1 | " + " | ".join(f"F1 {label}" for label in LABELS) + " | p vs model |",
        "|---|---|---|" + "---|" * len(LABELS) + "---|",
    ]
    lines += _system_rows(systems)
    lines += _per_class(systems)
    lines += _breakdowns(out["breakdown"], list(systems))
    cal = out.get("calibration")
    if cal:
        lines += [
            "",
            "## Calibration",
            "",
            f"Expected calibration error of the model on these triples: {cal['ece_before']:.3f} before and "
            f"{cal['ece_after']:.3f} after temperature scaling (T = {cal['temperature']:.3f}, fitted on validation).",
        ]
    lines += ["", "Confusion matrices: `confusion_matrix.png`; every misclassified triple: `errors.jsonl`."]
    return "\n".join(lines) + "\n"


def _system_rows(systems: dict[str, Any]) -> list[str]:
    lines = []
    for sys_name, m in systems.items():
        f1 = " | ".join(f"{m['per_class'][label]['f1']:.3f}" for label in LABELS)
        p = m.get("p_value_vs_model")
        lines.append(
            f"| {sys_name} | {_ci(m['accuracy'], m['ci95']['accuracy'])} | {_ci(m['macro_f1'], m['ci95']['macro_f1'])} "
            f"| {f1} | {'' if p is None else f'{p:.3f}'} |"
        )
    return lines


def _per_class(systems: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Per class (precision / recall / F1)",
        "",
        "| system | " + " | ".join(LABELS) + " |",
        "|---|" + "---|" * len(LABELS),
    ]
    for sys_name, m in systems.items():
        cells = [
            f"{m['per_class'][label]['precision']:.2f} / {m['per_class'][label]['recall']:.2f} / "
            f"{m['per_class'][label]['f1']:.2f}"
            for label in LABELS
        ]
        lines.append(f"| {sys_name} | " + " | ".join(cells) + " |")
    return lines


def _breakdowns(breakdown: dict[str, Any], names: list[str]) -> list[str]:
    lines: list[str] = []
    titles = {
        "target": "Seen vs unseen targets (seen = the target occurs in training)",
        "target_type": "By target type (entity = a person, organisation or country; issue = the rest)",
        "tag": "By tag",
        "topic": "By topic",
    }
    for kind in ("target", "target_type", "tag", "topic"):
        groups = breakdown.get(kind) or {}
        if not groups:
            continue
        lines += [
            "",
            f"## Macro-F1: {titles[kind]}",
            "",
            f"| {kind} | n | " + " | ".join(names) + " |",
            "|---|---|" + "---|" * len(names),
        ]
        for g, v in groups.items():
            lines.append(f"| {g} | {v['n']} | " + " | ".join(f"{v[s]:.3f}" for s in names) + " |")
    return lines


def plot_confusions(systems: dict[str, Any], path: str | Path) -> None:
    """One confusion-matrix panel per system (rows gold, columns predicted), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    n = len(systems)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.4), squeeze=False)
    for ax, (name, m) in zip(axes[0], systems.items()):
        cm = np.array(m["confusion_matrix"])
        ax.imshow(cm, cmap="Blues")
        for i in range(cm.shape[0]):
            for j in range(cm.shape[1]):
                ax.text(
                    j, i, str(cm[i, j]), ha="center", va="center", color="white" if cm[i, j] > cm.max() / 2 else "black"
                )
        ax.set_xticks(range(len(LABELS)), LABELS, rotation=30)
        ax.set_yticks(range(len(LABELS)), LABELS)
        ax.set_xlabel("predicted")
        ax.set_title(f"{name}\nmacro-F1 {m['macro_f1']:.3f}", fontsize=10)
    axes[0][0].set_ylabel("gold")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
