"""Train panel: start ``rewis3d train`` as a background job and follow it live.

Training runs in its own process (``rewis3d.jobs``), never in the viewer's: a QTimer polls the
job's events and status a few times a second, so the viewer stays responsive. A job is a chain
of steps on one run (train, then predict) that the job itself runs, so predictions appear
without a manual step, also when the viewer was closed meanwhile; a job that outlives the
viewer is found again when the project is reopened. This panel only renders the job's state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from qtpy.QtCore import QTimer
from qtpy.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from rewis3d_gui.plots import LinePlot
from rewis3d_gui.session import Session
from rewis3d_gui.training_settings import TrainingSettings

POLL_MS = 250
LOSS_TERMS = ("loss", "sup_2d", "cons_2d", "cmc_2d", "sup_3d", "cons_3d", "cmc_3d")
Step = tuple[str, list[str]]  # (what it does in words, command arguments)


def predict_args(project: Path, run: str) -> list[str]:
    return ["predict", str(project), "--run", run]


def error_line(log_tail: list[str]) -> str | None:
    """The CLI's one-line ``error: ...`` (what to do), if the job printed one."""
    return next((line[len("error: "):] for line in reversed(log_tail)
                 if line.startswith("error: ")), None)


class TrainingPanel(QWidget):
    """Settings, Start / Cancel / Resume, progress with ETA, live loss and mIoU plots."""

    def __init__(self, session: Session, parent: QWidget | None = None,
                 load_predictions: Callable[[str], bool] | None = None):
        from rewis3d.jobs.record import STOP_GRACE_S

        super().__init__(parent)
        self.session = session
        # run -> whether its predictions are now layers of the viewer (the Review tab's loader)
        self.load_predictions = load_predictions
        self.job_command: list[str] | None = None  # None: `rewis3d` (tests use a fake worker)
        self.cancel_grace_s = STOP_GRACE_S  # a cancelled training checkpoints its step first
        self.manager = None
        self.job = None
        self._step_shown: str | None = None
        self._eta_origin: tuple[float, int] | None = None  # (time, step) of the first event
        self._cancel_worker = None
        self._cancelling = False
        self._build_widgets()
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        session.project_changed.connect(self.reattach)
        if session.project is not None:
            self.reattach()

    def _build_widgets(self) -> None:
        self.settings = TrainingSettings()
        self.run_name = QLineEdit()
        self.run_name.setPlaceholderText("run name, e.g. rewis3d-1")
        self.run_name.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        run_row = QFormLayout()
        run_row.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        run_row.addRow("Run", self.run_name)
        self.start_button = QPushButton("Start training")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(self.resume)
        self.predict_button = QPushButton("Predict")
        self.predict_button.setToolTip("Predict every frame with the run in the Run box "
                                       "(its latest checkpoint) and load the result")
        self.predict_button.clicked.connect(self.predict)
        self.run_name.textChanged.connect(lambda _: self._update_buttons())
        buttons = QGridLayout()  # two rows: four buttons do not fit a default-width dock
        for i, button in enumerate((self.start_button, self.cancel_button, self.resume_button,
                                    self.predict_button)):
            buttons.addWidget(button, i // 2, i % 2)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m steps")
        self.status = QLabel("No job yet.")
        self.status.setWordWrap(True)
        self.loss_plot = LinePlot("losses")
        self.miou_plot = LinePlot("mIoU on frames with dense gt (%)", y_range=(0.0, 100.0))
        self.log_tail = QPlainTextEdit()
        self.log_tail.setReadOnly(True)
        self.log_tail.setMaximumHeight(120)
        self.log_tail.setVisible(False)
        layout = QVBoxLayout(self)
        heading = QLabel("<b>Training</b> (runs in the background; you can keep labelling or "
                         "close napari)")
        heading.setWordWrap(True)  # a narrow dock wraps it instead of scrolling sideways
        layout.addWidget(heading)
        layout.addWidget(self.settings)
        layout.addLayout(run_row)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.miou_plot)
        layout.addWidget(self.log_tail)
        layout.addStretch(1)
        self._set_running(False)

    # -- starting --------------------------------------------------------------------------
    def _manager(self):
        from rewis3d.jobs import JobManager, default_command
        from rewis3d.runtime import shared_machine_threads

        project = self.session.project
        if project is None:
            raise _no_project()
        command = self.job_command or default_command()
        if (self.manager is None or self.manager.project != Path(project.path).absolute()
                or self.manager.command != command):
            # one core stays with the viewer: spinning OpenMP threads against a busy core made
            # steps 3-4x slower (rewis3d/runtime.py)
            self.manager = JobManager(project.path, command=command, grace_s=self.cancel_grace_s,
                                      threads=shared_machine_threads())
        return self.manager

    def start(self) -> bool:
        """Check the project, then start train -> predict for the run in the Run box."""
        with self.session.user_errors("start training"):
            project = self.session.project
            if project is None:
                raise _no_project()
            run = self.run_name.text().strip() or time.strftime("run-%Y%m%d-%H%M%S")
            self.run_name.setText(run)
            self._check_trainable()
            args = self.settings.args(project.path, run, self.session.reconstruction_name)
            self.start_chain(run, [("training", args),
                                   ("predicting", predict_args(project.path, run))])
            return True
        return False

    def resume(self) -> bool:
        """Continue the run in the Run box from its last checkpoint, then predict again."""
        with self.session.user_errors("resume"):
            project, run = self._run_with_checkpoint(
                "choose the run to resume in the Run box",
                "has no checkpoint to resume from; Start trains it from the beginning")
            self.start_chain(run, [("training", ["train", str(project.path), "--resume", run]),
                                   ("predicting", predict_args(project.path, run))])
            return True
        return False

    def predict(self) -> bool:
        """Predict every frame with the run in the Run box; the result loads by itself."""
        with self.session.user_errors("predict"):
            project, run = self._run_with_checkpoint("choose a trained run in the Run box",
                                                     "has no checkpoint yet: train it first")
            self.start_chain(run, [("predicting", predict_args(project.path, run))])
            return True
        return False

    def _run_with_checkpoint(self, no_run: str, no_checkpoint: str):
        """The project and the run in the Run box, which must have a checkpoint."""
        run, project = self.run_name.text().strip(), self.session.project
        if project is None or not run:
            raise _input(no_run)
        if _checkpoint_step(project.runs_dir / run) is None:
            raise _input(f"run {run!r} {no_checkpoint}")
        return project, run

    def start_chain(self, run: str, steps: list[Step]) -> None:
        """One job runs the steps in turn (the next once the one before succeeded)."""
        self.job = self._manager().start_chain(run, steps)
        self.run_name.setText(run)
        self._step_shown = None
        self._clear_plots()
        self._follow(f"{run}: {steps[0][0]}…")

    def retrain(self, run: str) -> bool:
        """Corrections in, new run out: export ``run``'s 2D student, train from it, predict."""
        from rewis3d.review import next_run_name, retrain_config

        with self.session.user_errors(f"retrain from {run!r}"):
            project = self.session.project
            if project is None:
                raise _no_project()
            self._check_trainable()
            run_dir = project.runs_dir / run
            weights = run_dir / "weights-2d"
            new_run = next_run_name(project.run_names(), run)
            config = retrain_config(run_dir, weights, run_dir / f"retrain-{new_run}.yaml")
            self.start_chain(new_run, [
                (f"exporting the 2D weights of {run}",
                 ["export", str(project.path), str(weights), "--run", run, "--overwrite"]),
                ("training", ["train", str(project.path), "--config", str(config),
                              "--run", new_run, *self.settings.steps_args()]),
                ("predicting", predict_args(project.path, new_run)),
            ])
            return True
        return False

    def _check_trainable(self) -> None:
        """Say what to do before starting a job that would fail at once."""
        project = self.session.project
        scenes = [project.scene(name) for name in project.scene_names()]
        if not any(scene.annotations.labelled_frames() for scene in scenes):
            raise _input("no frame has labels yet: draw some in the Label tab first")
        if not self.settings.baseline.isChecked() and not any(s.reconstruction_names() for s in scenes):
            raise _input("Rewis3d trains through a 3D reconstruction and there is none: run one "
                         "in the 3D tab first (or tick 'EMA baseline' to train 2D only)")

    # -- following -------------------------------------------------------------------------
    def reattach(self) -> None:
        """On opening a project: follow its newest unfinished job, or show the last outcome."""
        self.timer.stop()
        self.job, self.manager = None, None
        self._clear_plots()
        self._update_buttons()
        if self.session.project is None:
            self.status.setText("No job yet.")
            return
        with self.session.user_errors("look for training jobs"):
            jobs = self._manager().list()
            if not jobs:
                self.status.setText("No job yet.")
                return
            running = [s for s in jobs if not s.done]
            latest = running[-1] if running else jobs[-1]
            self.job = self.manager.attach(latest.run)
            self.run_name.setText(latest.run)
            self._step_shown = latest.step_label
            if running:
                self._follow(f"{latest.run}: re-attached to the running job (pid {latest.pid}"
                             f", {latest.step_label}).")
            else:
                self.poll()  # replay its events into the plots, show its outcome
                self._show_end(self.job.status())

    def _follow(self, text: str) -> None:
        self._cancelling = False
        self.status.setText(text)
        self.log_tail.setVisible(False)
        self._eta_origin = None
        self._set_running(True)
        self.timer.start()

    def poll(self) -> None:
        """One timer tick: new events into the plots, then the job's state (never blocks)."""
        if self.job is None:
            return
        events = self.job.poll()
        if self.job.stream.restarted:
            self._clear_plots()
        for event in events:
            self._show_event(event)
        status = self.job.status()
        if status.step_label != self._step_shown and not status.done:
            self._step_shown = status.step_label  # e.g. training ended, predicting began
            self._say(f"{status.run}: {status.step_label}…")
            self.progress.setRange(0, 0)
        if not status.done:
            return
        self.timer.stop()
        self._show_end(status)

    def _show_event(self, event: dict) -> None:
        kind, step = event.get("kind"), event.get("step")
        if kind == "step" and step is not None:
            total = int(event.get("total_steps") or step or 1)
            self.progress.setRange(0, total)
            self.progress.setValue(int(step))
            self._say(f"{self.run_name.text()}: step {step}/{total}"
                      f"{self._eta(event, int(step), total)}")
            for term in LOSS_TERMS:
                if term in event:
                    self.loss_plot.add_point(term, step, event[term])
        elif kind == "progress":
            self._show_progress(event)
        elif kind == "eval" and step is not None:
            for key, name in (("miou_2d", "2D"), ("miou_3d", "3D")):
                if event.get(key) is not None:
                    self.miou_plot.add_point(name, step, 100 * event[key])

    def _show_progress(self, event: dict) -> None:
        """Phase, step and the run's own ETA (from its measured step times); a busy bar while
        a phase has no steps (preparing data, building the sampling index, predicting)."""
        total, step = int(event.get("total_steps") or 0), int(event.get("step") or 0)
        phase = event.get("phase", "working")
        if event.get("detail"):
            phase += f" ({event['detail']})"
        stepping = total and phase.startswith(("training", "evaluating"))
        if stepping:
            self.progress.setRange(0, total)
            self.progress.setValue(step)
        else:
            self.progress.setRange(0, 0)
        text = f"{self.run_name.text()}: {phase}"
        if stepping:
            text += f" · step {step}/{total}"
        if event.get("eta_s") is not None and stepping:
            text += f" · about {_duration(float(event['eta_s']))} left"
        self._say(text)

    def _say(self, text: str) -> None:
        """Live status, unless a cancel is under way (its message stays until the job ends)."""
        if not self._cancelling:
            self.status.setText(text)

    def _eta(self, event: dict, step: int, total: int) -> str:
        now = float(event.get("time") or time.time())
        if self._eta_origin is None or step <= self._eta_origin[1]:
            self._eta_origin = (now, step)
            return ""
        t0, s0 = self._eta_origin
        left = (now - t0) / (step - s0) * (total - step)
        return f" · about {_duration(left)} left"

    def _show_end(self, status) -> None:
        from napari.utils.notifications import show_error, show_info

        self._set_running(False)
        self._cancelling = False
        if status.state == "finished":
            self.progress.setRange(0, max(self.progress.maximum(), 1))
            self.progress.setValue(self.progress.maximum())
            if self._predictions_loaded(status):
                self.status.setText(f"{status.run}: finished; its predictions are in the viewer "
                                    "(Review tab).")
                show_info(f"Run {status.run!r} finished; predictions loaded.")
            else:
                self.status.setText(f"{status.run}: finished.")
        elif status.state == "cancelled":
            step = _checkpoint_step(self._manager().run_dir(status.run))
            self.status.setText(
                f"{status.run}: cancelled. Resume continues from its checkpoint at step {step}."
                if step is not None and status.step_label == "training" else
                f"{status.run}: cancelled ({status.step_label}).")
        elif status.state == "failed":
            why = error_line(status.log_tail) or status.reason or "it failed"
            self.status.setText(f"<span style='color:#ff6b6b'>{status.run} failed while "
                                f"{status.step_label}: {why}</span>")
            self.log_tail.setPlainText("\n".join(status.log_tail))
            self.log_tail.setVisible(True)
            show_error(f"Run {status.run!r} failed while {status.step_label}: {why}")

    def _predictions_loaded(self, status) -> bool:
        """Whether a chain that predicted has its layers in the viewer now (not just on disk)."""
        if "predicting" not in status.steps or self.load_predictions is None:
            return False
        return self.load_predictions(status.run)

    def _clear_plots(self) -> None:
        self.loss_plot.clear()
        self.miou_plot.clear()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self._update_buttons()

    def _update_buttons(self) -> None:
        """Resume only from a checkpoint (the button says which step), Predict for any run with
        weights, neither while a job runs."""
        running = self.cancel_button.isEnabled()
        project, run = self.session.project, self.run_name.text().strip()
        run_dir = project.runs_dir / run if project is not None and run else None
        step = _checkpoint_step(run_dir) if run_dir is not None else None
        resumable = step is not None and step < (_total_steps(run_dir) or step + 1)
        self.resume_button.setText(f"Resume from step {step}" if resumable else "Resume")
        self.resume_button.setEnabled(not running and resumable)
        self.predict_button.setEnabled(not running and step is not None)

    # -- cancelling ------------------------------------------------------------------------
    def cancel(self) -> None:
        """End the job's processes in a worker thread (it may wait out the grace period)."""
        from napari.qt.threading import create_worker

        if self.job is None:
            return
        self.cancel_button.setEnabled(False)
        self.status.setText(f"{self.job.run}: cancelling: the step in flight finishes and is "
                            "checkpointed, then the job stops…")
        self._cancelling = True
        self._cancel_worker = create_worker(self.job.cancel, self.cancel_grace_s)
        self._cancel_worker.start()


def _checkpoint_step(run_dir: Path) -> int | None:
    """The step of the run's latest complete checkpoint, None when it has none."""
    from rewis3d.errors import CheckpointError
    from rewis3d.train.checkpoint import latest_checkpoint

    try:
        name = latest_checkpoint(run_dir).name
    except CheckpointError:
        return None
    return int(name.removeprefix("step-").removesuffix(".old"))


def _total_steps(run_dir: Path) -> int | None:
    """The run's total steps, as its events last said (None before the first step)."""
    from rewis3d.train.events import read_events

    totals = [e["total_steps"] for e in read_events(run_dir) if e.get("total_steps")]
    return int(totals[-1]) if totals else None


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def _input(message: str):
    from rewis3d.errors import InputError

    return InputError(message)


def _no_project():
    return _input("open or create a project first (Project tab)")
