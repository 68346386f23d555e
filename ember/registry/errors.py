"""The registry's errors: ``RegistryError`` (MLflow's ``MlflowException``) and ``NotFoundError``."""


class RegistryError(Exception):
    """A request the registry cannot carry out (bad URI, changed parameter, corrupt artifact...)."""


class NotFoundError(RegistryError, LookupError):
    """An unknown run, experiment, registered model, version or alias."""
