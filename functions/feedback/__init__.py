"""Feedback Lambda: SES bounces and complaints, and application unsubscribes, into the ledger."""
