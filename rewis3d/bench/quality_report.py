"""The quality benchmark's report: mean +- std over repetitions, the paired difference to the
EMA baseline with a 95 % t-interval, as a markdown table, a CSV of every repetition and plots.

The interval is over repetitions (scene, labels and training seed varied together), paired
within a repetition: ``d_i = variant_i - ema_i``, ``mean(d) +- t(0.975, n-1) * sd(d)/sqrt(n)``.
With one repetition there is no interval ("n/a"), not a zero-width one.
"""

from __future__ import annotations

import csv
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from rewis3d.bench.quality import QualitySetting, VariantResult

EVALUATIONS = (("same_clip", "same clip"), ("unseen", "unseen clip"))
BASELINE = "ema"
METHOD = "rewis3d"  # the full method, the reference of the ablations
REFERENCE_NAMES = {BASELINE: "EMA", METHOD: "Rewis3d"}


@dataclass
class Paired:
    mean: float
    low: float | None
    high: float | None
    n: int

    def text(self) -> str:
        if self.low is None:
            return f"{self.mean:+.1f} (n={self.n}, no interval)"
        return f"{self.mean:+.1f} [{self.low:+.1f}, {self.high:+.1f}]"


def paired_difference(baseline: list[float], variant: list[float], level: float = 0.95) -> Paired:
    """Mean of ``variant - baseline`` (matched by index) with a two-sided t-interval."""
    from scipy import stats

    diffs = [v - b for b, v in zip(baseline, variant, strict=True)]
    n = len(diffs)
    mean = statistics.fmean(diffs)
    if n < 2:
        return Paired(mean, None, None, n)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * statistics.stdev(diffs) / math.sqrt(n)
    return Paired(mean, mean - half, mean + half, n)


def _by_variant(results: list[VariantResult]) -> dict[str, dict[int, VariantResult]]:
    out: dict[str, dict[int, VariantResult]] = {}
    for r in results:
        out.setdefault(r.variant, {})[r.seed] = r
    return out


def mean_present(values: list[float | None]) -> float:
    """Mean (in %) over the seeds where the class was scored (absent: None or NaN)."""
    present = [v for v in values if v is not None and v == v]
    return 100 * statistics.fmean(present) if present else float("nan")


def _mean_sd(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.1f} +- {sd:.1f}"


def quality_table(results: dict[QualitySetting, list[VariantResult]]) -> str:
    """One row per (scene, labels, variant): each evaluation's mean +- std (2D mIoU, %), the
    paired difference to EMA and, when ablations are in, to Rewis3d (the orders the paper
    reports: view-aware vs random, dual confidence vs none, ...) over the repetitions both
    have."""
    ablations = {r.variant for rows in results.values() for r in rows} - {BASELINE, METHOD}
    references = (BASELINE, METHOD) if ablations else (BASELINE,)
    head = ["scene", "labels", "variant", "n"]
    for _, name in EVALUATIONS:
        head += [f"{name} mIoU"] + [f"{name} vs {REFERENCE_NAMES[r]} [95 % CI]"
                                    for r in references]
    clips = {1 + len(r.unseen_more) for rows in results.values() for r in rows}
    if clips != {1}:  # scored on extra unseen layouts: say over how many the mean is
        count = "/".join(str(n) for n in sorted(clips))
        nouns = {setting.layouts for setting in results}
        noun = nouns.pop() if len(nouns) == 1 else "layouts"
        head = [h.replace("unseen clip", f"unseen clips ({count} {noun})") for h in head]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for setting, rows in results.items():
        variants = _by_variant(rows)
        for variant, by_seed in variants.items():
            seeds = sorted(by_seed)
            cells = [setting.kind, setting.label_name, variant, str(len(seeds))]
            for key, _ in EVALUATIONS:
                cells.append(_mean_sd([100 * getattr(by_seed[s], key) for s in seeds]))
                for reference in references:
                    same = variant == reference or (reference == METHOD and variant == BASELINE)
                    cells.append("—" if same else
                                 _paired_text(variants.get(reference, {}), by_seed, key))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _paired_text(reference: dict[int, VariantResult], variant: dict[int, VariantResult],
                 key: str) -> str:
    seeds = [s for s in sorted(variant) if s in reference]
    if not seeds:
        return "—"
    return paired_difference([100 * getattr(reference[s], key) for s in seeds],
                             [100 * getattr(variant[s], key) for s in seeds]).text()


