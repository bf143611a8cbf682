class DeployCheckError(Exception):
    """A usage or configuration problem: one line on stderr and exit code 2."""
