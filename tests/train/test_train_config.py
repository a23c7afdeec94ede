"""Presets, strict YAML loading, events, metrics."""

import numpy as np
import pytest

from rewis3d.errors import InputError
from rewis3d.train import config as cfg
from rewis3d.train.events import EventLog, read_events
from rewis3d.train.metrics import ConfusionMatrix, window_starts


def test_presets_resolve_and_round_trip(tmp_path):
    for name in cfg.PRESETS:
        c = cfg.preset(name)
        c.save(tmp_path / f"{name}.yaml")
        assert cfg.load(tmp_path / f"{name}.yaml", base=cfg.TrainConfig()) == c
    k = cfg.preset("paper-kitti360")
    assert (k.data.batch_size, k.data.crop, k.optim.lr_2d) == (14, (376, 512), 3e-5)
    assert k.cmc_steps(3500) == (1500, 500)


def test_unknown_preset_lists_them():
    with pytest.raises(InputError, match="cpu-quick.*paper-kitti360"):
        cfg.preset("fast")


def test_unknown_key_and_wrong_type(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("method:\n  lamda_2d: 0.1\n")
    with pytest.raises(InputError, match="unknown key 'method.lamda_2d'; known keys of method: .*lambda_2d"):
        cfg.load(bad)
    bad.write_text("optim:\n  steps: many\n")
    with pytest.raises(InputError, match="optim.steps"):
        cfg.load(bad)
    bad.write_text("data:\n  sampling: everywhere\n")
    with pytest.raises(InputError, match="view-aware"):
        cfg.load(bad)
    bad.write_text("data:\n  crop: [1, 2, 3]\n")
    with pytest.raises(InputError, match="data.crop"):
        cfg.load(bad)
    bad.write_text("- just a list\n")
    with pytest.raises(InputError, match="mapping"):
        cfg.load(bad)


def test_yaml_override_on_preset(tmp_path):
    f = tmp_path / "o.yaml"
    f.write_text("preset: cpu-quick\noptim:\n  steps: 7\nmethod:\n  lambda_2d: 1\n")
    c = cfg.load(f)
    assert c.optim.steps == 7 and c.method.lambda_2d == 1.0 and c.model.model_2d == "segformer-mini"


def test_events_round_trip_and_torn_line(tmp_path):
    log = EventLog(tmp_path)
    log.write("step", step=1, loss=0.5, bad=float("nan"))
    log.write("eval", step=2, miou_2d=0.3)
    with (tmp_path / "events.jsonl").open("a") as f:
        f.write('{"kind": "st')
    events = read_events(tmp_path)
    assert [e["kind"] for e in events] == ["step", "eval"] and events[0]["bad"] is None
    log.truncate_after(1)
    assert [e["step"] for e in read_events(tmp_path)] == [1]


def test_confusion_matrix_miou():
    cm = ConfusionMatrix(3)
    cm.update(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 255]))
    # class 0: tp1 fp1 fn0 -> .5 ; class 1: tp2 fn1 -> 2/3 ; class 2 absent
    assert cm.miou() == pytest.approx((0.5 + 2 / 3) / 2)
    assert np.isnan(cm.iou()[2])


def test_window_starts_cover():
    assert window_starts(100, 200) == [0]
    starts = window_starts(1408, 512)
    assert starts[0] == 0 and starts[-1] == 1408 - 512
    assert all(b - a < 512 for a, b in zip(starts, starts[1:], strict=False))
