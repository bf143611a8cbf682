"""deploy-check: is the app's infrastructure really provisioned, or only described?"""

__version__ = "0.1.0"
