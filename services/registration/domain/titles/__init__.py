"""Professional titles (职称, seed 003): initial title, title confirmation and title review
applications, their sections, the handling record and the authorities' rules. Pure Python."""
