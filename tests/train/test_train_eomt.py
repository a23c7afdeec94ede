"""EoMT as the 2D student: a --config run trains end to end, exports and reloads identically."""

import shutil

import numpy as np
import pytest
import torch

from rewis3d.store import Project
from rewis3d.train import export_run, run_training
from rewis3d.train.checkpoint import latest_checkpoint
from rewis3d.train.config import load
from rewis3d.train.events import read_events

CONFIG = """\
preset: cpu-quick
model: {model_2d: eomt-mini}
data: {crop: [32, 48], points: 256, cutout: 8}
optim: {steps: 3}
run: {log_every: 1}
"""


@pytest.fixture(scope="module")
def eomt_run(tiny_project_template, tmp_path_factory):
    """One 3-step Rewis3d run (2D EoMT + 3D PTv3 + CMC) shared by the tests of this module."""
    root = tmp_path_factory.mktemp("eomt")
    project = root / "street"
    shutil.copytree(tiny_project_template, project)
    (root / "eomt.yaml").write_text(CONFIG)
    config = load(root / "eomt.yaml")
    return Project.open(project), run_training(project, config, run="eomt")


def test_config_file_trains_eomt_and_checkpoints(eomt_run):
    _, result = eomt_run
    assert result.steps == 3
    assert (latest_checkpoint(result.run_dir) / "models.safetensors").is_file()
    steps = read_events(result.run_dir, "step")
    assert [e["step"] for e in steps] == [1, 2, 3]
    assert all(np.isfinite(e["sup_2d"]) for e in steps) and steps[-1]["cmc_weight_2d"] > 0
    assert np.isfinite(read_events(result.run_dir, "eval")[-1]["miou_2d"])


def test_export_reloads_with_the_same_scores(eomt_run, tmp_path):
    from transformers import AutoImageProcessor, EomtForUniversalSegmentation

    from rewis3d.models.eomt import EomtSemantic
    from rewis3d.train.evaluate import predict_frame
    from rewis3d.train.predict import load_student_2d

    project, _ = eomt_run
    out = export_run(project, "eomt", tmp_path / "export")
    student, _ = load_student_2d(project, "eomt")
    reloaded = EomtSemantic(EomtForUniversalSegmentation.from_pretrained(str(out))).eval()
    assert reloaded.config.id2label[0] == project.classes[0].name
    rgb = project.scene("street").rgb[1]
    ours = predict_frame(student, rgb, project.num_classes, 512, torch.device("cpu"))
    again = predict_frame(reloaded, rgb, project.num_classes, 512, torch.device("cpu"))
    torch.testing.assert_close(again, ours)

    # Plain transformers (processor + semantic post-processing) gives the same labels, up to
    # the resampling of its resize at a few boundary pixels.
    processor = AutoImageProcessor.from_pretrained(str(out))
    inputs = processor(images=np.asarray(rgb), return_tensors="pt")
    with torch.no_grad():
        outputs = reloaded.eomt(**inputs)
    labels = processor.post_process_semantic_segmentation(outputs, target_sizes=[rgb.shape[:2]])
    # How many boundary pixels the resize flips depends on how smooth this 3-step model is:
    # 0.95 and 0.947 with earlier trainers, 0.893 since the released-code fidelity fixes (KL
    # reduction, rescale). The exact equality of the two paths is the assert_close above.
    assert (labels[0] == ours.argmax(0)).float().mean() > 0.85
