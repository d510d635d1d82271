"""Audit trail: a tamper-evident, append-only hash chain of every publication, review decision, download,
API call and admin action (PLT-5, PLT-8, SEC-1, CAT-12, SHR-6).

Pure rules: `model` (canonical encoding, hashing, appending), `verify` (chain verification naming each
kind of tampering), `signing` (Ed25519-signed checkpoints that anchor the chain after a retention purge
and catch truncation), `retention` (which floor holds which entry). Database: `tables`, `service`
(`record_audit`, called by every use-case in its own transaction), `store` (verify the stored log, sign
and export checkpoints, purge), `search` (search and CSV export). Edges: `api` (`/api/v1/audit`), `cli`
(`publicdata audit ...`). Migration 0002 makes the database itself refuse UPDATE and DELETE of entries.
"""
