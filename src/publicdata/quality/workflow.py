"""Work-order types of quality (to be filled)."""
