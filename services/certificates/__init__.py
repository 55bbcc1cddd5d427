"""Certificates: qualification e-certificates, their signing keys and public verification."""
