import subprocess
import sys


def test_python_dash_m_runs_the_cli_with_every_command():
    result = subprocess.run([sys.executable, "-m", "rewis3d.cli", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for command in ("import", "info", "classes", "sample", "reconstruct", "jobs"):
        assert f"  {command} " in result.stdout
