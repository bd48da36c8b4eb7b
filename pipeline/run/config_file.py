"""Reading a run config file for a person: every problem becomes one line naming the field.

Shared by the command line (``run``, ``validate-config``) and the job queue (``submit``), so both
refuse a config with the same words.
"""

from __future__ import annotations

import yaml
from pydantic import ValidationError

from pipeline.errors import UserError
from pipeline.run.config import RunConfig, load_config


def first_error(exc: ValidationError) -> str:
    """The first validation problem as ``field.path: message`` (and how many more there are)."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "config"
    message = error["msg"].removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    return f"{where}: {message}{more}"


def read_config(path: str) -> RunConfig:
    """The validated config at ``path``; every problem becomes a one-line UserError."""
    try:
        return load_config(path)
    except FileNotFoundError:
        raise UserError(f"no such config file: {path}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    except ValidationError as exc:
        raise UserError(f"{path}: {first_error(exc)}") from None
    except ValueError as exc:
        raise UserError(str(exc)) from None
