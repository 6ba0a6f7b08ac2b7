"""Every grading setting, once: its default, its unit and what it is for.

`GradingSettings` is what the `grade` command (and the Gradescope run) hands to the engine. The
command line's options are made from its fields (`__main__` reads `help` from each field), so a
new limit is one field here. Fixed bounds that no option changes are constants below it.
"""

from dataclasses import dataclass, field, fields

MiB = 2**20
SECRET_ENV = "CNN_COURSE_GRADING_SECRET"  # the secret's file, where --secret is not given (autograder.secret)
SECRET_FILE = "~/.config/cnn-course/grading-secret"  # ... and where neither is
HIDDEN_FEEDBACK = ("full", "name")  # --hidden-feedback


def _setting(default, help, option=None, choices=None):
    """A field with its command-line help (and the option's name where it is not the field's, and
    its choices where it has a few)."""
    return field(default=default, metadata={"help": help, "option": option, "choices": choices})


@dataclass(frozen=True)
class GradingSettings:
    """How one grading run treats each submission, and how it runs."""

    jobs: int | None = _setting(None, "parallel workers (default: the machine's cores)")
    call_timeout: float = _setting(10.0, "seconds per call of a student's function", option="--timeout")
    cell_timeout: float = _setting(60.0, "seconds per top-level statement of a submitted cell")
    submission_timeout: float = _setting(
        600.0, "seconds of wall-clock time for all of one submission: its cells and its tests"
    )
    memory_mb: int = _setting(2048, "MB of memory per student process", option="--memory")
    disk_mb: int = _setting(256, "MB that one submission may write in its scratch folder", option="--disk")
    allow_root: bool = _setting(
        False,
        "grade even where student code would run as root (this machine's Python is out of reach of the "
        "user nobody); written in grading.log",
    )
    force: bool = _setting(
        False, "grade every file again, even those unchanged since the last run into OUT (OUT/cache/)"
    )
    secret: str = _setting(
        "",
        f"file of the grading secret that seeds each submission's hidden tests (default: ${'{'}SECRET_ENV{'}'}, "
        f"else {'{'}SECRET_FILE{'}'}; `python -m autograder secret` creates it)",
    )
    hidden_feedback: str = _setting(
        "full",
        "what a student's feedback shows of a failed hidden test: `full` (its call and message: the inputs "
        "are drawn for that submission only) or `name` (its name only)",
        choices=HIDDEN_FEEDBACK,
    )
    public_points: bool = _setting(
        False,
        "let public tests carry points as otter counts them (by default a question's points follow its "
        "hidden tests, whose inputs each submission draws afresh: answering the public examples earns nothing)",
    )
    # Not options: set by the command that runs the engine.
    gpu: bool | str = "auto"  # grade the `_gpu` questions: "auto" (where torch sees a CUDA GPU), True, False
    report: bool = True  # write the class report (the Gradescope run, one submission, does not)
    progress: bool = True  # a progress bar (or a line per submission) on stderr

    @property
    def file_mb(self) -> int:
        """The largest file one write may make: the disk quota, at most MAX_FILE_MB."""
        return min(MAX_FILE_MB, self.disk_mb)

    def limits(self) -> dict:
        """The student process's resource limits, as the student side reads them."""
        return {
            "memory_mb": self.memory_mb,
            "cpu_seconds": CPU_SECONDS,
            "file_mb": self.file_mb,
            "disk_mb": self.disk_mb,
        }


def options() -> list:
    """[(field name, option, default, help)] of the settings the command line sets."""
    out = []
    for f in fields(GradingSettings):
        help = f.metadata.get("help")
        if help:
            option = f.metadata.get("option") or "--" + f.name.replace("_", "-")
            out.append((f.name, option, f.default, help))
    return out


def choices(name: str):
    """The values a setting may take, where it lists them (None: any of its type)."""
    return next((f.metadata.get("choices") for f in fields(GradingSettings) if f.name == name), None)


CPU_SECONDS = 900  # CPU time of one student process (the wall-clock budget above comes first)
MAX_FILE_MB = 64  # the largest single file a student process may write
MAX_REPLY_BYTES = 512 * MiB  # bytes of arrays in one reply of the student process (more is refused)
MAX_NOTEBOOK_BYTES = 64 * MiB  # a submitted file larger than this is not read
WORKER_GRACE_SECONDS = 120  # past a submission's budget, the command kills a worker that did not stop
LMS_FORMATS = ("canvas", "gradescope", "plain")  # --lms: the grades file formats (outputs.lms.WRITERS)
SIMILARITY_THRESHOLD = 0.6  # similarity listed from (outputs.similarity: why this value)
