"""Export a run's 2D student as a plain transformers directory: ``save_pretrained`` output plus
the architecture's image processor config (``SegformerImageProcessor``, or
``EomtImageProcessor`` for EoMT) with our normalisation. Loading it needs nothing from
Rewis3d — the 3D branch is gone, which is the zero-inference-overhead promise."""

from __future__ import annotations

from pathlib import Path

from rewis3d.errors import InputError
from rewis3d.models.models2d import transformers_parts
from rewis3d.store import Project
from rewis3d.train.events import EventLog
from rewis3d.train.models import IMAGENET_MEAN, IMAGENET_STD
from rewis3d.train.predict import load_student_2d
from rewis3d.train.progress import Progress
from rewis3d.train.run import run_dir_of


def export_run(project: Project | str | Path, run: str, out_dir: str | Path,
               overwrite: bool = False) -> Path:
    project = project if isinstance(project, Project) else Project.open(project)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError(f"{out} exists and is not empty; pick a new folder or pass --overwrite")
    Progress(EventLog(run_dir_of(project, run)).write).enter("exporting")
    student, path = load_student_2d(project, run)
    model, processor = transformers_parts(student, list(IMAGENET_MEAN), list(IMAGENET_STD))
    names = [c.name for c in project.classes]
    model.config.id2label = dict(enumerate(names))
    model.config.label2id = {n: i for i, n in enumerate(names)}
    model.save_pretrained(str(out))
    processor.save_pretrained(str(out))
    (out / "REWIS3D.txt").write_text(f"run: {run}\ncheckpoint: {path.name}\n"
                                     f"project: {project.path}\n")
    return out
