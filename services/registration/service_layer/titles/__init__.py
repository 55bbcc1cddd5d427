"""Use cases of professional-title applications (seed 003), beside the exam applications."""
