"""Inspect extension entry point: importing this module registers langgap's tasks."""

from langgap.evaluate.tasks import csrt, dataset, multijail, polyrefuse, xsafety

__all__ = ["csrt", "dataset", "multijail", "polyrefuse", "xsafety"]
