"""Admission: priorities, the concurrency cap and deadlines."""

from gemgate.queue.admission import AdmissionQueue, Priority

__all__ = ["AdmissionQueue", "Priority"]
