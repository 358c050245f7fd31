"""Reading tables, the target, column roles and validation splits."""

from fitfinder.data.load import as_frame, read_table
from fitfinder.data.schema import Role, Schema
from fitfinder.data.split import SplitPlan, make_splits
from fitfinder.data.target import TargetInfo, decode, prepare_target

__all__ = [
    "Role",
    "Schema",
    "SplitPlan",
    "TargetInfo",
    "as_frame",
    "decode",
    "make_splits",
    "prepare_target",
    "read_table",
]
