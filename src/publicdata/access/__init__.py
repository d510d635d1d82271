"""Conditional access: applications, agreements, grants, usage reports, violations (ACC-2..ACC-11)."""
