class DeployCheckError(Exception):
    """A usage or configuration problem: one line on stderr and exit code 2."""


class RefusedInput(DeployCheckError):
    """An input deploy-check will not read (a link leaving the project, a file that is not
    UTF-8, a pinned file that does not exist). Raised inside a check it still ends the whole
    run with exit 2: no verdict is given on inputs that were not really the project's."""


class Terminated(Exception):
    """SIGTERM or SIGHUP ended the run (after its cleanups)."""
