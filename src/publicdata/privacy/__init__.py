"""Personal-data detection, desensitization, k-anonymity, the publication gate (SEC-2, SEC-4, QUA-2)."""
