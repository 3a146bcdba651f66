"""Admission: priorities, the bound on waiting requests, the concurrency cap and deadlines."""

from gemgate.queue.admission import AdmissionQueue, Priority
from gemgate.queue.gate import QueueGate, Ticket

__all__ = ["AdmissionQueue", "Priority", "QueueGate", "Ticket"]
