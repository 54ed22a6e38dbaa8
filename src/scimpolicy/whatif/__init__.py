"""What-if scenarios, bulk evaluation and the readiness report (SPEC §6)."""
