"""Use cases. Each loads what it needs, calls the domain, writes the audit trail and commits once."""
