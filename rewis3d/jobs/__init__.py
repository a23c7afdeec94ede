"""Background jobs: a command (usually ``rewis3d train``) run as a supervised subprocess.

``JobManager(project)`` starts jobs, reports their status, streams their ``events.jsonl``,
cancels them (the whole process group) and finds them again after the GUI was closed. See
docs/jobs.md. Nothing here imports Qt; a GUI polls from a timer, no threads needed.
"""

from rewis3d.jobs.events import EventStream, read_events_since
from rewis3d.jobs.manager import Job, JobManager, default_command
from rewis3d.jobs.record import (
    JobRecord,
)
from rewis3d.jobs.status import JobStatus
from rewis3d.store.schema import (
    JOB_FILES,
)

__all__ = [
    "JOB_FILES",
    "EventStream",
    "Job",
    "JobManager",
    "JobRecord",
    "JobStatus",
    "default_command",
    "read_events_since",
]
