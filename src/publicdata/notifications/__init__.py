"""In-app inbox per user and e-mail notifications (outbox table delivered by a Mailer adapter)."""
