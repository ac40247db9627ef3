"""Interpreting measurements: what kind of mistake a gradient shows, where it lies, and where it enters."""

from ..kinds import EXPLANATIONS, KINDS, Kind
from .across import across, reconcile
from .evidence import EntryEvidence, Evidence, ProbeEvidence
from .fingerprint import Fingerprint, activation_fingerprint
from .locate import locate, located_by_group_testing
from .rules import Diagnosis, at_kinks, diagnose, scale_cause, wrong_values

__all__ = [
    "EXPLANATIONS",
    "KINDS",
    "Diagnosis",
    "EntryEvidence",
    "Evidence",
    "Fingerprint",
    "Kind",
    "ProbeEvidence",
    "across",
    "activation_fingerprint",
    "at_kinks",
    "diagnose",
    "locate",
    "located_by_group_testing",
    "reconcile",
    "scale_cause",
    "wrong_values",
]
