"""Work-order types and scheduled jobs of conditional access (to be filled)."""
