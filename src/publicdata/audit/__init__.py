"""Audit trail: a tamper-evident, append-only hash chain of every publication, review decision, download,
API call and admin action (PLT-5, PLT-8, SEC-1, CAT-12).

`model` holds the pure rules (canonical encoding, hashing, chain verification); `signing` holds the
Ed25519-signed checkpoints that anchor the chain after a retention purge and catch truncation.
"""