def write_csv(results: dict[QualitySetting, list[VariantResult]], path: Path) -> Path:
    """Every repetition of every variant, one row each (mIoU in %)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scene", "labels", "train_clips", "steps", "points", "variant", "seed",
                    "same_clip", "unseen_clip", "unseen_clips", "unseen_mean", "seconds"])
        for setting, rows in results.items():
            for r in rows:
                w.writerow([setting.kind, setting.labels, setting.train_clips, setting.steps,
                            setting.points or "",
                            r.variant, r.seed, f"{100 * r.same_clip:.2f}",
                            f"{100 * r.unseen_clip:.2f}", 1 + len(r.unseen_more),
                            f"{100 * r.unseen:.2f}", f"{r.seconds:.1f}"])
    return path


def write_plots(results: dict[QualitySetting, list[VariantResult]], folder: Path) -> list[Path]:
    """``quality.png`` (each variant's mean with its seeds, both evaluations, per setting) and
    ``curves.png`` (same-clip mIoU over training, mean over seeds: has EMA stopped improving?).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = list(results)
    fig, axes = plt.subplots(len(settings), 2, figsize=(11, 3.2 * len(settings)), squeeze=False)
    for row, setting in enumerate(settings):
        variants = _by_variant(results[setting])
        names = list(variants)
        clips = 1 + max((len(r.unseen_more) for r in results[setting]), default=0)
        for col, (key, title) in enumerate(EVALUATIONS):
            ax = axes[row][col]
            if key == "unseen" and clips > 1:
                title = f"unseen clips (mean of {clips} {setting.layouts})"
            for i, name in enumerate(names):
                values = [100 * getattr(r, key) for r in variants[name].values()]
                ax.bar(i, statistics.fmean(values), color="#9ab" if name == BASELINE else "#47a")
                ax.plot([i] * len(values), values, "k.", ms=4)
            ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
            ax.set_ylabel("2D mIoU (%)")
            ax.set_title(f"{setting.kind} / {setting.label_name}: {title}", fontsize=9)
    fig.tight_layout()
    bars = folder / "quality.png"
    fig.savefig(bars, dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, len(settings), figsize=(4.5 * len(settings), 3.2), squeeze=False)
    for col, setting in enumerate(settings):
        ax = axes[0][col]
        for name, by_seed in _by_variant(results[setting]).items():
            curves = [r.curve for r in by_seed.values() if r.curve]
            if not curves:
                continue
            steps = [s for s, _ in min(curves, key=len)]
            mean = [100 * statistics.fmean(c[i][1] for c in curves) for i in range(len(steps))]
            ax.plot(steps, mean, marker=".", label=name)
        ax.set_xlabel("step")
        ax.set_ylabel("same-clip 2D mIoU (%)")
        ax.set_title(f"{setting.kind} / {setting.label_name}", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    curves_path = folder / "curves.png"
    fig.savefig(curves_path, dpi=110)
    plt.close(fig)
    written = [bars, curves_path]
    for setting in settings:
        path = write_transfer_plot(results[setting], setting,
                                   folder / f"transfer-{setting.tag}.png")
        if path is not None:
            written.append(path)
    return written


def write_transfer_plot(rows: list[VariantResult], setting: QualitySetting,
                        path: Path) -> Path | None:
    """Per class: the 3D teacher's IoU (the source of the 3D->2D targets) and the 2D student's
    over training, mean over seeds, for every variant that scored its 3D teacher. None when no
    run did (``eval_3d_teacher`` off)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = {v: [r for r in by_seed.values() if r.transfer]
                for v, by_seed in _by_variant(rows).items()}
    variants = {v: runs for v, runs in variants.items() if runs}
    if not variants:
        return None
    classes = list(next(iter(variants.values()))[0].transfer[0][1])
    cols = 4
    rows_n = math.ceil(len(classes) / cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(3.2 * cols, 2.5 * rows_n), squeeze=False)
    for k, name in enumerate(classes):
        ax = axes[k // cols][k % cols]
        for i, (variant, runs) in enumerate(variants.items()):
            n = min(len(r.transfer) for r in runs)
            steps = [runs[0].transfer[j][0] for j in range(n)]
            for which, style in ((1, "-"), (2, "--")):
                values = [[r.transfer[j][which].get(name) for r in runs] for j in range(n)]
                mean = [mean_present(v) for v in values]
                label = f"{variant} {'2D student' if which == 1 else '3D teacher'}"
                ax.plot(steps, mean, style, color=f"C{i}", label=label)
        ax.set_title(name, fontsize=9)
        ax.set_ylim(0, 100)
        if k % cols == 0:
            ax.set_ylabel("IoU (%)")
    for k in range(len(classes), rows_n * cols):
        axes[k // cols][k % cols].axis("off")
    axes[0][0].legend(fontsize=6)
    fig.suptitle(f"{setting.kind} / {setting.label_name}: same-clip IoU per class over training "
                 "(solid: 2D student, dashed: 3D teacher)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
