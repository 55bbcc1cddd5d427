"""Use cases of payment: functions taking a unit of work and plain arguments."""
