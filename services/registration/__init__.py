"""Registration: exam catalog, applications, review, admit cards and scores."""
