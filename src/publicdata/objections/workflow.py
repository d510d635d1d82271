"""Work-order types and scheduled jobs of objections and complaints (to be filled)."""
