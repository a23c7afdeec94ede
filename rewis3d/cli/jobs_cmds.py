"""`rewis3d jobs PROJECT list | status RUN | cancel RUN`: background jobs from a terminal."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click


def _progress(manager, run: str) -> str:
    """'step 12/100' from the run's last step event, or '' before the first one."""
    events, _ = manager.events(run)
    steps = [e for e in events if isinstance(e.get("step"), int)]
    if not steps:
        return ""
    last = steps[-1]
    total = last.get("total_steps")
    return f"step {last['step']}/{total}" if total else f"step {last['step']}"


@click.group("jobs")
@click.argument("project", type=click.Path(path_type=Path))
@click.pass_context
def jobs(ctx: click.Context, project: Path) -> None:
    """Background jobs (training runs started from the app or with `rewis3d jobs`) of PROJECT."""
    from rewis3d.jobs import JobManager

    ctx.obj = JobManager(project)


@jobs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the statuses as JSON.")
@click.pass_obj
def list_jobs(manager, as_json: bool) -> None:
    """Every job of the project with its state, oldest first."""
    statuses = manager.list()
    if as_json:
        click.echo(json.dumps([asdict(s) for s in statuses], indent=2))
        return
    if not statuses:
        click.echo(f"no jobs in {manager.project}")
    for status in statuses:
        progress = _progress(manager, status.run) if not status.done else ""
        click.echo(status.summary() + (f" {progress}" if progress else ""))


@jobs.command("status")
@click.argument("run")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
def job_status(manager, run: str, as_json: bool) -> None:
    """State, progress and command of RUN's job; the end of its log when it failed."""
    status = manager.status(run)
    if as_json:
        click.echo(json.dumps(asdict(status), indent=2))
        return
    click.echo(status.summary())
    if progress := _progress(manager, run):
        click.echo(f"progress: {progress}")
    click.echo(f"command: {' '.join(status.command)}")
    click.echo(f"log: {manager.run_dir(run) / 'log'}")
    if status.log_tail:
        click.echo("last lines of the log:")
        for line in status.log_tail:
            click.echo(f"  {line}")


@jobs.command("cancel")
@click.argument("run")
@click.option("--grace", type=float, default=None,
              help="Seconds between SIGTERM and SIGKILL (default 60: a training finishes its step and writes a checkpoint).")
@click.pass_obj
def cancel_job(manager, run: str, grace: float | None) -> None:
    """Stop RUN's job and every process it started; resume it later with `rewis3d train --resume`."""
    before = manager.status(run)
    if before.done:
        click.echo(f"run {run} is not running ({before.state}); nothing to cancel")
        return
    after = manager.cancel(run, grace)
    click.echo(f"run {run}: {after.state}")


COMMANDS = [jobs]
