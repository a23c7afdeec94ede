"""The GPU check script cannot run here, so its CPU smoke mode keeps it from rotting."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"


def test_gpu_check_smoke_on_cpu():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--device", "cpu", "--preset", "cpu-quick", "--steps", "2",
         "--size", "48x32", "--frames", "3", "--skip-ptv3"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    rows = json.loads(line[len("RESULT "):])["rows"]
    assert [r["variant"] for r in rows] == ["ema", "rewis3d"]
    assert all(r["steps"] == 2 and r["step_s"] > 0 for r in rows)
