"""Run ``calcification train-segmenter`` in a ``qt.QProcess`` and feed its JSON-line events to the panel.

The training is a separate process so Slicer stays responsive and a Stop cannot leave the application in a half
state. Lines are parsed by :func:`calcification.logic.training.training_process.parse_event_line`, the same parser the
console's ``run_training_blocking`` uses; curves and progress come from :mod:`calcification.logic.mrml.training_curves`.
"""

import qt
from slicer.i18n import tr as _

#: Seconds a stopped process gets to end after SIGTERM before it is killed (Windows console programs ignore it).
STOP_GRACE_MS = 5000


class TrainingProcessRunner:
    """One training process: start, stop, and callbacks per event and at the end.

    ``onEvent(event)`` receives each :class:`TrainingEvent` (after the curves and progress took it);
    ``onFinished(finishedEvent, errorMessage, stopped)`` is called once: ``finishedEvent`` is the ``finished``
    event of a successful run (else None), ``errorMessage`` the reason of a failure (else ""), ``stopped`` True
    when the user stopped the run.
    """

    def __init__(self, settings, onEvent, onFinished):
        from calcification.logic.mrml.training_curves import TrainingCurves, TrainingProgress

        self.settings = settings
        self.curves = TrainingCurves()
        self.progress = TrainingProgress(settings.folds, settings.total_epochs, settings.steps)
        self._onEvent, self._onFinished = onEvent, onFinished
        self._stdoutBuffer, self._stderrText = "", ""
        self._finishedEvent, self._stopped, self._done = None, False, False
        self.process = qt.QProcess()
        self.process.connect("readyReadStandardOutput()", self._readStdout)
        self.process.connect("readyReadStandardError()", self._readStderr)
        self.process.connect("finished(int,QProcess::ExitStatus)", self._processFinished)
        self.process.connect("errorOccurred(QProcess::ProcessError)", self._processError)

    def start(self) -> None:
        from calcification.logic.training.training_process import process_environment, training_command

        environment = qt.QProcessEnvironment()
        for key, value in process_environment().items():
            environment.insert(key, value)
        self.process.setProcessEnvironment(environment)
        argv = training_command(self.settings)
        self.process.start(argv[0], argv[1:])

    def isRunning(self) -> bool:
        return self.process.state() != qt.QProcess.NotRunning

    def stop(self) -> None:
        """Ask the process to end (checkpoints of finished epochs stay for resuming); kill it after a grace time."""
        if not self.isRunning():
            return
        self._stopped = True
        self.process.terminate()
        qt.QTimer.singleShot(STOP_GRACE_MS, self._killIfRunning)

    def _killIfRunning(self) -> None:
        if self.isRunning():
            self.process.kill()

    def _readStdout(self) -> None:
        from calcification.logic.training.training_process import parse_event_line

        self._stdoutBuffer += self.process.readAllStandardOutput().data().decode("utf-8", errors="replace")
        *lines, self._stdoutBuffer = self._stdoutBuffer.split("\n")  # keep a partial last line for the next read
        for line in lines:
            event = parse_event_line(line)
            if event is None:
                continue
            if event.kind == "finished":
                self._finishedEvent = event
            self.progress.update(event)
            self.curves.add(event)
            self._onEvent(event)

    def _readStderr(self) -> None:
        self._stderrText += self.process.readAllStandardError().data().decode("utf-8", errors="replace")

    def _processFinished(self, exitCode, exitStatus) -> None:
        from calcification.logic.training.training_process import failure_message

        self._readStdout()
        self._readStderr()
        self._stdoutBuffer += "\n"  # a last line without its newline still counts
        self._readStdout()
        success = exitCode == 0 and exitStatus == qt.QProcess.NormalExit and self._finishedEvent is not None
        error = "" if success or self._stopped else failure_message(self._stderrText, exitCode)
        self._finish(self._finishedEvent if success else None, error)

    def _processError(self, error) -> None:
        if error == qt.QProcess.FailedToStart:
            self._finish(
                None, _("The training process could not start: {reason}").format(reason=self.process.errorString())
            )

    def _finish(self, finishedEvent, error: str) -> None:
        if not self._done:  # finished() and errorOccurred() can both arrive for one process
            self._done = True
            self._onFinished(finishedEvent, error, self._stopped)
