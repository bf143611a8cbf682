class DeployCheckError(Exception):
    """A usage or configuration problem: one line on stderr and exit code 2."""


class Terminated(Exception):
    """SIGTERM or SIGHUP ended the run (after its cleanups)."""
