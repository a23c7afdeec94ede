"""Bad inputs through the real `rewis3d` CLI: each row is a command run here, its exit status and
the first line it printed on stderr. `python benchmarks/bad_inputs.py > table.md`.

Every row should end with exit status 2 and one `error:` line (click's own usage errors also
exit 2, with "Error: Invalid value ..."); a traceback or another status is a defect. The
project and the files the commands read are made in a temporary folder first.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CLI = [sys.executable, "-m", "rewis3d.cli"]


def make_inputs(root: Path) -> dict[str, Path]:
    from PIL import Image

    from rewis3d.annotations import FrameSelection, simulate_scene_labels
    from rewis3d.store import Project
    from rewis3d.synthetic import SceneConfig, sample_into_project

    project = root / "p"
    sample_into_project(project, SceneConfig(kind="street", frames=3, width=64, height=48))
    simulate_scene_labels(Project.open(project), "street", "scribbles", FrameSelection(every=2))
    photos = root / "photos"
    photos.mkdir()
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(photos / "0.png")
    (photos / "1.png").write_bytes(b"not a png")
    (root / "empty").mkdir()
    (root / "notes.txt").write_text("a file")
    (root / "fake.mp4").write_text("not a video")
    (root / "busy").mkdir()
    (root / "busy" / "thesis.tex").write_text("x")
    (root / "bad.yaml").write_text("data:\n  batch_size: -3\n")
    (root / "unknown.yaml").write_text("data:\n  batchsize: 4\n")
    (root / "notyaml.yaml").write_text("data: [unclosed\n")
    (root / "pickle.yaml").write_text("!!python/object/apply:os.system ['echo hi']\n")
    (root / "tau.yaml").write_text("method:\n  tau: 1.5\n")
    (root / "junk.pth").write_bytes(b"junk")
    (root / "p3d.yaml").write_text(f"model:\n  pretrained_3d: {root / 'junk.pth'}\n")
    (root / "nob.yaml").write_text("model:\n  model_3d: ptv4\n")
    return {"root": root, "p": project}


def cases(paths: dict[str, Path]) -> list[tuple[str, list[str]]]:
    r, p = paths["root"], str(paths["p"])
    return [
        ("project folder missing", ["info", str(r / "missing")]),
        ("project is a file", ["info", str(r / "notes.txt")]),
        ("folder is not a project", ["info", str(r / "empty")]),
        ("unknown scene", ["reconstruct", p, "--scene", "nope"]),
        ("unknown backend", ["reconstruct", p, "--scene", "street", "--backend", "nosuch"]),
        ("unknown backend option", ["reconstruct", p, "--scene", "street", "-o", "zzz=1"]),
        ("backend option without =", ["reconstruct", p, "--scene", "street", "-o", "stride"]),
        ("import: source missing", ["import", "images", str(r / "none"), str(r / "n1"),
                                    "--scene", "s"]),
        ("import: unreadable image", ["import", "images", str(r / "photos"), str(r / "n2"),
                                      "--scene", "s"]),
        ("import: not a video", ["import", "video", str(r / "fake.mp4"), str(r / "n3"),
                                 "--scene", "s"]),
        ("import: empty folder", ["import", "images", str(r / "empty"), str(r / "n4"),
                                  "--scene", "s"]),
        ("import: into a non-project folder", ["import", "images", str(r / "photos"),
                                               str(r / "busy"), "--scene", "s"]),
        ("import: scene exists", ["import", "images", str(r / "photos"), p, "--scene",
                                  "street"]),
        ("import: --max-frames -3", ["import", "images", str(r / "photos"), str(r / "n5"),
                                     "--scene", "s", "--max-frames", "-3"]),
        ("import: --stride 0", ["import", "images", str(r / "photos"), str(r / "n6"),
                                "--scene", "s", "--stride", "0"]),
        ("import: bad scene name", ["import", "images", str(r / "photos"), str(r / "n7"),
                                    "--scene", "a/b"]),
        ("sample: 100M frames", ["sample", str(r / "s1"), "--frames", "100000000"]),
        ("sample: huge size", ["sample", str(r / "s2"), "--size", "100000x100000"]),
        ("sample: size not WxH", ["sample", str(r / "s3"), "--size", "big"]),
        ("sample: negative size", ["sample", str(r / "s4"), "--size", "-3x10"]),
        ("sample: into a non-project folder", ["sample", str(r / "busy")]),
        ("classes: name differs by case", ["classes", p, "add", "Road"]),
        ("classes: name with a newline", ["classes", p, "add", "a\nb"]),
        ("classes: 5000-character name", ["classes", p, "add", "x" * 5000]),
        ("classes: bad colour", ["classes", p, "color", "road", "#zzzzzz"]),
        ("classes: unknown class", ["classes", p, "rename", "nope", "x"]),
        ("train: unknown preset", ["train", p, "--preset", "fast"]),
        ("train: config file missing", ["train", p, "--config", str(r / "none.yaml")]),
        ("train: config not YAML", ["train", p, "--config", str(r / "notyaml.yaml")]),
        ("train: unknown config key", ["train", p, "--config", str(r / "unknown.yaml")]),
        ("train: python tag in YAML", ["train", p, "--config", str(r / "pickle.yaml")]),
        ("train: batch_size -3", ["train", p, "--preset", "cpu-quick", "--config",
                                  str(r / "bad.yaml")]),
        ("train: tau 1.5", ["train", p, "--preset", "cpu-quick", "--config",
                            str(r / "tau.yaml")]),
        ("train: --set unknown key", ["train", p, "--preset", "cpu-quick", "--set",
                                      "optim.stpes=5"]),
        ("train: --set without =", ["train", p, "--preset", "cpu-quick", "--set", "optim.steps"]),
        ("train: --set wrong type", ["train", p, "--preset", "cpu-quick", "--set",
                                     "data.crop=big"]),
        ("train: unknown 3D backbone", ["train", p, "--preset", "cpu-quick", "--config",
                                        str(r / "nob.yaml")]),
        ("train: pretrained_3d not a checkpoint", ["train", p, "--preset", "cpu-quick",
                                                   "--config", str(r / "p3d.yaml")]),
        ("train: --resume an unknown run", ["train", p, "--resume", "nope"]),
        ("train: --resume with settings", ["train", p, "--resume", "x", "--steps", "3"]),
        ("train: --threads 0", ["train", p, "--preset", "cpu-quick", "--threads", "0"]),
        ("eval: unknown run", ["eval", p, "--run", "nope"]),
        ("predict: unknown run", ["predict", p, "--run", "nope"]),
        ("export: unknown run", ["export", p, str(r / "out"), "--run", "nope"]),
        ("export-ply: OUT is a folder", ["export-ply", p, str(r / "empty"), "--scene",
                                         "street"]),
        ("export-ply: OUT's folder missing", ["export-ply", p, str(r / "no" / "c.ply"),
                                              "--scene", "street"]),
        ("propagate: unknown reconstruction", ["propagate", p, "--scene", "street",
                                               "--reconstruction", "nope"]),
        ("jobs: unknown run", ["jobs", p, "status", "nope"]),
        ("jobs: cancel unknown run", ["jobs", p, "cancel", "nope"]),
        ("simulate-labels: unknown kind", ["simulate-labels", p, "--scene", "street",
                                           "--kind", "blobs"]),
        ("simulate-labels: share 2", ["simulate-labels", p, "--scene", "street", "--kind",
                                      "points", "--share", "2"]),
    ]


def first_message(stderr: str, stdout: str) -> str:
    lines = [line for line in (stderr + stdout).splitlines() if line.strip()]
    wanted = [line for line in lines if line.startswith(("error:", "Error:"))]
    text = (wanted or lines or ["(nothing)"])[0]
    if "Traceback" in stderr:
        text = "TRACEBACK: " + lines[-1]
    return text.replace("|", "\\|")[:220]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_inputs(Path(tmp))
        rows = []
        for what, args in cases(paths):
            out = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600)
            rows.append((what, out.returncode, first_message(out.stderr, out.stdout)))
        print(f"| bad input ({len(rows)}) | exit | first line printed |")
        print("|---|---|---|")
        for what, code, text in rows:
            print(f"| {what} | {code} | {text.replace(tmp, 'TMP')} |")
        bad = [r for r in rows if r[1] != 2 or r[2].startswith("TRACEBACK")]
        print(f"\n{len(rows) - len(bad)} of {len(rows)} end with exit 2 and one line"
              + (f"; not yet: {', '.join(r[0] for r in bad)}" if bad else ""))


if __name__ == "__main__":
    main()
